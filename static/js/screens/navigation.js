// The four screens in one page, switched by the URL hash: focus moves to each new screen's heading, and the
// document title names the screen.

import { t } from "../i18n.js";
import { $, state } from "./common.js";

const SCREENS = {
  destination: { hash: "#/", heading: "h-destination" },
  preview: { hash: "#/preview", heading: "h-preview" },
  guide: { hash: "#/guide", heading: "h-guide" },
  settings: { hash: "#/settings", heading: "h-settings" },
};
const shownListeners = {};

/** Call `listener` whenever screen `name` is shown. */
export function onShow(name, listener) {
  (shownListeners[name] ||= []).push(listener);
}

export function screenFromHash() {
  const name = location.hash.replace(/^#\/?/, "");
  return { "": "destination", preview: "preview", guide: "guide", settings: "settings" }[name] || "destination";
}

export function go(name) {
  const hash = SCREENS[name].hash;
  if (location.hash === hash || (hash === "#/" && location.hash === "")) showScreen(name);
  else location.hash = hash;
}

export function showScreen(name, { focus = true } = {}) {
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
  for (const listener of shownListeners[name] || []) listener();
  if (focus) {
    window.scrollTo(0, 0);
    $(SCREENS[name].heading).focus();
  }
}

export function updateTitle() {
  const name = state.place ? state.place.name : "";
  const titles = {
    destination: t("title_destination"),
    preview: t("title_preview", { name }),
    guide: t("title_guide", { name }),
    settings: t("title_settings"),
  };
  document.title = `${titles[state.screen] || ""} – Lotse`;
}
