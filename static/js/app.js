// Lotse's web app: four screens (destination, route preview, guidance, settings) in one page, switched by the URL
// hash. Made for VoiceOver and TalkBack first: focus moves to each new screen's heading, progress is announced
// politely, warnings and "now" instructions assertively, and nothing needs the map.

import { ApiError, geocode, planRoute } from "./api.js";
import { Combobox } from "./combobox.js";
import { capitalize, dative, distance, distanceAfter, distanceIn, duration } from "./format.js";
import { Guidance } from "./guidance.js";
import { applyTranslations, loadLanguage, number, t } from "./i18n.js";
import { Output, WakeLock } from "./output.js";
import * as store from "./store.js";

const $ = (id) => document.getElementById(id);

const state = {
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

const output = new Output({ polite: $("live-polite"), assertive: $("live-assertive"), settings: () => state.settings });
const wakeLock = new WakeLock();

const SCREENS = {
  destination: { hash: "#/", heading: "h-destination" },
  preview: { hash: "#/preview", heading: "h-preview" },
  guide: { hash: "#/guide", heading: "h-guide" },
  settings: { hash: "#/settings", heading: "h-settings" },
};

// ------------------------------------------------------------------------------------------------ screens
function screenFromHash() {
  const name = location.hash.replace(/^#\/?/, "");
  return { "": "destination", preview: "preview", guide: "guide", settings: "settings" }[name] || "destination";
}

function go(name) {
  const hash = SCREENS[name].hash;
  if (location.hash === hash || (hash === "#/" && location.hash === "")) showScreen(name);
  else location.hash = hash;
}

function showScreen(name, { focus = true } = {}) {
  if (name === "guide" && !state.guidance && !state.guideFinished) name = state.route ? "preview" : "destination";
  if (name === "preview" && !state.route) name = "destination";
  if (location.hash !== SCREENS[name].hash && !(name === "destination" && location.hash === "")) {
    history.replaceState(null, "", SCREENS[name].hash);
  }
  state.screen = name;
  for (const screen of Object.keys(SCREENS)) $(`screen-${screen}`).hidden = screen !== name;
  for (const link of document.querySelectorAll("[data-screen-link]")) {
    if (link.dataset.screenLink === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  updateTitle();
  if (name === "preview" && state.routeStale && !state.guidance) replan();
  if (focus) {
    window.scrollTo(0, 0);
    $(SCREENS[name].heading).focus();
  }
}

function updateTitle() {
  const name = state.place ? state.place.name : "";
  const titles = {
    destination: t("title_destination"),
    preview: t("title_preview", { name }),
    guide: t("title_guide", { name }),
    settings: t("title_settings"),
  };
  document.title = `${titles[state.screen] || ""} – Lotse`;
}

function showError(screen, error) {
  const box = $(`${screen}-error`);
  const message = error instanceof ApiError || error instanceof Error ? error.message : String(error);
  if (box) {
    box.textContent = message;
    box.hidden = false;
  }
  output.alert(message);
}

function clearError(screen) {
  const box = $(`${screen}-error`);
  if (box) {
    box.hidden = true;
    box.textContent = "";
  }
}

// ---------------------------------------------------------------------------------------------- position
function currentPosition() {
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
async function enableCompass() {
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

// ------------------------------------------------------------------------------------------- destination
const destinationCombo = new Combobox({
  input: $("dest-input"),
  list: $("dest-list"),
  search: (query, signal) => geocode(query, state.settings.lang, state.lastPosition, signal).then((body) => body.results || []),
  onSelect: (place) => choosePlace(place),
  onError: (error) => showError("destination", error),
  announce: (text) => output.status(text),
});

const startCombo = new Combobox({
  input: $("start-input"),
  list: $("start-list"),
  search: (query, signal) => geocode(query, state.settings.lang, state.lastPosition, signal).then((body) => body.results || []),
  onSelect: (place) => {
    state.startPlace = place;
    output.status(t("start_chosen", { name: place.name }));
  },
  onError: (error) => showError("destination", error),
  announce: (text) => output.status(text),
});

$("dest-input").addEventListener("input", () => {
  if (state.place && $("dest-input").value.trim() !== state.place.name) {
    state.place = null;
    renderChosen();
  }
});
$("start-input").addEventListener("input", () => { state.startPlace = null; });

function startFromHere() {
  return document.querySelector('input[name="start"]:checked').value === "here";
}

for (const radio of document.querySelectorAll('input[name="start"]')) {
  radio.addEventListener("change", () => {
    $("start-field").hidden = startFromHere();
    if (startFromHere()) state.startPlace = null;
  });
}

function choosePlace(place) {
  state.place = place;
  clearError("destination");
  renderChosen();
  output.status(t("destination_chosen", { name: place.name }));
}

function placeLabel(place) {
  return place.kind_label ? `${place.name}, ${place.kind_label}` : place.name;
}

function renderChosen() {
  const chosen = $("chosen");
  const toggle = $("fav-toggle");
  if (!state.place) {
    chosen.hidden = true;
    toggle.hidden = true;
    return;
  }
  chosen.textContent = t("chosen_destination", { place: placeLabel(state.place) });
  chosen.hidden = false;
  toggle.hidden = false;
  toggle.setAttribute("aria-pressed", String(store.isFavourite(state.place)));
}

function toggleFavourite() {
  if (!state.place) return;
  const now = store.toggleFavourite(state.place);
  output.status(t(now ? "favourite_added" : "favourite_removed", { name: state.place.name }));
  renderChosen();
  renderLists();
  $("fav-toggle-preview").setAttribute("aria-pressed", String(now));
}

$("fav-toggle").addEventListener("click", toggleFavourite);
$("fav-toggle-preview").addEventListener("click", toggleFavourite);

$("destination-form").addEventListener("submit", (event) => {
  event.preventDefault();
  clearError("destination");
  if (!state.place) {
    showError("destination", t($("dest-input").value.trim() ? "error_choose_suggestion" : "error_no_destination"));
    $("dest-input").focus();
    return;
  }
  if (!startFromHere() && !state.startPlace) {
    showError("destination", t("error_choose_start"));
    $("start-input").focus();
    return;
  }
  plan(state.place, startFromHere() ? null : state.startPlace);
});

function renderPlaceList(list, empty, places, removable) {
  list.replaceChildren();
  empty.hidden = places.length > 0;
  for (const place of places) {
    const item = document.createElement("li");
    const choose = document.createElement("button");
    choose.type = "button";
    choose.className = "place";
    choose.append(place.name);
    if (place.kind_label) {
      const kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = `, ${place.kind_label}`;
      choose.append(kind);
    }
    choose.addEventListener("click", () => {
      destinationCombo.set(place);
      choosePlace(place);
      if (!startFromHere() && !state.startPlace) {
        showError("destination", t("error_choose_start"));
        $("start-input").focus();
        return;
      }
      plan(place, startFromHere() ? null : state.startPlace);
    });
    item.append(choose);
    if (removable) {
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = t("remove");
      remove.setAttribute("aria-label", t("remove_favourite", { name: place.name }));
      remove.addEventListener("click", () => {
        store.removeFavourite(place);
        output.status(t("favourite_removed", { name: place.name }));
        renderLists();
        renderChosen();
        $("h-favourites").setAttribute("tabindex", "-1");
        $("h-favourites").focus();
      });
      item.append(remove);
    }
    list.append(item);
  }
}

function renderLists() {
  renderPlaceList($("favourites"), $("favourites-empty"), store.favourites(), true);
  const recent = store.recent();
  renderPlaceList($("recent"), $("recent-empty"), recent, false);
  $("recent-clear").hidden = recent.length === 0;
}

$("recent-clear").addEventListener("click", () => {
  store.clearRecent();
  renderLists();
  output.status(t("recent_cleared"));
  $("h-recent").setAttribute("tabindex", "-1");
  $("h-recent").focus();
});

// -------------------------------------------------------------------------------------------- planning
function buildRequest(from, place) {
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

async function plan(place, startPlace, { navigate = true } = {}) {
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
    renderLists();
    renderPreview();
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

async function replan() {
  state.routeStale = false;
  if (!state.request || !state.place) return;
  output.status(t("replanning"));
  try {
    const request = buildRequest(state.request.from, state.place);
    state.route = await planRoute(request);
    state.request = request;
    state.stepIndex = 0;
    renderPreview();
    output.status(t("replanned"));
  } catch (error) {
    showError("preview", error);
  }
}

// --------------------------------------------------------------------------------------------- preview
function joinNames(names) {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} ${t("and")} ${names[names.length - 1]}`;
}

function describeCrossing(crossing) {
  const names = [...new Set((crossing.streets || []).map((street) => street.name).filter(Boolean))];
  const parts = [`${names.length ? joinNames(names) : t("unnamed_street")}: ${t(`control_${crossing.control}`) || crossing.control}.`];
  if (crossing.signals === "yes" || crossing.control === "traffic_signals") {
    parts.push(t("fact_acoustic", { value: t(`tri_${crossing.acoustic_signal}`) }));
  }
  parts.push(t("fact_tactile", { value: t(`tri_${crossing.tactile_paving}`) }));
  parts.push(t("fact_island", { value: t(`tri_${crossing.island}`) }));
  return parts.join(" ");
}

function describeSteps(steps) {
  const parts = [steps.step_count === null || steps.step_count === undefined
    ? t("steps_count_unknown") : t("steps_count", { count: steps.step_count, n: steps.step_count })];
  if (steps.direction === "up" || steps.direction === "down") parts.push(t(`steps_${steps.direction}`));
  parts.push(t("fact_handrail", { value: t(`tri_${steps.handrail}`) }));
  if (steps.ramp) parts.push(t("fact_ramp", { value: t(`tri_${steps.ramp}`) }));
  return parts.join(" ");
}

function describeGap(gap) {
  const known = ["crossing_control_unknown", "acoustic_signal_unknown", "tactile_paving_unknown", "step_count_unknown",
    "handrail_unknown", "surface_unknown", "sidewalk_unknown"];
  const key = known.includes(gap.kind) ? `gap_${gap.kind}` : "gap_other";
  return t(key, { count: gap.count ?? 2, n: gap.count ?? "", length: dative(gap.length_m || 0, state.settings),
    kind: gap.kind });
}

function listItem(at, text) {
  const item = document.createElement("li");
  const where = document.createElement("span");
  where.className = "at";
  where.textContent = `${at}:`;
  item.append(where, text);
  return item;
}

function renderPreview() {
  const route = state.route;
  if (!route) return;
  const s = state.settings;
  $("h-preview").textContent = t("preview_heading", { name: state.place.name });
  const crossings = route.crossings || [];
  const steps = route.steps || [];
  const summary = [
    t("summary_main", { distance: distance(route.distance_m, s), duration: duration(route.duration_s) }),
    crossings.length ? t("summary_crossings", { count: crossings.length, n: crossings.length }) : t("summary_no_crossings"),
    steps.length ? t("summary_steps", { count: steps.length, n: steps.length }) : t("summary_no_steps"),
    state.startPlace ? t("summary_from_place", { name: state.startPlace.name }) : t("summary_from_here"),
  ];
  $("preview-summary").textContent = summary.join(" ");
  $("start-guidance").textContent = t(state.startPlace ? "start_guidance_here" : "start_guidance");
  $("fav-toggle-preview").setAttribute("aria-pressed", String(store.isFavourite(state.place)));
  $("explanation").textContent = route.explanation?.text || "";

  const instructions = route.instructions || [];
  $("h-instructions").textContent = t("instructions_heading_n", { n: instructions.length });
  $("instruction-list").replaceChildren(...instructions.map((instruction, index) => listItem(
    index === 0 ? t("at_start") : capitalize(distanceAfter(instruction.distance_m, s)), instruction.text)));

  $("h-crossings").textContent = t("crossings_heading_n", { n: crossings.length });
  $("crossings-empty").hidden = crossings.length > 0;
  $("crossing-list").replaceChildren(...crossings.map((crossing) =>
    listItem(capitalize(distanceAfter(crossing.distance_m, s)), describeCrossing(crossing))));

  const obstacles = [
    ...steps.map((item) => ({ at: item.distance_m, text: describeSteps(item) })),
    ...(route.barriers || []).map((item) => ({ at: item.distance_m, text: t(`barrier_${item.kind}`) || t("barrier_other") })),
  ].sort((a, b) => a.at - b.at);
  $("steps-empty").hidden = obstacles.length > 0;
  $("step-list").replaceChildren(...obstacles.map((item) => listItem(capitalize(distanceAfter(item.at, s)), item.text)));

  const gaps = route.data_gaps || [];
  $("gaps-empty").hidden = gaps.length > 0;
  $("gap-list").replaceChildren(...gaps.map((gap) => {
    const item = document.createElement("li");
    item.textContent = describeGap(gap);
    return item;
  }));
  renderStep();
  updateTitle();
}

function stepDescription() {
  const instructions = state.route.instructions || [];
  const index = Math.min(state.stepIndex, instructions.length - 1);
  const instruction = instructions[index];
  const at = index === 0 ? t("at_start") : capitalize(distanceAfter(instruction.distance_m, state.settings));
  return {
    position: t("step_position", { i: index + 1, n: instructions.length, at }),
    text: instruction ? instruction.text : "",
  };
}

function renderStep() {
  const { position, text } = stepDescription();
  $("step-position").textContent = position;
  $("step-text").textContent = text;
}

function step(by) {
  const count = (state.route?.instructions || []).length;
  const next = state.stepIndex + by;
  if (next < 0 || next >= count) {
    output.status(t(next < 0 ? "step_first" : "step_last"));
    return;
  }
  state.stepIndex = next;
  renderStep();
  const { position, text } = stepDescription();
  output.status(`${position}. ${text}`);
}

$("step-prev").addEventListener("click", () => step(-1));
$("step-next").addEventListener("click", () => step(1));

// -------------------------------------------------------------------------------------------- guidance
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
function offerResume() {
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

// -------------------------------------------------------------------------------------------- settings
const PREFERENCES = [
  { name: "steps", values: ["use", "avoid", "never"] },
  { name: "prefer_acoustic_signals", values: [true, false] },
  { name: "prefer_tactile_paving", values: [true, false] },
  { name: "prefer_handrail", values: [true, false] },
  { name: "unknown", values: ["optimistic", "cautious"] },
  { name: "max_detour", values: [1.1, 1.25, 1.5, 2] },
];

function prefValueLabel(name, value) {
  if (value === true) return t("pref_yes");
  if (value === false) return t("pref_no");
  if (name === "max_detour") return t("pref_detour_value", { n: number(Math.round((value - 1) * 100)) });
  return t(`pref_${name}_${value}`);
}

function buildPreferenceFields() {
  const container = $("pref-fields");
  container.replaceChildren();
  for (const pref of PREFERENCES) {
    const field = document.createElement("div");
    field.className = "field";
    const label = document.createElement("label");
    label.htmlFor = `pref-${pref.name}`;
    label.textContent = t(`pref_${pref.name}`);
    const select = document.createElement("select");
    select.id = `pref-${pref.name}`;
    select.dataset.pref = pref.name;
    const fallback = document.createElement("option");
    fallback.value = "";
    fallback.textContent = t("pref_profile_default");
    select.append(fallback);
    for (const value of pref.values) {
      const option = document.createElement("option");
      option.value = JSON.stringify(value);
      option.textContent = prefValueLabel(pref.name, value);
      select.append(option);
    }
    const current = state.settings.prefs[pref.name];
    select.value = current === undefined ? "" : JSON.stringify(current);
    select.addEventListener("change", () => {
      if (select.value === "") delete state.settings.prefs[pref.name];
      else state.settings.prefs[pref.name] = JSON.parse(select.value);
      settingsChanged(true);
    });
    field.append(label, select);
    container.append(field);
  }
}

function buildVibrationFields() {
  const grid = $("vibration-grid");
  grid.replaceChildren();
  for (const event of store.VIBRATION_EVENTS) {
    const field = document.createElement("div");
    field.className = "field";
    const label = document.createElement("label");
    label.htmlFor = `vibration-${event}`;
    label.textContent = t(`vibration_${event}`);
    const select = document.createElement("select");
    select.id = `vibration-${event}`;
    for (const name of Object.keys(store.VIBRATION_PATTERNS)) {
      const option = document.createElement("option");
      option.value = name;
      option.textContent = t(`pattern_${name}`);
      select.append(option);
    }
    select.value = state.settings.patterns[event];
    select.addEventListener("change", () => {
      state.settings.patterns[event] = select.value;
      settingsChanged(false);
    });
    field.append(label, select);
    const row = document.createElement("div");
    row.className = "vibration-row";
    const tryIt = document.createElement("button");
    tryIt.type = "button";
    tryIt.textContent = t("vibration_try");
    tryIt.setAttribute("aria-label", t("vibration_try_named", { name: t(`vibration_${event}`) }));
    tryIt.addEventListener("click", () => {
      if ("vibrate" in navigator) navigator.vibrate(store.VIBRATION_PATTERNS[select.value]);
      else output.status(t("vibration_unsupported"));
    });
    row.append(field, tryIt);
    grid.append(row);
  }
  $("vibration-unsupported").hidden = "vibrate" in navigator;
}

function fillSettingsForm() {
  const form = $("settings-form");
  const s = state.settings;
  for (const name of ["lang", "output", "verbosity", "units"]) {
    for (const radio of form.querySelectorAll(`input[name="${name}"]`)) radio.checked = radio.value === s[name];
  }
  form.elements.rate.value = String(s.rate);
  form.elements.step_length_m.value = String(s.step_length_m);
  form.elements.clock_face.checked = Boolean(s.clock_face);
  form.elements.vibration.checked = Boolean(s.vibration);
  form.elements.profile.value = s.profile;
  $("step-length-field").hidden = s.units !== "steps";
  buildPreferenceFields();
  buildVibrationFields();
}

function settingsChanged(affectsRoute) {
  store.saveSettings(state.settings);
  if (affectsRoute && state.route) state.routeStale = true;
}

$("settings-form").addEventListener("submit", (event) => event.preventDefault());
$("settings-form").addEventListener("change", async (event) => {
  const target = event.target;
  const s = state.settings;
  switch (target.name) {
    case "lang":
      s.lang = target.value;
      settingsChanged(true);
      await loadLanguage(s.lang);
      translateAll();
      output.status(t("language_changed"));
      return;
    case "output":
    case "verbosity":
    case "units":
      s[target.name] = target.value;
      $("step-length-field").hidden = s.units !== "steps";
      settingsChanged(target.name !== "output");
      if (target.name === "units") renderPreview();
      return;
    case "rate":
      s.rate = target.value;
      settingsChanged(false);
      return;
    case "step_length_m": {
      const value = Number(String(target.value).replace(",", "."));
      if (Number.isFinite(value) && value >= 0.3 && value <= 1.5) {
        s.step_length_m = value;
        target.removeAttribute("aria-invalid");
        settingsChanged(true);
        renderPreview();
      } else {
        target.setAttribute("aria-invalid", "true");
        output.alert(t("error_step_length"));
      }
      return;
    }
    case "clock_face":
    case "vibration":
      s[target.name] = target.checked;
      settingsChanged(target.name === "clock_face");
      return;
    case "profile":
      s.profile = target.value;
      settingsChanged(true);
      return;
    default:
      return;
  }
});

$("test-voice").addEventListener("click", () => {
  output.hush();
  output.say(t("voice_sample"), { lang: state.settings.lang, urgent: false });
});

$("clear-data").addEventListener("click", () => {
  store.clearAll();
  renderLists();
  renderChosen();
  output.status(t("data_cleared"));
});

// ------------------------------------------------------------------------------------------------ start
function translateAll() {
  applyTranslations();
  fillSettingsForm();
  renderLists();
  renderChosen();
  if (state.route) renderPreview();
  if (state.guidance) {
    $("h-guide").textContent = t("guide_heading", { name: state.guidance.active.destination.name });
    guideView.connection(state.guidance.mode === "offline" ? "offline" : "online");
    $("btn-pause").textContent = t(state.guidance.paused ? "btn_resume" : "btn_pause");
    setGuideButtons(false);
  } else if (state.guideFinished) {
    setGuideButtons(true);
  }
  offerResume();
  updateTitle();
}

async function init() {
  await loadLanguage(state.settings.lang);
  translateAll();
  window.addEventListener("hashchange", () => showScreen(screenFromHash()));
  showScreen(screenFromHash(), { focus: false });
  if ("serviceWorker" in navigator && location.protocol !== "file:") {
    navigator.serviceWorker.register("/sw.js").catch(() => {});
  }
}

init();
