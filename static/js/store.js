// What the app keeps on the device (localStorage): settings, favourite and recent destinations, and the route of a
// guidance in progress so it survives a reload without network.

const KEYS = {
  settings: "lotse.settings",
  favourites: "lotse.favourites",
  recent: "lotse.recent",
  active: "lotse.activeGuidance",
  profileChoices: "lotse.profileChoices",
};
const MAX_RECENT = 8;
const ACTIVE_MAX_AGE_MS = 12 * 3600 * 1000;

export const VIBRATION_PATTERNS = {
  one_long: [500],
  two_short: [150, 100, 150],
  three_short: [120, 80, 120, 80, 120],
  long_short: [400, 120, 150],
  short_long: [150, 120, 400],
  two_long: [400, 150, 400],
  rapid: [60, 50, 60, 50, 60, 50, 60, 50, 60],
};
export const VIBRATION_EVENTS = ["left", "right", "arrive", "warning"];

function read(key, fallback) {
  try {
    const value = JSON.parse(localStorage.getItem(key));
    return value ?? fallback;
  } catch {
    return fallback;
  }
}

function write(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Private mode or a full storage: the app still works for this visit.
  }
}

function defaultLanguage() {
  for (const tag of navigator.languages || [navigator.language || "de"]) {
    const base = String(tag).slice(0, 2).toLowerCase();
    if (base === "de" || base === "en") return base;
  }
  return "de";
}

export function defaultSettings() {
  return {
    lang: defaultLanguage(),
    output: "screenreader",
    rate: "1",
    verbosity: "normal",
    units: "metres",
    step_length_m: 0.7,
    clock_face: false,
    vibration: true,
    patterns: { left: "two_short", right: "one_long", arrive: "two_long", warning: "rapid" },
    profile: "blind",
    prefs: {},
  };
}

export function loadSettings() {
  const stored = read(KEYS.settings, {});
  const defaults = defaultSettings();
  return { ...defaults, ...stored, patterns: { ...defaults.patterns, ...(stored.patterns || {}) },
    prefs: { ...(stored.prefs || {}) } };
}

export function saveSettings(settings) {
  write(KEYS.settings, settings);
}

export function placeKey(place) {
  return `${Number(place.lat).toFixed(6)},${Number(place.lon).toFixed(6)}`;
}

function slim(place) {
  return { id: place.id ?? null, name: place.name, kind: place.kind ?? "", kind_label: place.kind_label ?? "",
    lat: Number(place.lat), lon: Number(place.lon) };
}

export function favourites() {
  return read(KEYS.favourites, []);
}

export function isFavourite(place) {
  return favourites().some((p) => placeKey(p) === placeKey(place));
}

export function toggleFavourite(place) {
  const list = favourites();
  const key = placeKey(place);
  const next = list.some((p) => placeKey(p) === key) ? list.filter((p) => placeKey(p) !== key) : [...list, slim(place)];
  write(KEYS.favourites, next);
  return next.some((p) => placeKey(p) === key);
}

export function removeFavourite(place) {
  write(KEYS.favourites, favourites().filter((p) => placeKey(p) !== placeKey(place)));
}

export function recent() {
  return read(KEYS.recent, []);
}

export function addRecent(place) {
  const key = placeKey(place);
  write(KEYS.recent, [slim(place), ...recent().filter((p) => placeKey(p) !== key)].slice(0, MAX_RECENT));
}

export function clearRecent() {
  write(KEYS.recent, []);
}

export function clearAll() {
  write(KEYS.recent, []);
  write(KEYS.favourites, []);
}

/** The guidance in progress: route, destination and the request it was planned with. */
/** The server's profiles and named preference values (GET /api/health `profiles`), as last received. */
export function loadProfileChoices() {
  const choices = read(KEYS.profileChoices, null);
  if (!Array.isArray(choices?.names) || typeof choices.preferences !== "object") return { names: [], preferences: {} };
  return choices;
}

export function saveProfileChoices(choices) {
  write(KEYS.profileChoices, choices);
}

export function saveActive(active) {
  write(KEYS.active, { ...active, saved_at: Date.now() });
}

export function loadActive() {
  const active = read(KEYS.active, null);
  // A route kept by an older version of the app has no tracking rules to guide by on the device: not offered.
  if (!active || !active.route?.tracking || Date.now() - (active.saved_at || 0) > ACTIVE_MAX_AGE_MS) return null;
  return active;
}

export function clearActive() {
  try {
    localStorage.removeItem(KEYS.active);
  } catch {
    // nothing to clear
  }
}
