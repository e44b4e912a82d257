// The device's position (Geolocation, high accuracy), and where something is from it, in words.

import { bearing, haversine } from "../geo.js";
import { number, t } from "../i18n.js";

const COMPASS = ["north", "north_east", "east", "south_east", "south", "south_west", "west", "north_west"];

/** "Nordosten" / "north-east": one of eight compass points. */
export function compassWord(degrees) {
  return t(`compass_${COMPASS[Math.round(degrees / 45) % 8]}`);
}

/** "etwa 40 Meter" / "about 40 metres": 5 m steps below 100 m, 10 m steps below 1 km, then kilometres. */
export function distanceWords(metres) {
  if (metres >= 1000) return t("distance_km", { n: number(metres / 1000, 1) });
  const n = metres < 100 ? Math.max(5, Math.round(metres / 5) * 5) : Math.round(metres / 10) * 10;
  return t("distance_m", { count: n, n: number(n) });
}

/** "etwa 40 Meter Richtung Nordosten", or "hier, weniger als 5 Meter entfernt". */
export function whereWords(from, lat, lon, metres = null) {
  const d = metres ?? haversine(from.lat, from.lon, lat, lon);
  if (d < 5) return t("where_here");
  return t("where_away", { distance: distanceWords(d), direction: compassWord(bearing(from.lat, from.lon, lat, lon)) });
}

/** A decimal degree typed by a person: "49,4447" and " 49.4447 " both mean 49.4447; null when not a number. */
export function parseDegree(text) {
  const cleaned = String(text).trim().replace(",", ".");
  if (!/^[-+]?\d+(\.\d+)?$/.test(cleaned)) return null;
  return Number(cleaned);
}

function fixOf(position) {
  return { lat: position.coords.latitude, lon: position.coords.longitude, accuracy: position.coords.accuracy };
}

/** Watches the device's position; `onFix({lat, lon, accuracy})`, `onError(message)` in plain words. */
export class PositionWatch {
  constructor({ onFix, onError }) {
    this.onFix = onFix;
    this.onError = onError;
    this.fix = null;
    this.id = null;
  }

  start() {
    if (!("geolocation" in navigator)) {
      this.onError(t("error_no_geolocation"));
      return;
    }
    if (this.id !== null) return;
    this.id = navigator.geolocation.watchPosition(
      (position) => {
        this.fix = fixOf(position);
        this.onFix(this.fix);
      },
      (error) => {
        this.onError(t(error.code === 1 ? "error_geolocation_denied" : "error_geolocation_unavailable"));
        if (error.code === 1) this.stop();
      },
      { enableHighAccuracy: true, maximumAge: 5_000, timeout: 30_000 },
    );
  }

  stop() {
    if (this.id !== null) navigator.geolocation.clearWatch(this.id);
    this.id = null;
  }

  /** The position the device gave last while the watch runs (it reports every move, so this is where it is now);
   * null when there is none. */
  known() {
    return this.id !== null ? this.fix : null;
  }

  /** One fresh fix now (for "use my current position" when the watch has none). */
  current() {
    return new Promise((resolve, reject) => {
      if (!("geolocation" in navigator)) {
        reject(new Error(t("error_no_geolocation")));
        return;
      }
      navigator.geolocation.getCurrentPosition(
        (position) => {
          this.fix = fixOf(position);
          resolve(this.fix);
        },
        (error) => reject(new Error(t(error.code === 1 ? "error_geolocation_denied" : "error_geolocation_unavailable"))),
        { enableHighAccuracy: true, maximumAge: 5_000, timeout: 20_000 },
      );
    });
  }
}
