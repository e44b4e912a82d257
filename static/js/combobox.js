// A search field with suggestions, after the ARIA combobox pattern (list autocomplete): typing asks the geocoder,
// the number of suggestions is announced politely, arrow keys move through them (aria-activedescendant), Enter
// chooses, Escape closes the list. Options can also be tapped, which is how touch screen readers use them.

import { t } from "./i18n.js";

const DEBOUNCE_MS = 250;
const MIN_CHARS = 2;

export class Combobox {
  /**
   * input, list: the elements; search(query, signal) → Promise<results>; onSelect(result); onError(error);
   * announce(text): the polite live region.
   */
  constructor({ input, list, search, onSelect, onError, announce }) {
    Object.assign(this, { input, list, search, onSelect, onError, announce });
    this.results = [];
    this.active = -1;
    this.timer = null;
    this.controller = null;
    this.lastQuery = "";
    this.selected = null;
    input.addEventListener("input", () => this.scheduleSearch());
    input.addEventListener("keydown", (event) => this.keydown(event));
    input.addEventListener("blur", () => setTimeout(() => {
      if (!this.list.contains(document.activeElement)) this.close();
    }, 150));
    list.addEventListener("mousedown", (event) => event.preventDefault()); // keep the focus in the field
    list.addEventListener("click", (event) => {
      const option = event.target.closest("[role=option]");
      if (option) this.choose(Number(option.dataset.index));
    });
  }

  scheduleSearch() {
    this.selected = null;
    clearTimeout(this.timer);
    const query = this.input.value.trim();
    if (query.length < MIN_CHARS) {
      if (this.controller) this.controller.abort();
      this.close();
      this.results = [];
      return;
    }
    this.timer = setTimeout(() => this.run(query), DEBOUNCE_MS);
  }

  async run(query) {
    if (this.controller) this.controller.abort();
    const controller = new AbortController();
    this.controller = controller;
    try {
      const results = await this.search(query, controller.signal);
      if (controller.signal.aborted || this.input.value.trim() !== query) return;
      this.lastQuery = query;
      this.show(results);
    } catch (error) {
      if (error.name === "AbortError") return;
      this.close();
      this.onError(error);
    }
  }

  show(results) {
    this.results = results;
    this.active = -1;
    this.list.replaceChildren();
    this.input.removeAttribute("aria-activedescendant");
    results.forEach((result, index) => {
      const option = document.createElement("li");
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.id = `${this.list.id}-${index}`;
      option.dataset.index = String(index);
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = result.name;
      option.append(name);
      if (result.kind_label) {
        const separator = document.createElement("span");
        separator.className = "visually-hidden";
        separator.textContent = ", ";
        const kind = document.createElement("span");
        kind.className = "kind";
        kind.textContent = result.kind_label;
        option.append(separator, kind);
      }
      this.list.append(option);
    });
    if (results.length) {
      this.open();
      this.announce(t("suggestions_count", { count: results.length }));
    } else {
      this.close();
      this.announce(t("suggestions_none", { query: this.lastQuery }));
    }
  }

  open() {
    this.list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
  }

  close() {
    this.list.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
    this.active = -1;
  }

  isOpen() {
    return !this.list.hidden;
  }

  move(to) {
    const options = this.list.querySelectorAll("[role=option]");
    if (!options.length) return;
    this.active = (to + options.length) % options.length;
    options.forEach((option, index) => option.setAttribute("aria-selected", String(index === this.active)));
    const option = options[this.active];
    this.input.setAttribute("aria-activedescendant", option.id);
    option.scrollIntoView({ block: "nearest" });
  }

  keydown(event) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!this.results.length) return;
      event.preventDefault();
      if (!this.isOpen()) this.open();
      const step = event.key === "ArrowDown" ? 1 : -1;
      this.move(this.active < 0 ? (step > 0 ? 0 : this.results.length - 1) : this.active + step);
    } else if (event.key === "Enter") {
      if (this.isOpen() && this.active >= 0) {
        event.preventDefault();
        this.choose(this.active);
      }
    } else if (event.key === "Escape") {
      if (this.isOpen()) {
        event.preventDefault();
        this.close();
      }
    }
  }

  choose(index) {
    const result = this.results[index];
    if (!result) return;
    this.input.value = result.name;
    this.selected = result;
    this.close();
    this.input.focus();
    this.onSelect(result);
  }

  /** Put a known place into the field without searching (a favourite or a recent destination). */
  set(place) {
    this.input.value = place ? place.name : "";
    this.selected = place;
    this.results = [];
    this.close();
  }
}
