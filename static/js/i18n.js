// UI texts in German and English from static/i18n/<lang>.json. Instruction texts come from the server already in
// the chosen language; everything the app itself shows or says comes from here.

export const LANGUAGES = ["de", "en"];
const tables = {};
let current = "de";

export async function loadLanguage(lang) {
  if (!LANGUAGES.includes(lang)) lang = "de";
  if (!tables[lang]) {
    const response = await fetch(`/static/i18n/${lang}.json`);
    tables[lang] = await response.json();
  }
  current = lang;
  return lang;
}

export function language() {
  return current;
}

/** The text for `key`, with {slots} filled; a {one, other} entry is chosen by params.count. */
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
  return new Intl.NumberFormat(current === "de" ? "de-DE" : "en-GB", {
    maximumFractionDigits: digits,
    minimumFractionDigits: 0,
  }).format(value);
}
