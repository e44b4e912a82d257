// "Report an obstacle": type, severity, description, how long it lasts, and where (the device's position, prefilled
// and editable as latitude and longitude for people who pick the place another way, or a tap on the map, snapped to
// the nearest walkable way and named; the marker can be dragged). The fields are the place: the map shows them.

import * as api from "./api.js";
import { dateTime, number, t } from "../i18n.js";
import { VolunteerMap } from "./map.js";
import { distanceWords, parseDegree } from "./position.js";
import { $, announce, clearError, el, showError } from "./ui.js";

// How long a report lasts unless the reporter says: the server applies these (REPORT_TYPES in app/reports.py);
// the form shows them. tests/browser/test_volunteer.py checks that both agree.
export const REPORT_TYPES = {
  construction: { days: 30 },
  blocked_sidewalk: { days: 1 },
  parked_vehicle: { hours: 2 },
  head_height_object: { days: 30 },
  damaged_surface: { days: 90 },
  tactile_paving_damaged: { days: 90 },
  acoustic_signal_broken: { days: 30 },
  steps_without_handrail: { days: 365 },
  temporary_event: { days: 1 },
  other: { days: 7 },
};
export const SEVERITIES = ["low", "medium", "high", "blocking"];
const MAX_VALIDITY_MS = 365 * 24 * 3600 * 1000;

function validityMs(type) {
  const v = REPORT_TYPES[type];
  return ((v.days || 0) * 24 + (v.hours || 0)) * 3600 * 1000;
}

/** "30 Tage", "2 Stunden", "1 Jahr". */
export function validityWords(type) {
  const v = REPORT_TYPES[type];
  if (v.hours) return t("validity_hours", { count: v.hours, n: number(v.hours) });
  if (v.days === 365) return t("validity_year");
  return t("validity_days", { count: v.days, n: number(v.days) });
}

export function typeName(type) {
  return t(`type_${type}`);
}

export class ReportForm {
  /** ctx: {watch, signedOut()} */
  constructor(ctx) {
    this.ctx = ctx;
    this.form = $("report-form");
    this.lat = $("report-lat");
    this.lon = $("report-lon");
    this.edited = false; // the person typed or picked a position: the device's fixes no longer overwrite it
    this.placed = null; // {street} when the position came from the map
    this.busy = false;
    this.map = new VolunteerMap($("report-map"), { onClick: (lat, lon) => this.placeAt(lat, lon),
      layers: ["graph", "reports"] });
    this.build();
    for (const input of [this.lat, this.lon]) {
      input.addEventListener("input", () => {
        this.edited = true;
        this.placed = null;
        this.renderPositionState();
      });
      input.addEventListener("change", () => this.showPlace());
    }
    this.form.addEventListener("change", (event) => {
      if (event.target.name === "type") this.renderValidityHint();
    });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    $("use-position").addEventListener("click", () => this.useCurrentPosition());
    $("report-another").addEventListener("click", () => {
      $("report-done").hidden = true;
      this.form.hidden = !this.ctx.user();
      this.form.querySelector('input[name="type"]').focus();
    });
    const now = new Date();
    now.setMinutes(now.getMinutes() - now.getTimezoneOffset());
    $("report-valid-until").min = now.toISOString().slice(0, 16);
  }

  build() {
    const types = $("type-options");
    for (const type of Object.keys(REPORT_TYPES)) {
      const input = el("input", { type: "radio", name: "type", value: type, id: `type-${type}` });
      types.append(el("label", { htmlFor: input.id }, input, el("span", { className: "option-text" },
        el("span", { className: "option-name", attrs: { "data-type": type } }),
        el("span", { className: "option-detail", attrs: { "data-validity": type } }))));
    }
    const severities = $("severity-options");
    for (const severity of SEVERITIES) {
      const input = el("input", { type: "radio", name: "severity", value: severity, id: `severity-${severity}`,
        defaultChecked: severity === "medium", checked: severity === "medium" });
      severities.append(el("label", { htmlFor: input.id }, input, el("span", { className: "option-text" },
        el("span", { className: "option-name", attrs: { "data-severity": severity } }),
        el("span", { className: "option-detail", attrs: { "data-severity-detail": severity } }))));
    }
  }

  /** Texts made here (not by data-i18n): after every language change. */
  translate() {
    for (const span of this.form.querySelectorAll("[data-type]")) span.textContent = typeName(span.dataset.type);
    for (const span of this.form.querySelectorAll("[data-validity]")) {
      span.textContent = t("validity_default", { duration: validityWords(span.dataset.validity) });
    }
    for (const span of this.form.querySelectorAll("[data-severity]")) span.textContent = t(`severity_${span.dataset.severity}`);
    for (const span of this.form.querySelectorAll("[data-severity-detail]")) {
      span.textContent = t(`severity_${span.dataset.severityDetail}_detail`);
    }
    this.renderValidityHint();
    this.renderPositionState();
    this.map.translate();
  }

  renderValidityHint() {
    const type = this.form.elements.type.value;
    const hint = $("report-valid-until-hint");
    if (!type) {
      hint.textContent = t("valid_until_hint_any");
      return;
    }
    hint.textContent = t("valid_until_hint", { type: typeName(type), duration: validityWords(type),
      until: dateTime(new Date(Date.now() + validityMs(type))) });
  }

  // ------------------------------------------------------------------------------------------- position
  onFix(fix) {
    const focused = document.activeElement === this.lat || document.activeElement === this.lon;
    if (!this.edited && !focused) this.fill(fix);
    this.renderPositionState();
  }

  onPositionError(message) {
    this.positionError = message;
    this.renderPositionState();
  }

  fill(fix) {
    this.lat.value = fix.lat.toFixed(6);
    this.lon.value = fix.lon.toFixed(6);
    this.edited = false;
    this.placed = null;
    this.showPlace();
  }

  /** The map (built when the screen is first shown), centred on the position in the fields. */
  async showMap() {
    if (await this.map.show(this.typedPosition())) this.showPlace();
  }

  /** The map's marker where the fields say. */
  showPlace() {
    const position = this.typedPosition();
    if (position) this.map.setPlace(position.lat, position.lon, (lat, lon) => this.placeAt(lat, lon));
  }

  /** A tap on the map or a dropped marker: the nearest walkable way's point goes into the fields, its street is said. */
  async placeAt(lat, lon) {
    clearError("report");
    try {
      const { snap, edge } = await api.snap(lat, lon);
      this.lat.value = snap.lat.toFixed(6);
      this.lon.value = snap.lon.toFixed(6);
      this.edited = true;
      this.placed = { street: edge.name || t("map_unnamed_way"), distance: snap.distance_m };
      this.showPlace();
      this.renderPositionState();
      announce($("position-state").textContent);
    } catch (error) {
      this.showPlace(); // a dragged marker goes back to the place in the fields
      showError("report", error);
    }
  }

  renderPositionState() {
    const state = $("position-state");
    const fix = this.ctx.watch.fix;
    state.classList.toggle("problem", !fix && !this.edited && Boolean(this.positionError));
    if (this.placed) {
      state.textContent = t(this.placed.distance < 5 ? "position_map_on" : "position_map", {
        street: this.placed.street, distance: distanceWords(this.placed.distance) });
    } else if (this.waiting) state.textContent = t("position_waiting");
    else if (this.edited) state.textContent = t("position_typed");
    else if (fix) state.textContent = t("position_device", { accuracy: number(Math.max(1, Math.round(fix.accuracy))) });
    else if (this.positionError) state.textContent = this.positionError;
    else state.textContent = t("position_searching");
  }

  /** The position the page already has goes in at once; without one, it says it is waiting, then fills it in. */
  async useCurrentPosition() {
    clearError("report");
    let fix = this.ctx.watch.known();
    if (!fix) {
      if (this.waiting) return;
      this.waiting = true;
      this.renderPositionState();
      announce(t("position_waiting"));
      try {
        fix = await this.ctx.watch.current();
      } catch (error) {
        this.onPositionError(error.message);
        showError("report", error, this.lat);
        return;
      } finally {
        this.waiting = false;
      }
    }
    this.fill(fix);
    this.renderPositionState();
    announce(t("position_filled", { accuracy: number(Math.max(1, Math.round(fix.accuracy))) }));
  }

  /** The typed position, when it is one; null otherwise. */
  typedPosition() {
    const lat = parseDegree(this.lat.value);
    const lon = parseDegree(this.lon.value);
    return lat === null || lon === null ? null : { lat, lon };
  }

  // --------------------------------------------------------------------------------------------- submit
  async submit() {
    if (this.busy) return;
    clearError("report");
    const elements = this.form.elements;
    const type = elements.type.value;
    if (!type) {
      showError("report", t("error_choose_type"), this.form.querySelector('input[name="type"]'));
      return;
    }
    const body = { type, severity: elements.severity.value || "medium" };
    // The position goes as typed; the server says in plain words what is wrong with it (missing, off the map).
    for (const [name, input] of [["lat", this.lat], ["lon", this.lon]]) {
      const raw = input.value.trim();
      if (raw) body[name] = parseDegree(raw) ?? raw;
    }
    const description = $("report-description").value.trim();
    if (description) body.description = description;
    const until = $("report-valid-until").value;
    if (until) {
      const date = new Date(until);
      if (Number.isNaN(date.getTime()) || date.getTime() <= Date.now()) {
        showError("report", t("error_valid_until_past"), $("report-valid-until"));
        return;
      }
      if (date.getTime() > Date.now() + MAX_VALIDITY_MS) {
        showError("report", t("error_valid_until_far"), $("report-valid-until"));
        return;
      }
      body.valid_until = date.toISOString();
    }
    this.busy = true;
    this.form.setAttribute("aria-busy", "true");
    try {
      const report = await api.createReport(body);
      this.showDone(report);
    } catch (error) {
      if (error.code === "login_required") this.ctx.signedOut();
      const field = ["bad_coordinate", "off_map"].includes(error.code) ? this.lat : null;
      showError("report", error, field);
    } finally {
      this.busy = false;
      this.form.removeAttribute("aria-busy");
    }
  }

  showDone(report) {
    const text = t("report_done_text", {
      type: typeName(report.type), severity: t(`severity_${report.severity}`),
      until: dateTime(report.valid_until), id: report.id,
    });
    $("report-done-text").textContent = text;
    this.form.reset();
    this.edited = false;
    this.placed = null;
    if (this.ctx.watch.fix) this.fill(this.ctx.watch.fix);
    this.renderValidityHint();
    this.renderPositionState();
    this.form.hidden = true;
    $("report-done").hidden = false;
    $("report-done").dataset.reportId = String(report.id);
    $("h-report-done").focus();
    announce(text);
  }
}
