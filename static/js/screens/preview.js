// The route preview: summary, why this route, every instruction to step through, crossings, steps and obstacles,
// and what the map does not know.

import { capitalize, dative, distance, distanceAfter, duration } from "../format.js";
import { t } from "../i18n.js";
import * as store from "../store.js";
import { $, output, state } from "./common.js";
import { updateTitle } from "./navigation.js";
import { onPlanned } from "./planning.js";

function joinNames(names) {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} ${t("and")} ${names[names.length - 1]}`;
}

function describeCrossing(crossing) {
  const names = [...new Set((crossing.streets || []).map((street) => street.name).filter(Boolean))];
  const parts = [`${names.length ? joinNames(names) : t("unnamed_street")}: ${t(`control_${crossing.control}`) || crossing.control}.`];
  if (crossing.signals === "yes" || crossing.control === "traffic_signals") {
    parts.push(t("fact_acoustic", { value: t(`tri_${crossing.acoustic_signal}`) }));
  }
  parts.push(t("fact_tactile", { value: t(`tri_${crossing.tactile_paving}`) }));
  parts.push(t("fact_island", { value: t(`tri_${crossing.island}`) }));
  return parts.join(" ");
}

function describeSteps(steps) {
  const parts = [steps.step_count === null || steps.step_count === undefined
    ? t("steps_count_unknown") : t("steps_count", { count: steps.step_count, n: steps.step_count })];
  if (steps.direction === "up" || steps.direction === "down") parts.push(t(`steps_${steps.direction}`));
  parts.push(t("fact_handrail", { value: t(`tri_${steps.handrail}`) }));
  if (steps.ramp) parts.push(t("fact_ramp", { value: t(`tri_${steps.ramp}`) }));
  return parts.join(" ");
}

function describeGap(gap) {
  const known = ["crossing_control_unknown", "acoustic_signal_unknown", "tactile_paving_unknown", "step_count_unknown",
    "handrail_unknown", "surface_unknown", "sidewalk_unknown"];
  const key = known.includes(gap.kind) ? `gap_${gap.kind}` : "gap_other";
  return t(key, { count: gap.count ?? 2, n: gap.count ?? "", length: dative(gap.length_m || 0, state.settings),
    kind: gap.kind });
}

function listItem(at, text) {
  const item = document.createElement("li");
  const where = document.createElement("span");
  where.className = "at";
  where.textContent = `${at}:`;
  item.append(where, text);
  return item;
}

export function renderPreview() {
  const route = state.route;
  if (!route) return;
  const s = state.settings;
  $("h-preview").textContent = t("preview_heading", { name: state.place.name });
  const crossings = route.crossings || [];
  const steps = route.steps || [];
  const summary = [
    t("summary_main", { distance: distance(route.distance_m, s), duration: duration(route.duration_s) }),
    crossings.length ? t("summary_crossings", { count: crossings.length, n: crossings.length }) : t("summary_no_crossings"),
    steps.length ? t("summary_steps", { count: steps.length, n: steps.length }) : t("summary_no_steps"),
    state.startPlace ? t("summary_from_place", { name: state.startPlace.name }) : t("summary_from_here"),
  ];
  $("preview-summary").textContent = summary.join(" ");
  $("start-guidance").textContent = t(state.startPlace ? "start_guidance_here" : "start_guidance");
  $("fav-toggle-preview").setAttribute("aria-pressed", String(store.isFavourite(state.place)));
  $("explanation").textContent = route.explanation?.text || "";

  const instructions = route.instructions || [];
  $("h-instructions").textContent = t("instructions_heading_n", { n: instructions.length });
  $("instruction-list").replaceChildren(...instructions.map((instruction, index) => listItem(
    index === 0 ? t("at_start") : capitalize(distanceAfter(instruction.distance_m, s)), instruction.text)));

  $("h-crossings").textContent = t("crossings_heading_n", { n: crossings.length });
  $("crossings-empty").hidden = crossings.length > 0;
  $("crossing-list").replaceChildren(...crossings.map((crossing) =>
    listItem(capitalize(distanceAfter(crossing.distance_m, s)), describeCrossing(crossing))));

  const obstacles = [
    ...steps.map((item) => ({ at: item.distance_m, text: describeSteps(item) })),
    ...(route.barriers || []).map((item) => ({ at: item.distance_m, text: t(`barrier_${item.kind}`) || t("barrier_other") })),
  ].sort((a, b) => a.at - b.at);
  $("steps-empty").hidden = obstacles.length > 0;
  $("step-list").replaceChildren(...obstacles.map((item) => listItem(capitalize(distanceAfter(item.at, s)), item.text)));

  const gaps = route.data_gaps || [];
  $("gaps-empty").hidden = gaps.length > 0;
  $("gap-list").replaceChildren(...gaps.map((gap) => {
    const item = document.createElement("li");
    item.textContent = describeGap(gap);
    return item;
  }));
  renderStep();
  updateTitle();
}

function stepDescription() {
  const instructions = state.route.instructions || [];
  const index = Math.min(state.stepIndex, instructions.length - 1);
  const instruction = instructions[index];
  const at = index === 0 ? t("at_start") : capitalize(distanceAfter(instruction.distance_m, state.settings));
  return {
    position: t("step_position", { i: index + 1, n: instructions.length, at }),
    text: instruction ? instruction.text : "",
  };
}

function renderStep() {
  const { position, text } = stepDescription();
  $("step-position").textContent = position;
  $("step-text").textContent = text;
}

function step(by) {
  const count = (state.route?.instructions || []).length;
  const next = state.stepIndex + by;
  if (next < 0 || next >= count) {
    output.status(t(next < 0 ? "step_first" : "step_last"));
    return;
  }
  state.stepIndex = next;
  renderStep();
  const { position, text } = stepDescription();
  output.status(`${position}. ${text}`);
}

$("step-prev").addEventListener("click", () => step(-1));
$("step-next").addEventListener("click", () => step(1));

onPlanned(renderPreview);
