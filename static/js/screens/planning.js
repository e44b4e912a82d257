// Planning a route from the walker's settings, and planning it again when the settings changed since.

import { planRoute } from "../api.js";
import { t } from "../i18n.js";
import * as store from "../store.js";
import { $, clearError, currentPosition, enableCompass, output, showError, state } from "./common.js";
import { go, onShow } from "./navigation.js";

const plannedListeners = [];

/** Call `listener` whenever a route has been planned (state.route is the new one). */
export function onPlanned(listener) {
  plannedListeners.push(listener);
}

export function buildRequest(from, place) {
  const s = state.settings;
  const guidance = { verbosity: s.verbosity, clock_face: Boolean(s.clock_face) };
  if (s.units === "steps") guidance.step_length_m = Math.min(Math.max(Number(s.step_length_m) || 0.7, 0.3), 1.5);
  const body = { from: { lat: from.lat, lon: from.lon }, to: { lat: place.lat, lon: place.lon }, profile: s.profile,
    lang: s.lang, guidance };
  if (Object.keys(s.prefs).length) body.prefs = { ...s.prefs };
  if (Number.isFinite(state.compass) && !state.startPlace) body.heading_deg = Math.round(state.compass) % 360;
  return body;
}

let planning = false;

export async function plan(place, startPlace, { navigate = true } = {}) {
  if (planning) return false;
  planning = true;
  const screen = state.screen === "preview" ? "preview" : "destination";
  clearError(screen);
  $("destination-form").setAttribute("aria-busy", "true");
  try {
    let from = startPlace;
    if (!from) {
      output.status(t("locating"));
      enableCompass();
      from = await currentPosition();
    }
    output.status(t("planning"));
    const request = buildRequest(from, place);
    const route = await planRoute(request);
    Object.assign(state, { route, request, place, startPlace, stepIndex: 0, routeStale: false });
    store.addRecent(place);
    for (const listener of plannedListeners) listener();
    if (navigate) go("preview");
    return true;
  } catch (error) {
    showError(screen, error);
    return false;
  } finally {
    planning = false;
    $("destination-form").removeAttribute("aria-busy");
  }
}

export async function replan() {
  state.routeStale = false;
  if (!state.request || !state.place) return;
  output.status(t("replanning"));
  try {
    const request = buildRequest(state.request.from, state.place);
    state.route = await planRoute(request);
    state.request = request;
    state.stepIndex = 0;
    for (const listener of plannedListeners) listener();
    output.status(t("replanned"));
  } catch (error) {
    showError("preview", error);
  }
}

onShow("preview", () => {
  if (state.routeStale && !state.guidance) replan();
});
