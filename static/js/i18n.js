// UI texts in German and English from static/i18n/<lang>.json. Instruction texts come from the server already in
// the chosen language; everything the app itself shows or says comes from here.

export const LANGUAGES = ["de", "en"];
const tables = {};
const LOCALES = { de: "de-DE", en: "en-GB" };
let current = "de";
let prefix = "";

/** Load the UI texts of a page (`page` "" for the walker app, "volunteer." for the volunteer page), with German
 * as the fallback for a text missing in English. */
export async function loadLanguage(lang, page = "") {
  if (!LANGUAGES.includes(lang)) lang = "de";
  for (const name of new Set(["de", lang])) {
    const key = `${page}${name}`;
    if (!tables[key]) {
      const response = await fetch(`/static/i18n/${key}.json`);
      tables[key] = await response.json();
    }
  }
  current = lang;
  prefix = page;
  return lang;
}

export function language() {
  return current;
}

/** A template's {slots} filled from `params` (a slot without a value stays as it is). */
export function fill(template, params = {}) {
  return template.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
}

/** The text for `key`, with {slots} filled; a {one, other} entry is chosen by params.count. */
export function t(key, params = {}) {
  let entry = tables[`${prefix}${current}`]?.[key];
  if (entry === undefined) entry = tables[`${prefix}de`]?.[key];
  if (entry === undefined) return key;
  if (typeof entry === "object") entry = params.count === 1 ? entry.one : entry.other;
  return fill(entry, params);
}

/** Translate the static markup: data-i18n sets the text, data-i18n-attr="attr:key;attr:key" sets attributes. */
export function applyTranslations(root = document) {
  document.documentElement.lang = current;
  for (const element of root.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
  for (const element of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of element.dataset.i18nAttr.split(";")) {
      const [attribute, key] = pair.split(":");
      element.setAttribute(attribute.trim(), t(key.trim()));
    }
  }
}

/** A number in the UI language's format (1,5 or 1.5). */
export function number(value, digits = 0) {
  return new Intl.NumberFormat(LOCALES[current], {
    maximumFractionDigits: digits,
    minimumFractionDigits: 0,
  }).format(value);
}

/** "28. Dezember 2026 um 23:40" / "28 December 2026 at 23:40". */
export function dateTime(value) {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(LOCALES[current], { dateStyle: "long", timeStyle: "short" }).format(date);
}
