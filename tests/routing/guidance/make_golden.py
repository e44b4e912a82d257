"""Write the golden instruction lists of real Kaiserslautern routes (tests/routing/guidance/golden/*.json).

Run by hand after a deliberate change of wording, maneuvers or routing, then read every changed file aloud (or
through a speech engine) before checking it in; test_golden.py compares the lists exactly:

    cd /work/main && python tests/routing/guidance/make_golden.py [NAME ...]

Each file holds one route in one language: the start and destination, profile, heading and wording options used
and the instruction texts in order. Files are named <route>.<lang>.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from routing.guidance.maneuvers import build_maneuvers
from routing.guidance.wording import WordingOptions, instructions
from routing.plan import plan_route
from routing.planner import Planner

GOLDEN = Path(__file__).resolve().parent / "golden"
CITY_OSM = REPO.parent / "shared" / "osm" / "kaiserslautern.osm.gz"
LANGUAGES = ("de", "en")

# Places (lat, lon), taken from the city graph: the station's landmark node, way and landmark points.
HAUPTBAHNHOF = (49.43598, 7.76893)  # landmark "Kaiserslautern Hauptbahnhof" (railway=station)
STIFTSKIRCHE = (49.4442, 7.7702)  # beside Stiftskirchplatz, at the end of Marktstraße
PFALZTHEATER = (49.4464, 7.7675)  # Willy-Brandt-Platz, beside the theatre restaurant
FACKELBRUNNEN = (49.44473, 7.76666)  # bus stop "Fackelbrunnen", where Fackelstraße begins
STIFTSKIRCHPLATZ = (49.44436, 7.77063)
SCHILLERPLATZ = (49.44475, 7.7699)
HBF_SUED = (49.43400, 7.77480)  # south of the railway, before the 39 steps up to the footbridge
BAHNHOFSTRASSE = (49.43660, 7.76960)

ROUTES: list[dict[str, Any]] = [
    {"name": "hbf_stiftskirche", "about": "Hauptbahnhof to Stiftskirche: steps and underpass at the station, "
     "residential crossings, pedestrian zone, signalled crossing of Eisenbahnstraße",
     "from": HAUPTBAHNHOF, "to": STIFTSKIRCHE, "options": {"verbosity": "normal"}},
    {"name": "hbf_pfalztheater", "about": "Hauptbahnhof to Pfalztheater: as above, then across Fruchthallstraße and "
     "Burgstraße (primary roads, 3 lanes) at lights",
     "from": HAUPTBAHNHOF, "to": PFALZTHEATER, "options": {"verbosity": "normal"}},
    {"name": "fussgaengerzone", "about": "Through the pedestrian zone: Fackelstraße, Kerststraße, Marktstraße, "
     "every landmark (detailed)",
     "from": FACKELBRUNNEN, "to": STIFTSKIRCHPLATZ, "options": {"verbosity": "detailed"}},
    {"name": "treppe_hbf_sued", "about": "South of the station over a flight of 39 steps and through the "
     "Eisenbahnstraße underpass; distances in paces of 0.7 m",
     "from": HBF_SUED, "to": BAHNHOFSTRASSE, "options": {"verbosity": "normal", "step_length_m": 0.7}},
    {"name": "ampel_fruchthallstrasse", "about": "Schillerplatz to Pfalztheater: signalled crossings of two primary "
     "roads, walker facing north, clock-face turns, detailed",
     "from": SCHILLERPLATZ, "to": PFALZTHEATER, "heading_deg": 0.0,
     "options": {"verbosity": "detailed", "clock_face": True}},
    {"name": "stiftskirche_hbf_kurz", "about": "Stiftskirche back to the Hauptbahnhof, brief",
     "from": STIFTSKIRCHE, "to": HAUPTBAHNHOF, "options": {"verbosity": "brief"}},
]


def route_texts(planner: Planner, route: dict[str, Any], lang: str) -> list[str]:
    """The instruction texts of a golden route in a language, as the app would say them."""
    planned = plan_route(planner, route["from"], route["to"], route.get("profile", "blind"), None, lang)
    maneuvers = build_maneuvers(planner, planned, route["to"], route.get("heading_deg"))
    return [i.text for i in instructions(maneuvers, lang, WordingOptions(**route["options"]))]


def golden_record(planner: Planner, route: dict[str, Any], lang: str) -> dict[str, Any]:
    options = WordingOptions(**route["options"])
    return {
        "name": route["name"],
        "about": route["about"],
        "lang": lang,
        "from": {"lat": route["from"][0], "lon": route["from"][1]},
        "to": {"lat": route["to"][0], "lon": route["to"][1]},
        "profile": route.get("profile", "blind"),
        "heading_deg": route.get("heading_deg"),
        "options": {"verbosity": options.verbosity, "clock_face": options.clock_face,
                    "step_length_m": options.step_length_m},
        "instructions": route_texts(planner, route, lang),
    }


def main(names: list[str]) -> None:
    from routing.cache import load_graph
    from routing.spatial import EdgeIndex

    graph = load_graph(CITY_OSM)
    planner = Planner(graph, EdgeIndex(graph))
    GOLDEN.mkdir(exist_ok=True)
    for route in ROUTES:
        if names and route["name"] not in names:
            continue
        for lang in LANGUAGES:
            path = GOLDEN / f"{route['name']}.{lang}.json"
            record = golden_record(planner, route, lang)
            path.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            print(f"{path.relative_to(REPO)}: {len(record['instructions'])} instructions")


if __name__ == "__main__":
    main(sys.argv[1:])
