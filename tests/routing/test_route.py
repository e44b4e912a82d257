"""The described route (routing.route) and its explanation (routing.explain), exact on the mini map.

Positions are metres east/north of the mini map's origin (tests/fixtures/mini_osm.md); node numbers are its OSM ids.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from routing.explain import explain
from routing.guidance.names import street_phrase
from routing.plan import plan_route
from routing.planner import Planner
from routing.profiles import resolve
from routing.route import (
    SECONDS_PER_STEP,
    WAIT_AT_CROSSING_S,
    WAIT_AT_SIGNALS_S,
    build_route,
    round_metres,
    route_summary,
)

ORIGIN_LAT, ORIGIN_LON = 49.4440, 7.7690
M_PER_DEG_LAT, M_PER_DEG_LON = 111194.9, 72301.6
ALL_UNKNOWN = {"acoustic_signal": "unknown", "vibration": "unknown", "button_operated": "unknown",
               "tactile_paving": "unknown", "island": "unknown", "kerb": "unknown"}


def at(x: float, y: float) -> tuple[float, float]:
    """lat/lon of a point x metres east and y metres north of the mini map's origin."""
    return ORIGIN_LAT + y / M_PER_DEG_LAT, ORIGIN_LON + x / M_PER_DEG_LON


def metres_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return math.hypot((lat1 - lat2) * M_PER_DEG_LAT, (lon1 - lon2) * M_PER_DEG_LON)


# Routes of the mini map, each forced (the map is a tree).
ALONG_FACKELSTRASSE = (at(-20, 2), at(40, 2))  # past node 3, where Rosenweg joins
ALONG_SCHULPFAD = (at(-60, -30), at(-60, 20))  # through node 2, across Fackelstraße
OVER_SIGNALS = (at(62, -50), at(78, -40))  # crossing footway 105: node 14 over node 6 to the east sidewalk
OVER_UNMARKED = (at(-20, -60), at(30, -60))  # footway 106 over node 8 on Rosenweg
DOWN_THE_STEPS = (at(-40, 78), at(-100, 2))  # upper footway, steps, Schulpfad past the bollard, Fackelstraße


@pytest.fixture(scope="session")
def mini_planner(mini_graph, mini_index) -> Planner:
    return Planner(mini_graph, mini_index)


@pytest.fixture(scope="session")
def city_planner(city_graph, city_index) -> Planner:
    return Planner(city_graph, city_index)


def route_of(planner: Planner, ends, profile: str = "blind", **kwargs):
    return plan_route(planner, *ends, profile, **kwargs)


# ------------------------------------------------------------------------------------------------ crossings


def test_along_fackelstrasse_crosses_rosenweg_with_every_fact_unknown(mini_planner):
    route = route_of(mini_planner, ALONG_FACKELSTRASSE)
    assert [e.way_osm_id for e in route.edges] == [101, 101]
    assert len(route.crossings) == 1
    crossing = route.crossings[0]
    assert crossing.node_osm_id == 3
    assert crossing.distance_m == pytest.approx(30.0, abs=0.5)
    # Rosenweg runs south from node 3: on the right of a walk east along Fackelstraße (no sidewalk mapped).
    assert crossing.streets == [{"name": "Rosenweg", "highway": "residential", "lanes": None, "maxspeed_kmh": None,
                                 "way_osm_ids": [103], "side": "right"}]
    assert crossing.mapped is False
    assert crossing.control == "unknown"
    assert crossing.signals == "unknown"
    for fact, value in ALL_UNKNOWN.items():
        assert getattr(crossing, fact) == value, fact
    assert (crossing.lat, crossing.lon) == pytest.approx(at(10, 0), abs=1e-6)


def test_schulpfad_through_node_2_crosses_fackelstrasse_inferred(mini_planner):
    route = route_of(mini_planner, ALONG_SCHULPFAD)
    assert [e.way_osm_id for e in route.edges] == [107, 107]
    assert [c.node_osm_id for c in route.crossings] == [2]
    crossing = route.crossings[0]
    assert crossing.distance_m == pytest.approx(30.0, abs=0.5)
    assert crossing.streets == [{"name": "Fackelstraße", "highway": "residential", "lanes": None,
                                 "maxspeed_kmh": 30.0, "way_osm_ids": [101]}]
    assert crossing.mapped is False  # inferred: no crossing node is mapped at node 2
    assert crossing.control == "unknown"
    assert crossing.signals == "unknown"
    for fact, value in ALL_UNKNOWN.items():
        assert getattr(crossing, fact) == value, fact


def test_signalled_crossing_node_6(mini_planner):
    route = route_of(mini_planner, OVER_SIGNALS)
    assert [e.way_osm_id for e in route.edges] == [105, 105, 104]
    assert len(route.crossings) == 1
    crossing = route.crossings[0]
    assert crossing.node_osm_id == 6
    assert crossing.distance_m == pytest.approx(8.0, abs=0.5)
    assert crossing.mapped is True
    assert crossing.control == "traffic_signals"
    assert crossing.signals == "yes"
    assert crossing.acoustic_signal == "yes"
    assert crossing.vibration == "yes"
    assert crossing.button_operated == "yes"
    assert crossing.tactile_paving == "yes"
    assert crossing.island == "no"
    assert crossing.streets == [{"name": "Mainzer Straße", "highway": "primary", "lanes": 4, "maxspeed_kmh": 50.0,
                                 "way_osm_ids": [102]}]
    assert route.data_gaps == [{"kind": "surface_unknown", "length_m": 26}]  # nothing unknown about the crossing


def test_unmarked_crossing_node_8(mini_planner):
    route = route_of(mini_planner, OVER_UNMARKED)
    assert [c.node_osm_id for c in route.crossings] == [8]
    crossing = route.crossings[0]
    assert crossing.mapped is True
    assert crossing.control == "unmarked"
    assert crossing.signals == "no"
    assert crossing.acoustic_signal == "no"  # no signals, so no sound either
    assert crossing.vibration == "no"
    assert crossing.tactile_paving == "unknown"
    assert crossing.button_operated == "unknown"
    assert crossing.island == "unknown"
    assert crossing.streets == [{"name": "Rosenweg", "highway": "residential", "lanes": None, "maxspeed_kmh": None,
                                 "way_osm_ids": [103]}]
    assert route.data_gaps[0] == {"kind": "tactile_paving_unknown", "count": 1, "at_m": [crossing.distance_m]}
    assert crossing.distance_m == pytest.approx(30.0, abs=0.5)


def test_turning_from_a_street_into_another_crosses_nothing(mini_planner):
    # Fackelstraße into Mainzer Straße at node 4, northwards: no street is crossed.
    route = route_of(mini_planner, (at(40, 2), at(72, 60)))
    assert [e.way_osm_id for e in route.edges] == [101, 102]
    assert route.crossings == []


def test_reaching_the_east_sidewalk_from_fackelstrasse_crosses_mainzer_strasse(mini_planner):
    route = route_of(mini_planner, (at(-100, 2), at(78, -90)))
    assert [e.way_osm_id for e in route.edges] == [101, 101, 101, 102, 105, 104]
    assert [c.node_osm_id for c in route.crossings] == [3, 6]
    assert route.crossings[1].streets[0]["name"] == "Mainzer Straße"
    assert route.crossings[1].control == "traffic_signals"


# ------------------------------------------------------------------------------------------------- geometry


@pytest.mark.parametrize("ends", [ALONG_FACKELSTRASSE, ALONG_SCHULPFAD, OVER_SIGNALS, OVER_UNMARKED, DOWN_THE_STEPS],
                         ids=["fackelstrasse", "schulpfad", "signals", "unmarked", "steps"])
def test_geometry_runs_from_snap_to_snap_in_lon_lat_order(mini_planner, mini_index, ends):
    route = route_of(mini_planner, ends)
    geometry = route.to_dict()["geometry"]
    assert geometry["type"] == "LineString"
    coordinates = geometry["coordinates"]
    assert len(coordinates) >= 2
    for lon, lat in coordinates:
        assert 7.765 < lon < 7.773 and 49.442 < lat < 49.446  # GeoJSON: longitude first
    start, end = mini_index.snap(*ends[0]), mini_index.snap(*ends[1])
    assert metres_between(coordinates[0][1], coordinates[0][0], start.lat, start.lon) < 1.0
    assert metres_between(coordinates[-1][1], coordinates[-1][0], end.lat, end.lon) < 1.0
    walked = sum(metres_between(a[1], a[0], b[1], b[0]) for a, b in zip(coordinates, coordinates[1:]))
    assert walked == pytest.approx(route.distance_m, rel=0.01)


def test_fackelstrasse_geometry_passes_node_3(mini_planner):
    coordinates = route_of(mini_planner, ALONG_FACKELSTRASSE).to_dict()["geometry"]["coordinates"]
    assert len(coordinates) == 3
    assert metres_between(coordinates[1][1], coordinates[1][0], *at(10, 0)) < 0.1
    assert metres_between(coordinates[0][1], coordinates[0][0], *at(-20, 0)) < 0.5
    assert metres_between(coordinates[-1][1], coordinates[-1][0], *at(40, 0)) < 0.5


# --------------------------------------------------------------------------------------- distance, duration


@pytest.mark.parametrize(("ends", "metres"), [(ALONG_FACKELSTRASSE, 60.0), (ALONG_SCHULPFAD, 50.0),
                                             (OVER_SIGNALS, 26.0), (OVER_UNMARKED, 50.0), (DOWN_THE_STEPS, 138.0)],
                         ids=["fackelstrasse", "schulpfad", "signals", "unmarked", "steps"])
def test_distance_is_the_sum_of_the_edges(mini_planner, ends, metres):
    route = route_of(mini_planner, ends)
    assert route.distance_m == pytest.approx(metres, abs=0.6)
    assert route.distance_m == pytest.approx(sum(e.length_m for e in route.edges), abs=0.05 * len(route.edges))
    assert [e.start_m for e in route.edges] == pytest.approx(
        np.cumsum([0.0] + [e.length_m for e in route.edges[:-1]]).tolist(), abs=0.1 * len(route.edges))
    assert route.to_dict()["distance_m"] == round(route.distance_m, 1)


def test_duration_adds_waiting_and_steps_to_walking_time(mini_planner):
    prefs = resolve("blind")
    unknown = route_of(mini_planner, ALONG_FACKELSTRASSE)
    assert unknown.duration_s == pytest.approx(unknown.distance_m / prefs.walking_speed_mps + WAIT_AT_CROSSING_S)
    signals = route_of(mini_planner, OVER_SIGNALS)
    assert signals.duration_s == pytest.approx(signals.distance_m / prefs.walking_speed_mps + WAIT_AT_SIGNALS_S)
    steps = route_of(mini_planner, DOWN_THE_STEPS)
    assert steps.duration_s == pytest.approx(steps.distance_m / prefs.walking_speed_mps + 12 * SECONDS_PER_STEP)
    for route in (unknown, signals, steps):
        assert route.duration_s > route.distance_m / prefs.walking_speed_mps
    standard = route_of(mini_planner, ALONG_FACKELSTRASSE, "standard")
    assert standard.duration_s == pytest.approx(standard.distance_m / 1.3 + WAIT_AT_CROSSING_S)


# ---------------------------------------------------------------------------------- gaps, barriers, steps


def test_data_gaps_of_the_unknown_crossing(mini_planner):
    route = route_of(mini_planner, ALONG_FACKELSTRASSE)
    at_m = route.crossings[0].distance_m
    assert route.data_gaps == [
        {"kind": "crossing_control_unknown", "count": 1, "at_m": [at_m]},
        {"kind": "tactile_paving_unknown", "count": 1, "at_m": [at_m]},
    ]  # Fackelstraße's surface (asphalt) and sidewalks are mapped


def test_steps_route_lists_the_bollard_and_the_flight(mini_planner):
    route = route_of(mini_planner, DOWN_THE_STEPS)
    assert len(route.barriers) == 1
    bollard = route.barriers[0]
    assert bollard["kind"] == "bollard"
    assert bollard["node_osm_id"] == 18
    assert bollard["distance_m"] == pytest.approx(63.0, abs=0.5)  # 20 + 8 + 35
    assert (bollard["lat"], bollard["lon"]) == pytest.approx(at(-60, 35), abs=1e-6)
    assert route.steps == [{"distance_m": pytest.approx(20.0, abs=0.5), "length_m": pytest.approx(8.0, abs=0.1),
                            "way_osm_id": 108, "direction": "down", "step_count": 12, "handrail": "yes",
                            "ramp": "unknown"}]
    assert route.crossings == []  # turning from Schulpfad into Fackelstraße crosses nothing
    assert route.surfaces == {"paving_stones": pytest.approx(8.0, abs=0.1), "paved": pytest.approx(40.0, abs=0.5),
                              "unknown": pytest.approx(90.0, abs=0.5)}
    assert route.data_gaps == [{"kind": "surface_unknown", "length_m": 90}]


def test_route_ids_are_unique(mini_planner):
    ids = {route_of(mini_planner, ALONG_FACKELSTRASSE).route_id for _ in range(20)}
    assert len(ids) == 20
    assert all(re.fullmatch(r"[0-9a-f]{16}", route_id) for route_id in ids)


def test_to_dict_is_json_ready(mini_planner):
    result = route_of(mini_planner, OVER_SIGNALS).to_dict()
    assert "latlon" not in result
    assert isinstance(result["duration_s"], int)
    assert result["profile"] == "blind"
    assert result["preferences"]["steps"] == "avoid"
    assert result["crossings"][0]["control"] == "traffic_signals"


# --------------------------------------------------------------------------------------------- explanation


def test_explanation_is_german_by_default_and_english_on_request(mini_planner):
    german = route_of(mini_planner, ALONG_FACKELSTRASSE)
    english = route_of(mini_planner, ALONG_FACKELSTRASSE, lang="en")
    assert german.explanation["text"] == "Dies ist der kürzeste Weg."
    assert english.explanation["text"] == "This is the shortest route."
    for route in (german, english):
        assert route.explanation["extra_m"] == 0.0
        assert route.explanation["avoids"] == []
        assert route.explanation["shortest_m"] == pytest.approx(route.distance_m, abs=0.1)


def test_explain_on_identical_routes_says_shortest(mini_planner):
    route = route_of(mini_planner, DOWN_THE_STEPS)
    assert explain(route_summary(route), route_summary(route), "de")["text"] == "Dies ist der kürzeste Weg."
    assert explain(route_summary(route), route_summary(route), "en")["text"] == "This is the shortest route."
    assert explain(route_summary(route), route_summary(route), "en")["extra_percent"] == 0.0


def test_explain_a_longer_route_names_the_extra_metres_and_what_it_avoids(mini_planner):
    longer = route_of(mini_planner, DOWN_THE_STEPS)  # ~138 m, no crossing
    shorter = route_of(mini_planner, ALONG_FACKELSTRASSE)  # ~60 m, one unknown crossing of Rosenweg
    extra = round_metres(longer.distance_m - shorter.distance_m)
    assert extra == 80
    german = explain(route_summary(longer), route_summary(shorter), "de")
    assert german["text"] == (
        "80 Meter länger als der kürzeste Weg mit 60 Metern. Er vermeidet eine Überquerung ohne Ampel "
        f"{street_phrase('Rosenweg', 'across', 'de')}, eine Überquerung, über die nichts bekannt ist, und eine "
        "Straßenüberquerung."
    )
    assert "über den Rosenweg" in german["text"]
    english = explain(route_summary(longer), route_summary(shorter), "en")
    assert english["text"].startswith("80 metres longer than the shortest route of 60 metres. It avoids ")
    assert english["avoids"] == [{"kind": "unsignalled_crossings", "street": "Rosenweg", "count": 1},
                                 {"kind": "unknown_crossings", "count": 1}, {"kind": "crossings", "count": 1}]
    assert german["extra_m"] == pytest.approx(longer.distance_m - shorter.distance_m, abs=0.1)
    assert german["extra_percent"] == pytest.approx(100 * german["extra_m"] / shorter.distance_m, abs=0.1)


def test_a_real_blind_detour_is_explained_in_metres(city_planner):
    origin, destination = (49.44801, 7.77744), (49.45263, 7.78354)
    prefs = resolve("blind")
    _, shortest = city_planner.plan(origin, destination, prefs)
    route = route_of(city_planner, (origin, destination))
    extra = route.distance_m - shortest.length_m
    assert extra > 10
    assert route.explanation["extra_m"] == pytest.approx(extra, abs=0.1)
    assert route.explanation["shortest_m"] == pytest.approx(shortest.length_m, abs=0.1)
    assert route.explanation["text"].startswith(
        f"{round_metres(extra)} Meter länger als der kürzeste Weg mit {round_metres(shortest.length_m)} Metern. "
        "Er vermeidet ")
    english = route_of(city_planner, (origin, destination), lang="en")
    assert english.explanation["text"].startswith(
        f"{round_metres(extra)} metres longer than the shortest route of {round_metres(shortest.length_m)} metres. "
        "It avoids ")
    shortest_route = build_route(city_planner, shortest, "blind", prefs)
    assert len(shortest_route.crossings) > len(route.crossings)


def test_a_side_street_is_on_the_side_of_the_direction_walked(mini_planner):
    # Both ways along Mainzer Straße past Fackelstraße (to the west): one move must not lend its side to the other.
    southward = [i.text for i in route_of(mini_planner, (at(70, 40), at(70, -30))).instructions]
    northward = [i.text for i in route_of(mini_planner, (at(70, -30), at(70, 40))).instructions]
    assert "Rechts mündet die Fackelstraße an einer Ampelkreuzung ein." in southward
    assert "Links mündet die Fackelstraße an einer Ampelkreuzung ein." in northward


def test_lights_of_a_junction_are_not_a_pedestrian_light(mini_planner):
    # Along Mainzer Straße past node 4 (highway=traffic_signals, no crossing tags): Fackelstraße is crossed at a
    # junction with lights, but whether the walker's crossing has a light of its own is not mapped.
    route = route_of(mini_planner, (at(70, -30), at(70, 40)))
    assert [c.node_osm_id for c in route.crossings] == [4]
    crossing = route.crossings[0]
    assert crossing.streets[0]["name"] == "Fackelstraße"
    assert (crossing.control, crossing.signals) == ("unknown", "yes")
    texts = [i.text for i in route.instructions]
    # Walking north along Mainzer Straße, Fackelstraße (to the west) joins on the left: crossed only on that sidewalk.
    assert "Links mündet die Fackelstraße an einer Ampelkreuzung ein." in texts
    assert not any("an der Ampel" in text for text in texts)
    english = route_of(mini_planner, (at(70, -30), at(70, 40)), lang="en")
    assert "Fackelstraße joins on your left at a signalled junction." in " ".join(i.text for i in english.instructions)
    # The crossing footway 105 has its own light: said as a pedestrian light.
    signalled = route_of(mini_planner, OVER_SIGNALS).instructions[0].text
    assert "Die Mainzer Straße mit 4 Fahrstreifen an der Ampel überqueren." in signalled
