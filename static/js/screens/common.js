// What every screen of the walker app shares: the page's state, the live regions that speak, errors shown on a
// screen, and the device's position and compass.

import { ApiError } from "../api.js";
import { t } from "../i18n.js";
import { Output, WakeLock } from "../output.js";
import * as store from "../store.js";

export const $ = (id) => document.getElementById(id);

export const state = {
  settings: store.loadSettings(),
  place: null, // the chosen destination {name, kind_label, lat, lon}
  startPlace: null, // a chosen start, or null for the current position
  route: null, // the planned route (POST /api/route answer)
  request: null, // the body it was planned with
  routeStale: false, // settings changed since it was planned
  stepIndex: 0,
  guidance: null,
  guideFinished: null, // "arrived" while the guidance screen still shows the arrival
  lastPosition: null,
  compass: null,
  screen: null,
};

export const output = new Output({ polite: $("live-polite"), assertive: $("live-assertive"), settings: () => state.settings });
export const wakeLock = new WakeLock();

export function showError(screen, error) {
  const box = $(`${screen}-error`);
  const message = error instanceof ApiError || error instanceof Error ? error.message : String(error);
  if (box) {
    box.textContent = message;
    box.hidden = false;
  }
  output.alert(message);
}

export function clearError(screen) {
  const box = $(`${screen}-error`);
  if (box) {
    box.hidden = true;
    box.textContent = "";
  }
}

export function currentPosition() {
  return new Promise((resolve, reject) => {
    if (!("geolocation" in navigator)) {
      reject(new Error(t("error_no_geolocation")));
      return;
    }
    let tries = 0;
    const attempt = () => {
      tries += 1;
      navigator.geolocation.getCurrentPosition(
        (position) => {
          state.lastPosition = { lat: position.coords.latitude, lon: position.coords.longitude, at: Date.now() };
          resolve(state.lastPosition);
        },
        (error) => {
          if (error.code === 1) reject(new Error(t("error_geolocation_denied")));
          else if (tries < 3) setTimeout(attempt, 300);
          else reject(new Error(t("error_geolocation_unavailable")));
        },
        { enableHighAccuracy: true, timeout: 20_000, maximumAge: 5_000 },
      );
    };
    attempt();
  });
}

/** Listen to the device compass where the browser offers it (iOS asks once, on a button press). */
export async function enableCompass() {
  if (state.compassListening) return;
  try {
    if (typeof DeviceOrientationEvent !== "undefined" && typeof DeviceOrientationEvent.requestPermission === "function") {
      if ((await DeviceOrientationEvent.requestPermission()) !== "granted") return;
    }
  } catch {
    return;
  }
  state.compassListening = true;
  const onOrientation = (event) => {
    if (Number.isFinite(event.webkitCompassHeading)) state.compass = event.webkitCompassHeading;
    else if (event.absolute && Number.isFinite(event.alpha)) state.compass = (360 - event.alpha) % 360;
  };
  window.addEventListener("deviceorientationabsolute", onOrientation);
  window.addEventListener("deviceorientation", onOrientation);
}
