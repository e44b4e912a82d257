// UI texts of the volunteer pages in German and English, from static/i18n/volunteer.<lang>.json (German first: a
// missing English text falls back to German). Server texts (error messages, quest questions) arrive already in the
// chosen language; everything else the page shows or announces comes from here.

export const LANGUAGES = ["de", "en"];
const LOCALES = { de: "de-DE", en: "en-GB" };
const tables = {};
let current = "de";

export async function loadLanguage(lang) {
  if (!LANGUAGES.includes(lang)) lang = "de";
  for (const name of new Set(["de", lang])) {
    if (!tables[name]) {
      const response = await fetch(`/static/i18n/volunteer.${name}.json`);
      tables[name] = await response.json();
    }
  }
  current = lang;
  return lang;
}

export function language() {
  return current;
}

/** The text for `key` with {slots} filled; a {one, other} entry is chosen by params.count. */
export function t(key, params = {}) {
  let entry = tables[current]?.[key];
  if (entry === undefined) entry = tables.de?.[key];
  if (entry === undefined) return key;
  if (typeof entry === "object") entry = params.count === 1 ? entry.one : entry.other;
  return entry.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
}

/** Translate the static markup: data-i18n sets the text, data-i18n-attr="attr:key;attr:key" sets attributes. */
export function applyTranslations(root = document) {
  document.documentElement.lang = current;
  for (const element of root.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
  for (const element of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of element.dataset.i18nAttr.split(";")) {
      const [attribute, key] = pair.split(":");
      element.setAttribute(attribute.trim(), t(key.trim()));
    }
  }
}

/** A number in the UI language's format (1,5 or 1.5). */
export function number(value, digits = 0) {
  return new Intl.NumberFormat(LOCALES[current], { maximumFractionDigits: digits }).format(value);
}

/** "28. Dezember 2026 um 23:40" / "28 December 2026 at 23:40". */
export function dateTime(value) {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(LOCALES[current], { dateStyle: "long", timeStyle: "short" }).format(date);
}
