// Distances and durations in words, in metres or in steps (with the walker's step length), as the settings say.

import { number, t } from "./i18n.js";

/** Distances as said: 5 m steps below 100 m, 10 m steps below 1 km, then kilometres with one decimal. */
function rounded(metres) {
  if (metres < 100) return Math.max(5, Math.round(metres / 5) * 5);
  return Math.round(metres / 10) * 10;
}

function steps(metres, settings) {
  const length = Number(settings.step_length_m) || 0.7;
  const count = metres / length;
  return Math.max(5, Math.round(count / 5) * 5);
}

/** "35 Meter", "etwa 50 Schritte", "1,2 Kilometer". */
export function distance(metres, settings) {
  metres = Math.max(0, Number(metres) || 0);
  if (settings.units === "steps") {
    if (metres < 3) return t("dist_steps_short", { count: 5, n: 5 });
    const n = steps(metres, settings);
    return t("dist_steps", { count: n, n: number(n) });
  }
  if (metres < 3) return t("dist_m_short", { count: 5, n: 5 });
  if (metres >= 1000) return t("dist_km", { count: 2, n: number(metres / 1000, 1) });
  const n = rounded(metres);
  return t("dist_m", { count: n, n: number(n) });
}

/** The distance in the case that follows "in" and "nach" (German dative): "35 Metern", "etwa 50 Schritten". */
export function dative(metres, settings) {
  metres = Math.max(0, Number(metres) || 0);
  if (settings.units === "steps") {
    if (metres < 3) return t("dist_dat_steps_short", { count: 5, n: 5 });
    const n = steps(metres, settings);
    return t("dist_dat_steps", { count: n, n: number(n) });
  }
  if (metres < 3) return t("dist_dat_m_short", { count: 5, n: 5 });
  if (metres >= 1000) return t("dist_dat_km", { count: 2, n: number(metres / 1000, 1) });
  const n = rounded(metres);
  return t("dist_dat_m", { count: n, n: number(n) });
}

/** "in 35 Metern", "in etwa 50 Schritten", "in 1,2 Kilometern". */
export function distanceIn(metres, settings) {
  return t("dist_in", { distance: dative(metres, settings) });
}

/** "nach 35 Metern": where on the route something is. */
export function distanceAfter(metres, settings) {
  return t("dist_after", { distance: dative(metres, settings) });
}

/** "etwa 19 Minuten". */
export function duration(seconds) {
  const minutes = Math.max(1, Math.round((Number(seconds) || 0) / 60));
  if (minutes < 90) return t("duration_min", { count: minutes, n: number(minutes) });
  const hours = Math.floor(minutes / 60);
  return t("duration_h", { count: hours, h: number(hours), m: number(minutes % 60) });
}

/** First letter upper-case (for a phrase that starts a sentence). */
export function capitalize(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}
