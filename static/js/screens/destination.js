// The destination screen: search with suggestions, another start than here, favourites and recent destinations.

import { geocode } from "../api.js";
import { Combobox } from "../combobox.js";
import { t } from "../i18n.js";
import * as store from "../store.js";
import { $, clearError, output, showError, state } from "./common.js";
import { onPlanned, plan } from "./planning.js";

export const destinationCombo = new Combobox({
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

export function choosePlace(place) {
  state.place = place;
  clearError("destination");
  renderChosen();
  output.status(t("destination_chosen", { name: place.name }));
}

function placeLabel(place) {
  return place.kind_label ? `${place.name}, ${place.kind_label}` : place.name;
}

export function renderChosen() {
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

export function renderLists() {
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

onPlanned(renderLists);
