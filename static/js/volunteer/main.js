// Lotse for volunteers: a page of the same PWA with four screens (report an obstacle, nearby reports, nearby quests,
// account), switched by the URL hash. As on the walker screens: focus moves to each new screen's heading, results are
// announced politely, errors (the server's own words, in the UI language) assertively, and nothing needs the map
// (it is an addition for sighted helpers: static/js/volunteer/map.js).

import * as api from "./api.js";
import { applyTranslations, loadLanguage, language, t } from "../i18n.js";
import { QuestList, ReportList } from "./nearby.js";
import { PositionWatch } from "./position.js";
import { ReportForm } from "./report.js";
import { $, announce, clearError, showError } from "./ui.js";
import { loadSettings, saveSettings } from "../store.js";

const SCREENS = ["report", "reports", "quests", "account"];

const state = {
  user: null,
  screen: null,
};

const watch = new PositionWatch({
  onFix: (fix) => {
    const first = !state.hadFix;
    state.hadFix = true;
    reportForm.onFix(fix);
    // The lists are read once a position is known; after that only on request (no surprise changes under a reader).
    if (first && state.screen === "reports" && reportList.reports === null) reportList.load();
    if (first && state.screen === "quests" && questList.quests === null) questList.load();
    if (state.screen === "reports" && reportList.reports === null) reportList.render();
    if (state.screen === "quests" && questList.quests === null) questList.render();
  },
  onError: (message) => reportForm.onPositionError(message),
});

const ctx = {
  watch,
  user: () => state.user,
  signedOut: () => setUser(null),
  /** Where the lists look: a position the person typed on the report screen, else the device's. */
  centre: () => {
    const typed = reportForm.edited ? reportForm.typedPosition() : null;
    if (typed) return { ...typed, typed: true };
    return watch.fix ? { ...watch.fix, typed: false } : null;
  },
};

const reportForm = new ReportForm(ctx);
const reportList = new ReportList(ctx);
const questList = new QuestList(ctx);

// ------------------------------------------------------------------------------------------------ screens
function screenFromHash() {
  const name = location.hash.replace(/^#\/?/, "");
  if (SCREENS.includes(name)) return name;
  return state.user ? "report" : "account";
}

function showScreen(name, { focus = true } = {}) {
  if (location.hash !== `#/${name}`) history.replaceState(null, "", `#/${name}`);
  state.screen = name;
  for (const screen of SCREENS) $(`screen-${screen}`).hidden = screen !== name;
  for (const link of document.querySelectorAll("[data-screen-link]")) {
    if (link.dataset.screenLink === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  updateTitle();
  if (name === "reports" && reportList.reports === null) reportList.load();
  if (name === "quests" && questList.quests === null) questList.load();
  if (name === "reports") reportList.render();
  if (name === "quests") questList.render();
  if (name === "report") reportForm.showMap();
  if (focus) {
    window.scrollTo(0, 0);
    $(`h-${name}`).focus();
  }
}

function go(name) {
  if (location.hash === `#/${name}`) showScreen(name);
  else location.hash = `#/${name}`;
}

function updateTitle() {
  document.title = `${t(`title_${state.screen}`)} – ${t("brand")}`;
}

// ------------------------------------------------------------------------------------------------ account
function setUser(user) {
  const changed = (state.user?.id ?? null) !== (user?.id ?? null);
  state.user = user;
  renderAccount();
  if (changed) {
    reportList.render();
    questList.quests = null; // answered quests differ per volunteer
    if (state.screen === "quests") questList.load();
  }
}

function renderAccount() {
  const user = state.user;
  const who = $("whoami");
  who.dataset.state = user ? "in" : "out";
  who.textContent = user ? t("signed_in_short", { name: user.name }) : t("signed_out_short");
  $("account-in").hidden = !user;
  $("account-out").hidden = Boolean(user);
  $("signed-in-as").textContent = user ? t("signed_in_as", { name: user.name, email: user.email }) : "";
  for (const element of document.querySelectorAll("[data-needs]")) {
    element.hidden = element.dataset.needs === "in" ? !user : Boolean(user);
  }
  if (!$("report-done").hidden) $("report-form").hidden = true;
}

function fieldFor(form, code) {
  const fields = { weak_password: "password", bad_login: "email", email_taken: "email" };
  return fields[code] ? form.elements[fields[code]] : null;
}

async function accountSubmit(form, action) {
  if (state.busy) return;
  clearError("account");
  const elements = form.elements;
  const names = ["name", "email", "password"].filter((name) => elements[name]);
  // Empty fields and a mistyped address are said here, in plain words; the rest (a short password, a wrong login,
  // an address already taken) the server says.
  for (const name of names) {
    const value = elements[name].value.trim();
    const bad = !value || (name === "email" && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value));
    if (bad) {
      showError("account", t(value ? "error_email" : `error_empty_${name}`), elements[name]);
      return;
    }
  }
  const values = names.map((name) => elements[name].value);
  state.busy = true;
  form.setAttribute("aria-busy", "true");
  try {
    const user = await action(...values.map((value, i) => (i === values.length - 1 ? value : value.trim())));
    form.reset();
    setUser(user);
    go("report");
    announce(t("signed_in_announce", { name: user.name }));
  } catch (error) {
    showError("account", error, fieldFor(form, error.code));
  } finally {
    state.busy = false;
    form.removeAttribute("aria-busy");
  }
}

$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  accountSubmit(event.target, api.login);
});

$("register-form").addEventListener("submit", (event) => {
  event.preventDefault();
  accountSubmit(event.target, api.register);
});

$("logout").addEventListener("click", async () => {
  clearError("account");
  try {
    await api.logout();
    setUser(null);
    $("h-login").focus();
    announce(t("signed_out_announce"));
  } catch (error) {
    showError("account", error);
  }
});

// ----------------------------------------------------------------------------------------------- language
function translateAll() {
  applyTranslations();
  const other = language() === "de" ? "en" : "de";
  const toggle = $("lang-toggle");
  toggle.lang = other;
  toggle.textContent = other === "de" ? "Deutsch" : "English";
  reportForm.translate();
  renderAccount();
  reportList.render();
  questList.render();
  for (const screen of SCREENS) clearError(screen); // the server's messages were in the other language
  if (state.screen) updateTitle();
}

$("lang-toggle").addEventListener("click", async () => {
  const settings = loadSettings();
  settings.lang = language() === "de" ? "en" : "de";
  saveSettings(settings); // the walker screens share the language
  await loadLanguage(settings.lang, "volunteer.");
  translateAll();
  announce(t("language_changed"));
});

// ------------------------------------------------------------------------------------------------ start
async function init() {
  await loadLanguage(loadSettings().lang, "volunteer.");
  translateAll();
  try {
    setUser(await api.me());
  } catch (error) {
    showError("account", error);
  }
  window.addEventListener("hashchange", () => showScreen(screenFromHash()));
  showScreen(screenFromHash(), { focus: false });
  document.body.dataset.ready = "true"; // for the browser tests: translated, the account state known
  watch.start();
  if ("serviceWorker" in navigator && location.protocol !== "file:") {
    navigator.serviceWorker.register("/sw.js").catch(() => {});
  }
}

init();
