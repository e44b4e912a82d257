"""Golden texts per maneuver type on small hand-made maps (tests/fixtures/guidance.osm, laid out in
guidance_osm.md), as osrm-text-instructions keeps them: each scene one combination, the exact German and English
text of every instruction written by hand, not taken from the program's output.

Positions are metres east/north of (49.4500, 7.7500); node numbers are the map's OSM ids.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from routing.cache import load_graph
from routing.guidance.wording import WordingOptions
from routing.plan import plan_route
from routing.planner import Planner
from routing.spatial import EdgeIndex

MAP = Path(__file__).resolve().parents[2] / "fixtures" / "guidance.osm"
ORIGIN_LAT, ORIGIN_LON = 49.4500, 7.7500
M_PER_DEG_LAT, M_PER_DEG_LON = 111194.9, 72304.0


def at(x: float, y: float) -> tuple[float, float]:
    return ORIGIN_LAT + y / M_PER_DEG_LAT, ORIGIN_LON + x / M_PER_DEG_LON


@pytest.fixture(scope="module")
def planner(cache_dir) -> Planner:
    graph = load_graph(MAP, cache_dir=cache_dir)
    return Planner(graph, EdgeIndex(graph))


SCENES = {
    # A turn, the crossing right after it at a pedestrian light with sound, and the pedestrian zone beyond it:
    # one message, turn first, named after the street beyond the crossing's few metres of footway. The 95 m to the
    # end are said only when detailed (the walk on is said from 200 m at normal).
    "turn_cross_enter": ((-50, 4), (0, -90), {
        "de": [
            "Nach Osten auf dem Fußweg gehen. Zur einzigen Querung fehlen Angaben zu Bodenindikatoren.",
            "Rechts in die Marktstraße abbiegen und die Eisenbahnstraße an der Ampel überqueren. Die Ampel hat ein "
            "Blindensignal. Ein Fußgängerbereich beginnt.",
            "Ziel erreicht.",
        ],
        "en": [
            "Walk east along the footway. The one crossing lacks data on tactile paving.",
            "Turn right onto Marktstraße and cross Eisenbahnstraße at the traffic lights. The lights have an "
            "acoustic signal. You enter a pedestrian area.",
            "You have arrived.",
        ],
    }),
    # A footway meets the street, 1.5 m of street, and the footway goes on on the other side: a left-then-right
    # zigzag that is one crossing and no turn.
    "zigzag": ((1000, 50), (1001.5, -50), {
        "de": [
            "Nach Süden auf dem Fußweg gehen. Zur einzigen Querung fehlen Angaben zu Ampel oder Bodenindikatoren.",
            "Die Donnersbergstraße überqueren.",
            "Ziel erreicht.",
        ],
        "en": [
            "Walk south along the footway. The one crossing lacks data on traffic lights or tactile paving.",
            "Cross Donnersbergstraße.",
            "You have arrived.",
        ],
    }),
    # A footway through a junction node highway=traffic_signals (no crossing tags): a junction with lights, not a
    # pedestrian light; then a passable barrier=entrance; the name keeps its article and declines.
    "junction_lights_entrance": ((2000, 30), (2000, -45), {
        "de": [
            "Nach Süden auf dem Fußweg gehen. Zur einzigen Querung fehlen Angaben zu Ampel oder Bodenindikatoren.",
            "Den Freien Wasen an einer Ampelkreuzung überqueren. Das ist eine Hauptverkehrsstraße.",
            "Sie gehen durch einen Durchgang in einer Mauer oder einem Zaun.",
            "Ziel erreicht.",
        ],
        "en": [
            "Walk south along the footway. The one crossing lacks data on traffic lights or tactile paving.",
            "Cross Freier Wasen at a signalled junction. It is a main road.",
            "You go through an opening in a wall or fence.",
            "You have arrived.",
        ],
    }),
    # An unnamed slip road crossed (named after the road it joins), a fork where the other footway leaves 19
    # degrees from the route's, and a bus stop mapped on the walked way itself (no side can be known).
    "slip_road_fork_stop": ((3000, 50), (2991.7, -95), {
        "de": [
            "Nach Süden auf dem Fußweg gehen. Zur einzigen Querung fehlen Angaben zu Ampel oder Bodenindikatoren.",
            "Die Abbiegespur zur Pariser Straße überqueren.",
            "Rechts halten und in die Kottenschanze gehen.",
            "Bushaltestelle Lothringer Eck am Weg.",
            "Ziel erreicht.",
        ],
        "en": [
            "Walk south along the footway. The one crossing lacks data on traffic lights or tactile paving.",
            "Cross the slip road to Pariser Straße.",
            "Keep right onto Kottenschanze.",
            "Bus stop Lothringer Eck along the way.",
            "You have arrived.",
        ],
    }),
    # A service road the walker may not use (access=private): left out of the walk graph, still crossed.
    "private_road": ((4000, 40), (4000, -40), {
        "de": [
            "Nach Süden auf dem Fußweg gehen. Zur einzigen Querung fehlen Angaben zu Ampel oder Bodenindikatoren.",
            "Eine Zufahrt überqueren.",
            "Ziel erreicht.",
        ],
        "en": [
            "Walk south along the footway. The one crossing lacks data on traffic lights or tactile paving.",
            "Cross an access road.",
            "You have arrived.",
        ],
    }),
    # Two driveways of which nothing is known one after another along the footway (one of them private), then a
    # third with tactile paving: the two are one sentence, the third keeps its own with what is known.
    "driveways": ((5000, 30), (5000, -130), {
        "de": [
            "Nach Süden auf dem Fußweg gehen. Zu allen 3 Querungen fehlen Angaben zu Ampel oder Bodenindikatoren.",
            "Auf den nächsten 50 Metern 2 Zufahrten überqueren.",
            "Eine Zufahrt überqueren. Es gibt Bodenindikatoren.",
            "Ziel erreicht.",
        ],
        "en": [
            "Walk south along the footway. All 3 crossings lack data on traffic lights or tactile paving.",
            "Cross 2 access roads over the next 50 metres.",
            "Cross an access road. There is tactile paving.",
            "You have arrived.",
        ],
    }),
    # Walking along Gartenstraße past a junction where three streets leave on the right: each is a road with cars
    # of its own, so a walker on that side crosses three roads, in the order met, and the route counts three.
    "arms_on_one_side": ((5920, 0), (6080, 0), {
        "de": [
            "Nach Osten auf der Gartenstraße gehen. Zu allen 3 Querungen fehlen Angaben zu Ampel oder "
            "Bodenindikatoren.",
            "Nacheinander den Ulmenweg, die Birkenstraße und die Ahornstraße überqueren.",
            "Ziel erreicht.",
        ],
        "en": [
            "Walk east along Gartenstraße. All 3 crossings lack data on traffic lights or tactile paving.",
            "Cross Ulmenweg, Birkenstraße and Ahornstraße one after another.",
            "You have arrived.",
        ],
    }),
    # A turn at a junction that keeps the walker on the named footway: at normal without the name said again. Steps
    # up with their count and handrail, a bollard, and a destination 15 m to the left of the way.
    "stay_steps_bollard": ((7000, 50), (7130, 15), {
        "de": [
            "Nach Süden auf dem Lindenweg gehen.",
            "Links abbiegen.",
            "12 Stufen hinaufgehen. Es gibt einen Handlauf.",
            "Achtung, Poller.",
            "Ziel erreicht. Es liegt links, 15 Meter vom Weg entfernt.",
        ],
        "en": [
            "Walk south along Lindenweg.",
            "Turn left.",
            "Go up 12 steps. There is a handrail.",
            "Caution, bollard.",
            "You have arrived. It is on your left, 15 metres from the path.",
        ],
    }),
    # A zebra crossing with tactile paving and an island (all known: no unknowns summary), then 400 m of footway:
    # the shop nearest the middle confirms the position, and the 250 m from there to the living street are said.
    "zebra_landmark_shared_space": ((8000, 50), (8000, -440), {
        "de": [
            "Nach Süden auf dem Fußweg gehen.",
            "Die Schulstraße am Zebrastreifen überqueren. Es gibt Bodenindikatoren und eine Mittelinsel.",
            "Geschäft Bäckerei Klein links. Dann 250 Meter weiter.",
            "Ein verkehrsberuhigter Bereich mit Autos im Schritttempo beginnt.",
            "Ziel erreicht.",
        ],
        "en": [
            "Walk south along the footway.",
            "Cross Schulstraße at the zebra crossing. There is tactile paving and a traffic island.",
            "Shop Bäckerei Klein on your left. Then continue for 250 metres.",
            "You enter a shared street with cars at walking pace.",
            "You have arrived.",
        ],
    }),
    # Walking along Hauptstraße (no sidewalk mapped) past Nordstraße on the left and Südstraße on the right: the
    # walker crosses the one on the side walked, not both.
    "side_streets_both_sides": ((8920, 0), (9080, 0), {
        "de": [
            "Nach Osten auf der Hauptstraße gehen. Zur einzigen Querung fehlen Angaben zu Ampel oder "
            "Bodenindikatoren.",
            "Die Nordstraße links oder die Südstraße rechts überqueren.",
            "Ziel erreicht.",
        ],
        "en": [
            "Walk east along Hauptstraße. The one crossing lacks data on traffic lights or tactile paving.",
            "Cross Nordstraße on the left or Südstraße on the right.",
            "You have arrived.",
        ],
    }),
}


@pytest.mark.parametrize("scene", list(SCENES))
@pytest.mark.parametrize("lang", ["de", "en"])
def test_scene(planner: Planner, scene: str, lang: str) -> None:
    start, end, texts = SCENES[scene]
    route = plan_route(planner, at(*start), at(*end), "blind", lang=lang)
    assert [i.text for i in route.instructions] == texts[lang]


def test_verbosity_levels_differ(planner: Planner) -> None:
    start, end, _ = SCENES["turn_cross_enter"]
    said = {verbosity: [i.text for i in plan_route(planner, at(*start), at(*end), "blind", lang="de",
                                                   wording=WordingOptions(verbosity=verbosity)).instructions]
            for verbosity in ("brief", "detailed")}
    assert said["brief"] == [
        "Nach Osten auf dem Fußweg gehen.",
        "Rechts in die Marktstraße abbiegen und die Eisenbahnstraße an der Ampel überqueren. Die Ampel hat ein "
        "Blindensignal.",
        "Ziel erreicht.",
    ]
    assert said["detailed"] == [
        "Gehen Sie nach Osten auf dem Fußweg. Zur einzigen Querung fehlen Angaben zu Bodenindikatoren.",
        "Biegen Sie rechts in die Marktstraße ab und überqueren Sie die Eisenbahnstraße an der Ampel. Das ist eine "
        "mittelgroße Straße. Die Ampel hat ein Blindensignal. Ob es Bodenindikatoren gibt, ist nicht bekannt. Sie "
        "betreten einen Fußgängerbereich. Dann 95 Meter weiter.",
        "Sie haben Ihr Ziel erreicht.",
    ]
    start, end, _ = SCENES["zigzag"]
    english = {verbosity: [i.text for i in plan_route(planner, at(*start), at(*end), "blind", lang="en",
                                                      wording=WordingOptions(verbosity=verbosity)).instructions]
               for verbosity in ("brief", "detailed")}
    assert english["brief"] == ["Walk south along the footway.", "Cross Donnersbergstraße.", "You have arrived."]
    assert english["detailed"] == [
        "Walk south along the footway. The one crossing lacks data on traffic lights or tactile paving.",
        "Cross Donnersbergstraße. It is a residential street. It is not known whether there is a traffic light, a "
        "zebra crossing or tactile paving.",
        "You have arrived.",
    ]


def test_turn_on_the_same_street_detailed(planner: Planner) -> None:
    """Only detailed says again the name of the street a turn keeps the walker on."""
    start, end, _ = SCENES["stay_steps_bollard"]
    said = {lang: [i.text for i in plan_route(planner, at(*start), at(*end), "blind", lang=lang,
                                              wording=WordingOptions(verbosity="detailed")).instructions]
            for lang in ("de", "en")}
    assert said["de"][1] == "Biegen Sie links ab und bleiben Sie auf dem Lindenweg."
    assert said["en"][1] == "Turn left, staying on Lindenweg."
