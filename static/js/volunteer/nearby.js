// "Nearby reports" (confirm: is the obstacle still there?) and "Nearby quests" (facts the map lacks). Both lists are
// read around the device's position, or around the position typed on the report screen, and shown on a map too:
// a marker leads to its card in the list, with the same facts and answer buttons.

import * as api from "./api.js";
import { dateTime, language, number, t } from "../i18n.js";
import { bearing } from "../geo.js";
import { VolunteerMap } from "./map.js";
import { compassWord, whereWords } from "./position.js";
import { typeName } from "./report.js";
import { $, announce, clearError, el, showError } from "./ui.js";

const VOTES = ["yes", "no", "unsure"];
const OPEN = new Set(["new", "confirmed"]);

function renderWhere(id, centre) {
  const where = $(id);
  if (!centre) where.textContent = t("where_unknown");
  else if (centre.typed) where.textContent = t("around_typed", { lat: centre.lat.toFixed(5), lon: centre.lon.toFixed(5) });
  else where.textContent = t("around_device", { accuracy: number(Math.max(1, Math.round(centre.accuracy || 0))) });
}

/** The list's items as map markers; choosing one moves focus to its card's heading (the card is the detail). */
function showOnMap(map, screen, items) {
  if ($(`screen-${screen}`).hidden) return; // a hidden map cannot be measured: drawn when the screen is shown
  map.show(items.centre).then((shown) => {
    if (!shown) return;
    map.setMarkers(items.map(({ lat, lon, kind, glyph, name, card }) => ({ lat, lon, kind, glyph, name,
      onSelect: () => {
        card.scrollIntoView({ block: "start" });
        card.querySelector("h2").focus();
      } })));
  });
}

function fact(term, value, attrs = {}) {
  return [el("dt", {}, term), el("dd", { attrs }, value)];
}

// ------------------------------------------------------------------------------------------------ reports
export class ReportList {
  /** ctx: {centre(), user(), signedOut()} */
  constructor(ctx) {
    this.ctx = ctx;
    this.reports = null; // null: not loaded yet
    this.centre = null;
    this.myVotes = new Map(); // report id -> answer given in this visit
    this.loading = false;
    this.map = new VolunteerMap($("reports-map"));
    $("reports-refresh").addEventListener("click", () => this.load({ announceResult: true }));
  }

  async load({ announceResult = false } = {}) {
    if (this.loading) return;
    clearError("reports");
    const centre = this.ctx.centre();
    renderWhere("reports-where", centre);
    if (!centre) {
      if (announceResult) showError("reports", t("error_no_position"));
      return;
    }
    this.loading = true;
    $("report-list").setAttribute("aria-busy", "true");
    try {
      this.reports = await api.nearbyReports(centre.lat, centre.lon);
      this.centre = centre;
      this.render();
      if (announceResult) announce(t("reports_count", { count: this.reports.length, n: number(this.reports.length) }));
    } catch (error) {
      showError("reports", error);
    } finally {
      this.loading = false;
      $("report-list").removeAttribute("aria-busy");
    }
  }

  render() {
    renderWhere("reports-where", this.ctx.centre());
    const list = $("report-list");
    if (this.reports === null) return;
    const cards = this.reports.map((report) => this.card(report));
    list.replaceChildren(...cards);
    $("reports-empty").hidden = this.reports.length > 0;
    const markers = this.reports.map((report, i) => ({ lat: report.lat, lon: report.lon, kind: "report", glyph: "!",
      card: cards[i], name: t("map_report_marker", { type: typeName(report.type),
        where: whereWords(this.centre, report.lat, report.lon, report.distance_m) }) }));
    markers.centre = this.centre;
    showOnMap(this.map, "reports", markers);
  }

  card(report) {
    const id = `report-${report.id}`;
    const user = this.ctx.user();
    const item = el("li", { className: "card", attrs: { "data-report-id": report.id } });
    item.append(
      el("h2", { id: `${id}-h`, tabIndex: -1 }, typeName(report.type)),
      el("p", { className: "where" }, whereWords(this.centre, report.lat, report.lon, report.distance_m)),
    );
    const facts = el("dl", { className: "facts" },
      ...fact(t("status_label"), t(`status_${report.status}`), { "data-field": "status" }),
      ...fact(t("severity_label"), t(`severity_${report.severity}`)),
      ...fact(t("votes_label"), this.votesText(report), { "data-field": "votes" }),
      ...fact(t("valid_until_short"), dateTime(report.valid_until)),
    );
    item.append(facts);
    if (report.description) item.append(el("p", { className: "description" }, report.description));
    if (user && report.mine) {
      item.append(el("p", { className: "own" }, t("own_report_note")));
    } else if (user && OPEN.has(report.status)) {
      const question = el("p", { id: `${id}-q`, className: "question" }, t("vote_question"));
      const buttons = el("div", { className: "actions answers" });
      for (const answer of VOTES) {
        const button = el("button", { type: "button", attrs: { "data-vote": answer,
          "aria-pressed": String(this.myVotes.get(report.id) === answer) } }, t(`vote_${answer}`));
        button.addEventListener("click", () => this.vote(report, answer, item));
        buttons.append(button);
      }
      item.append(el("div", { className: "vote", attrs: { role: "group", "aria-labelledby": `${id}-q ${id}-h` } },
        question, buttons));
    }
    return item;
  }

  votesText(report) {
    return t("votes_text", { yes: number(report.votes.yes), no: number(report.votes.no),
      unsure: number(report.votes.unsure) });
  }

  async vote(report, answer, item) {
    if (this.voting) return;
    this.voting = true;
    clearError("reports");
    try {
      const updated = await api.vote(report.id, answer);
      Object.assign(report, { status: updated.status, votes: updated.votes });
      this.myVotes.set(report.id, answer);
      item.querySelector('[data-field="status"]').textContent = t(`status_${updated.status}`);
      item.querySelector('[data-field="votes"]').textContent = this.votesText(updated);
      for (const button of item.querySelectorAll("[data-vote]")) {
        button.setAttribute("aria-pressed", String(button.dataset.vote === answer));
      }
      announce(t("vote_saved", { answer: t(`vote_${answer}`), status: t(`status_${updated.status}`) }));
    } catch (error) {
      if (error.code === "login_required") this.ctx.signedOut();
      showError("reports", error);
    } finally {
      this.voting = false;
    }
  }
}

// ------------------------------------------------------------------------------------------------- quests
export class QuestList {
  constructor(ctx) {
    this.ctx = ctx;
    this.quests = null;
    this.centre = null;
    this.loading = false;
    this.map = new VolunteerMap($("quests-map"));
    $("quests-refresh").addEventListener("click", () => this.load({ announceResult: true }));
  }

  async load({ announceResult = false } = {}) {
    if (this.loading) return;
    clearError("quests");
    const centre = this.ctx.centre();
    renderWhere("quests-where", centre);
    if (!centre) {
      if (announceResult) showError("quests", t("error_no_position"));
      return;
    }
    this.loading = true;
    $("quest-list").setAttribute("aria-busy", "true");
    try {
      this.quests = await api.nearbyQuests(centre.lat, centre.lon);
      this.centre = centre;
      this.render();
      if (announceResult) announce(t("quests_count", { count: this.quests.length, n: number(this.quests.length) }));
    } catch (error) {
      showError("quests", error);
    } finally {
      this.loading = false;
      $("quest-list").removeAttribute("aria-busy");
    }
  }

  render() {
    renderWhere("quests-where", this.ctx.centre());
    if (this.quests === null) return;
    const cards = this.quests.map((quest, index) => this.card(quest, index));
    $("quest-list").replaceChildren(...cards);
    $("quests-empty").hidden = this.quests.length > 0;
    this.showMarkers();
  }

  showMarkers() {
    const lang = language();
    const cards = [...$("quest-list").children];
    const markers = this.quests.map((quest, i) => ({ lat: quest.lat, lon: quest.lon, kind: "quest", glyph: "?",
      card: cards[i], name: t("map_quest_marker", { question: quest.question[lang] || quest.question.de,
        where: whereWords(this.centre, quest.lat, quest.lon, quest.distance_m) }) }));
    markers.centre = this.centre;
    showOnMap(this.map, "quests", markers);
  }

  card(quest, index) {
    const lang = language();
    const id = `quest-${index}`;
    const item = el("li", { className: "card", attrs: { "data-quest-id": quest.id } });
    item.append(
      el("h2", { id: `${id}-h`, tabIndex: -1 }, quest.question[lang] || quest.question.de),
      el("p", { className: "where" }, whereWords(this.centre, quest.lat, quest.lon, quest.distance_m)),
    );
    if (quest.along && quest.along.length === 2) {
      const [a, b] = quest.along;
      item.append(el("p", { className: "along" }, t("quest_along", { direction: compassWord(bearing(a.lat, a.lon, b.lat, b.lon)) })));
    }
    if (!this.ctx.user()) return item;
    if (quest.answer_type === "count") {
      const input = el("input", { type: "number", id: `${id}-count`, min: String(quest.min), max: String(quest.max),
        step: "1", inputMode: "numeric", name: "count" });
      const form = el("form", { className: "count-answer", noValidate: true },
        el("div", { className: "field" }, el("label", { htmlFor: input.id }, t("quest_count_label")), input),
        el("div", { className: "actions" }, el("button", { type: "submit", className: "primary" }, t("quest_count_submit"))));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.answer(quest, input.value.trim(), item, input);
      });
      item.append(form);
    } else {
      const buttons = el("div", { className: "actions answers", attrs: { role: "group", "aria-labelledby": `${id}-h` } });
      for (const answer of quest.answers) {
        const button = el("button", { type: "button", attrs: { "data-answer": answer.value } },
          answer.label[lang] || answer.label.de);
        button.addEventListener("click", () => this.answer(quest, answer.value, item));
        buttons.append(button);
      }
      item.append(buttons);
    }
    return item;
  }

  async answer(quest, value, item, field = null) {
    if (this.answering) return;
    clearError("quests");
    if (field && !/^\d+$/.test(value)) {
      showError("quests", t("error_count", { min: quest.min, max: quest.max }), field);
      return;
    }
    this.answering = true;
    try {
      const result = await api.answerQuest(quest.id, field ? Number(value) : value);
      // Answered: the quest leaves the list; focus goes on to the next question (or the list's heading).
      const index = this.quests.indexOf(quest);
      this.quests.splice(index, 1);
      const next = item.nextElementSibling || item.previousElementSibling;
      item.remove();
      $("quests-empty").hidden = this.quests.length > 0;
      this.showMarkers();
      (next ? next.querySelector("h2") : $("h-quests")).focus();
      announce(t(result.accepted ? "quest_accepted" : "quest_saved"));
    } catch (error) {
      if (error.code === "login_required") this.ctx.signedOut();
      showError("quests", error, field);
    } finally {
      this.answering = false;
    }
  }
}
