// The settings screen: language, speech, verbosity, units, directions, vibration, profile and preferences; kept on
// the device.

import { health } from "../api.js";
import { loadLanguage, number, t } from "../i18n.js";
import * as store from "../store.js";
import { $, output, state } from "./common.js";
import { renderChosen, renderLists } from "./destination.js";
import { renderPreview } from "./preview.js";

const languageListeners = [];

/** Call `listener` once the walker chose another language and its texts are loaded. */
export function onLanguageChanged(listener) {
  languageListeners.push(listener);
}

// The preferences offered here. The profiles and the values of "steps" and "unknown" are the server's (GET
// /api/health), kept on the device for use without network; yes/no and the detours are this screen's own choice.
const PREFERENCES = [
  { name: "steps" },
  { name: "prefer_acoustic_signals", values: [true, false] },
  { name: "prefer_tactile_paving", values: [true, false] },
  { name: "prefer_handrail", values: [true, false] },
  { name: "unknown" },
  { name: "max_detour", values: [1.1, 1.25, 1.5, 2] },
];
let choices = store.loadProfileChoices();

/** Ask the server for its profiles and preference values; the form is filled again when they changed. */
export async function loadProfileChoices() {
  let received;
  try {
    received = (await health()).profiles;
  } catch {
    return; // offline: the ones kept on the device stay
  }
  if (!received || JSON.stringify(received) === JSON.stringify(choices)) return;
  choices = received;
  store.saveProfileChoices(choices);
  fillSettingsForm();
}

function buildProfileOptions() {
  // Before the server was ever reached, the chosen profile is the only one known.
  const names = choices.names.length ? choices.names : [state.settings.profile];
  $("set-profile").replaceChildren(...names.map((name) => {
    const option = document.createElement("option");
    option.value = name;
    option.textContent = t(`profile_${name}`);
    return option;
  }));
}

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
    for (const value of pref.values ?? choices.preferences[pref.name] ?? []) {
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

export function fillSettingsForm() {
  const form = $("settings-form");
  const s = state.settings;
  for (const name of ["lang", "output", "verbosity", "units"]) {
    for (const radio of form.querySelectorAll(`input[name="${name}"]`)) radio.checked = radio.value === s[name];
  }
  form.elements.rate.value = String(s.rate);
  form.elements.step_length_m.value = String(s.step_length_m);
  form.elements.clock_face.checked = Boolean(s.clock_face);
  form.elements.vibration.checked = Boolean(s.vibration);
  buildProfileOptions();
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
      for (const listener of languageListeners) listener();
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
  output.say(t("voice_sample"), { lang: state.settings.lang });
});

$("clear-data").addEventListener("click", () => {
  store.clearAll();
  renderLists();
  renderChosen();
  output.status(t("data_cleared"));
});
