// The guidance screen: the live guidance (guidance.js) shown and spoken, its buttons, and a guidance interrupted by
// a reload offered again.

import { distance, distanceIn } from "../format.js";
import { Guidance } from "../guidance.js";
import { t } from "../i18n.js";
import * as store from "../store.js";
import { $, clearError, enableCompass, output, state, wakeLock } from "./common.js";
import { destinationCombo } from "./destination.js";
import { go } from "./navigation.js";
import { plan, replan } from "./planning.js";
import { renderPreview } from "./preview.js";

const guideView = {
  show(text, kind) {
    $("current-text").textContent = text;
    const item = document.createElement("li");
    if (kind === "warning") {
      const label = document.createElement("strong");
      label.textContent = `${t("warning_label")}: `;
      item.append(label);
    }
    item.append(text);
    $("said-log").append(item);
  },
  progress(remaining, next) {
    const s = state.settings;
    const parts = [];
    if (next !== null && next !== undefined) parts.push(t("progress_next", { distance: distanceIn(next, s) }));
    if (remaining !== null && remaining !== undefined) parts.push(t("progress_remaining", { distance: distance(remaining, s) }));
    $("guide-progress").textContent = parts.join(" ");
  },
  connection(mode) {
    const element = $("connection");
    element.dataset.state = mode;
    element.textContent = t(mode === "offline" ? "connection_offline" : "connection_online");
  },
  routeChanged(route) {
    state.route = route;
    if (state.guidance) store.saveActive({ ...state.guidance.active, route });
    renderPreview();
  },
  finished(reason) {
    state.guidance = null;
    store.clearActive();
    $("nav-guide-item").hidden = reason !== "arrived";
    if (reason === "arrived") {
      state.guideFinished = reason;
      setGuideButtons(true);
      $("connection").textContent = t("connection_arrived");
      $("connection").dataset.state = "online";
      $("guide-progress").textContent = "";
    } else {
      state.guideFinished = null;
      go("destination");
    }
  },
};

function setGuideButtons(finished) {
  for (const id of ["btn-repeat", "btn-where", "btn-pause"]) $(id).hidden = finished;
  $("btn-stop").textContent = t(finished ? "btn_done" : "btn_stop");
  $("btn-stop").classList.toggle("danger", !finished);
  $("btn-stop").classList.toggle("primary", finished);
}

async function startGuidance(active = null) {
  if (state.guidance) {
    go("guide");
    return;
  }
  enableCompass();
  if (!active) {
    if (state.startPlace) {
      // Previewed from elsewhere: guidance starts where the walker is now.
      const ok = await plan(state.place, null, { navigate: false });
      if (!ok) return;
    } else if (state.routeStale) {
      await replan();
    }
    active = { route: state.route, destination: state.place, request: state.request };
  }
  store.saveActive(active);
  state.guideFinished = null;
  state.guidance = new Guidance({
    active,
    output,
    wakeLock,
    settings: () => state.settings,
    compass: () => state.compass,
    view: guideView,
  });
  $("h-guide").textContent = t("guide_heading", { name: active.destination.name });
  $("current-text").textContent = "";
  $("guide-progress").textContent = "";
  $("said-log").replaceChildren();
  $("btn-pause").textContent = t("btn_pause");
  setGuideButtons(false);
  guideView.connection("online");
  $("connection").textContent = t("connection_connecting");
  $("nav-guide-item").hidden = false;
  $("resume-box").hidden = true;
  go("guide");
  state.guidance.start();
}

$("start-guidance").addEventListener("click", () => startGuidance());
$("btn-repeat").addEventListener("click", () => state.guidance?.repeat());
$("btn-where").addEventListener("click", () => state.guidance?.whereAmI());
$("btn-pause").addEventListener("click", () => {
  if (!state.guidance) return;
  const paused = state.guidance.togglePause();
  $("btn-pause").textContent = t(paused ? "btn_resume" : "btn_pause");
});
$("btn-stop").addEventListener("click", () => {
  if (state.guidance) {
    state.guidance.stop();
  } else {
    state.guideFinished = null;
    $("nav-guide-item").hidden = true;
    go("destination");
  }
});

// A guidance interrupted by a reload (or a closed tab) can go on: planned again from here, or on the device.
export function offerResume() {
  const active = store.loadActive();
  if (!active || state.guidance) {
    $("resume-box").hidden = true;
    return;
  }
  $("resume-text").textContent = t("resume_text", { name: active.destination.name });
  $("resume-box").hidden = false;
}

$("resume-guidance").addEventListener("click", async () => {
  const active = store.loadActive();
  if (!active) return;
  state.place = active.destination;
  state.startPlace = null;
  destinationCombo.set(active.destination);
  if (navigator.onLine && await plan(active.destination, null, { navigate: false })) {
    startGuidance();
    return;
  }
  clearError("destination");
  state.route = active.route;
  state.request = active.request;
  renderPreview();
  startGuidance(active);
});

/** The guidance screen's texts in the language just chosen. */
export function translateGuide() {
  if (state.guidance) {
    $("h-guide").textContent = t("guide_heading", { name: state.guidance.active.destination.name });
    guideView.connection(state.guidance.mode === "offline" ? "offline" : "online");
    $("btn-pause").textContent = t(state.guidance.paused ? "btn_resume" : "btn_pause");
    setGuideButtons(false);
  } else if (state.guideFinished) {
    setGuideButtons(true);
  }
  offerResume();
}
