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
                    "en": re.compile(r"no data on|It is not known whether there is")}
UNKNOWN_SHORT = {"de": re.compile(r"ohne Angaben"), "en": re.compile(r"no data\.")}
UNKNOWN_STEPS = {"de": re.compile(r"Nicht bekannt ist"), "en": re.compile(r"It is not known (whether you|how many)")}
_SENTENCE = {"de": re.compile(r"nicht bekannt|fehlen Angaben", re.IGNORECASE),
                    "en": re.compile(r"not known|no data on", re.IGNORECASE)}
UNKNOWN_SHORT = {"de": re.compile(r"ohne Angaben"), "en": re.compile(r"no data\b(?! on)")}
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _figures(routes: list[tuple[list, float]], lang: str, verbosity: str) -> dict[str, float]:
    options = WordingOptions(verbosity=verbosity)
    words = said = close = unknown = short = steps = 0
    km = sum(length for _, length in routes) / 1000
    for maneuvers, _ in routes:
        texts = instructions(maneuvers, lang, options)
        said += len(texts)
        for previous, current in zip(texts, texts[1:]):
            close += current.distance_m - previous.distance_m < CLOSE_M
        for instruction in texts:
            words += len(instruction.text.split())
            for sentence in _SENTENCE.split(instruction.text):
                unknown += bool(UNKNOWN_SENTENCE[lang].search(sentence))
                short += bool(UNKNOWN_SHORT[lang].search(sentence))
                steps += bool(UNKNOWN_STEPS[lang].search(sentence))
    count = len(routes)
    return {
        "words_per_km": round(words / km, 1),
        "instructions_per_km": round(said / km, 2),
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
