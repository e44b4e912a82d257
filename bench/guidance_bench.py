"""Guidance figures on the whole-city extract, printed as JSON (issue 12).

For the 200 checked-in pairs (bench/route_pairs.json), profile blind: per language and verbosity, words per km,
instructions per km, instructions less than CLOSE_M after the one before (per route), and sentences about unknown
facts per route (about crossings: the route summary or a crossing's full sentence; the short "ohne Angaben" /
"no data" mention; about steps). Also the number of crossings per route, so it shows that fewer words did not
come from fewer crossings said.

Usage: python bench/guidance_bench.py [OSM_FILE]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from routing.cache import load_graph
from routing.guidance.maneuvers import build_maneuvers
from routing.guidance.wording import VERBOSITIES, WordingOptions, instructions
from routing.plan import plan_route
from routing.planner import Planner
from routing.spatial import EdgeIndex

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OSM = REPO.parent / "shared" / "osm" / "kaiserslautern.osm.gz"
CLOSE_M = 10.0
# Sentences that say a fact is unknown, by language: about crossings (the route summary or a crossing's full
# sentence), the short mention at one crossing, and about steps.
UNKNOWN_SENTENCE = {"de": re.compile(r"fehlen Angaben|gibt, ist nicht bekannt"),
                    "en": re.compile(r"no data on|lacks? data on|It is not known whether there is")}
UNKNOWN_SHORT = {"de": re.compile(r"ohne Angaben"), "en": re.compile(r"no data\b(?! on)")}
UNKNOWN_STEPS = {"de": re.compile(r"Nicht bekannt ist"), "en": re.compile(r"It is not known (whether you|how many)")}
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
# Where the words go, by the kind of sentence (German and English, the start of each kind's main sentence; German
# in both its short form, brief and normal, and its full sentences, detailed): a sentence of no kind (the facts
# after a crossing, the unknowns of steps) counts with the sentence before it; a turn joined with a crossing ("...
# abbiegen und die Eisenbahnstraße ... überqueren.") counts as a turn up to the conjunction. Landmarks are the
# sentences that end on a side.
KINDS = {
    "de": {"depart": r"Gehen Sie (nach \w+ |geradeaus .* los)|Drehen Sie sich|Nach \w+ .*gehen\.|Auf \d+ Uhr drehen"
                     r"|Geradeaus .* losgehen",
           "route_unknowns": r"Zu(r)? .*Querung",
           "turn": r"Biegen Sie|Kehren Sie|Halten Sie sich|Gehen Sie geradeaus weiter|Umkehren"
                   r"|(Links|Rechts|Leicht|Scharf|Bei \d+ Uhr|Zurück)\b.* (abbiegen|halten)\b|Geradeaus .* gehen\.",
           "cross": r"Überqueren Sie|Auf den nächsten|(Links|Rechts) mündet|.* überqueren(, ohne Angaben)?\.",
           "then": r"Dann .* weiter\.",
           "steps": r"Gehen Sie (eine|die) (Stufe|Treppe)|Achtung, eine (Stufe|Treppe)"
                    r"|(Eine|Die|\d+) (Stufe|Stufen|Treppe) hin(auf|unter)gehen",
           "arrive": r"Sie haben Ihr Ziel|Ziel erreicht", "area": r"Sie betreten|Sie gehen (über|durch) |Ein .* beginnt\.",
           "barrier_warning": r"Achtung|Unbestätigte|Nehmen Sie|Den Aufzug", "landmark": r".* (links|rechts|am Weg)\.$"},
    "en": {"depart": r"Walk \w+ (along|to|on|onto|through)|Walk straight ahead|Turn to \d",
           "route_unknowns": r"For .*crossing|(All \d+|The one|\d+ of the \d+) crossings? lacks? data",
           "turn": r"Turn|Keep|Continue straight", "cross": r"Cross |Over the next|.* joins on your (left|right)",
           "then": r"Then (walk on|continue)", "steps": r"Go (up|down)|Caution, (one step|a flight|steps|\d+ steps)",
           "arrive": r"You have arrived", "area": r"You (enter|cross a bridge|go through an)",
           "barrier_warning": r"Caution|Unconfirmed|Take the lift",
           "landmark": r".* (on your left|on your right|along the way)\.$"},
}
# A turn joined with the crossing after it: the turn, and the crossing from the conjunction.
JOINED_CROSSING = {"de": re.compile(r"(.*?) (und überqueren Sie .*)$|(.*?\b(?:abbiegen|gehen)) (und .* überqueren\b.*)$"),
                   "en": re.compile(r"(.*?) (and cross .*)$")}


def _kind(sentence: str, lang: str, before: str) -> str:
    """The kind of a sentence (see KINDS); `before` for one of no kind of its own."""
    return next((kind for kind, pattern in _KIND_PATTERNS[lang].items() if pattern.match(sentence)), before)


_KIND_PATTERNS = {lang: {kind: re.compile(pattern) for kind, pattern in kinds.items()} for lang, kinds in KINDS.items()}


def _crossings_said(instruction) -> int:
    """How many crossings an instruction tells of: one per crossing maneuver, a run of driveways by its count."""
    maneuvers = [instruction.maneuver, *instruction.also]
    return sum(m["crossing"]["count"] if m["type"] == "driveways" else m["crossing"].get("arms", 1)
               for m in maneuvers if m["type"] in ("cross", "driveways"))


def _figures(routes: list[tuple[list, float]], lang: str, verbosity: str) -> dict[str, object]:
    options = WordingOptions(verbosity=verbosity)
    words = said = close = unknown = short = steps = crossings = 0
    by_kind: dict[str, int] = {kind: 0 for kind in KINDS[lang]}
    km = sum(length for _, length in routes) / 1000
    for maneuvers, _ in routes:
        texts = instructions(maneuvers, lang, options)
        said += len(texts)
        for previous, current in zip(texts, texts[1:]):
            close += current.distance_m - previous.distance_m < CLOSE_M
        for instruction in texts:
            words += len(instruction.text.split())
            crossings += _crossings_said(instruction)
            kind = "depart"
            for sentence in _SENTENCE.split(instruction.text):
                unknown += bool(UNKNOWN_SENTENCE[lang].search(sentence))
                short += bool(UNKNOWN_SHORT[lang].search(sentence))
                steps += bool(UNKNOWN_STEPS[lang].search(sentence))
                joined = JOINED_CROSSING[lang].match(sentence)
                turn, crossing = [part for part in joined.groups() if part] if joined else ("", "")
                if joined and _kind(turn, lang, "") == "turn":
                    by_kind["turn"] += len(turn.split())
                    kind = "cross"
                    by_kind[kind] += len(crossing.split())
                else:
                    kind = _kind(sentence, lang, kind)
                    by_kind[kind] += len(sentence.split())
    count = len(routes)
    return {
        "words_per_km": round(words / km, 1),
        "words_per_km_by_kind": {kind: round(number / km, 1) for kind, number in by_kind.items()},
        "instructions_per_km": round(said / km, 2),
        "crossings_said_per_route": round(crossings / count, 2),
        "close_pairs_per_route": round(close / count, 2),
        "unknown_sentences_per_route": round(unknown / count, 2),
        "short_unknown_mentions_per_route": round(short / count, 2),
        "steps_unknown_sentences_per_route": round(steps / count, 2),
    }


def main() -> None:
    osm = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OSM
    pairs = json.loads((REPO / "bench" / "route_pairs.json").read_text())
    graph = load_graph(osm)
    planner = Planner(graph, EdgeIndex(graph))
    routes, crossings = [], 0
    for pair in pairs:
        origin, destination = (pair["from"]["lat"], pair["from"]["lon"]), (pair["to"]["lat"], pair["to"]["lon"])
        route = plan_route(planner, origin, destination, "blind")
        routes.append((build_maneuvers(planner, route, destination), route.distance_m))
        crossings += len(route.crossings)
    result: dict[str, object] = {
        "osm_file": osm.name, "pairs": len(routes), "profile": "blind",
        "km": round(sum(length for _, length in routes) / 1000, 1),
        "crossings_per_route": round(crossings / len(routes), 2),
    }
    for lang in ("de", "en"):
        result[lang] = {verbosity: _figures(routes, lang, verbosity) for verbosity in VERBOSITIES}
    result["targets_de_normal"] = {"words_per_km": 90, "close_pairs_per_route": 1.0,
                                   "unknown_sentences_per_route": 1.0}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
