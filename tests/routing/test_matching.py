"""The map matcher on real Kaiserslautern routes: on the route it stays calm, on a wrong street it is sure."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.walker.simulate import _Walker, _walker_for, wrong_turn
from bench.offroute_bench import DETECTION_TARGET_S, walk
from routing.matching import MapMatcher, WalkNetwork
from routing.plan import plan_route
from routing.planner import Planner
from routing.tracking import GuidanceSession

PAIRS = json.loads((Path(__file__).resolve().parents[2] / "bench" / "route_pairs.json").read_text())


@pytest.fixture(scope="module")
def planner(city_graph, city_index):
    return Planner(city_graph, city_index)


@pytest.fixture(scope="module")
def network(city_index):
    return WalkNetwork(city_index)


def test_candidates_are_the_edges_near_a_point_with_their_nearest_point(city_index):
    x, y = city_index.project(49.4447, 7.7690)
    found = city_index.candidates(x, y, 30.0)
    assert len(found) > 0 and len(set(found.edge.tolist())) == len(found)  # one row per edge
    assert (found.distance_m <= 30.0 + 1e-6).all()
    nearest = city_index.snap(49.4447, 7.7690)
    assert nearest.edge in found.edge.tolist()
    assert found.distance_m.min() == pytest.approx(nearest.distance_m, abs=0.01)
    # The same nearest points, looked up by edge (for a point already matched to a way).
    foot_x, foot_y, bearing = city_index.nearest_on_edges(found.edge, x, y)
    assert np.hypot(foot_x - x, foot_y - y) == pytest.approx(found.distance_m, abs=1e-6)
    assert ((bearing >= 0) & (bearing < 360)).all()


@pytest.mark.parametrize("pair_index", [1, 6, 16])
def test_on_the_route_the_walker_is_on_it_and_on_the_wrong_street_off_it(planner, network, city_graph,
                                                                           pair_index):
    pair = PAIRS[pair_index]
    route = plan_route(planner, (pair["from"]["lat"], pair["from"]["lon"]), (pair["to"]["lat"], pair["to"]["lon"]),
                       "blind", None, "de")
    at, points = wrong_turn(city_graph, route.to_dict(), min(150.0, pair["straight_m"] / 3))
    distance_to_route = GuidanceSession(route, route.instructions, planner.index.project, "de").distance_to_route
    matcher = MapMatcher(network, [piece.edge for piece in route.edges], distance_to_route)
    on_route, wrong = _walker_for(route.to_dict()), _Walker([p[0] for p in points], [p[1] for p in points])
    beliefs = []
    for walked in np.arange(1.3, at, 1.3):  # without noise: the matcher's model, not its luck
        x, y, heading = on_route.at(walked)
        beliefs.append(matcher.update(*planner.index.project(*on_route.latlon(x, y)), 8.0, heading, 1.3, 1.0).off_route)
    assert max(beliefs) < 0.5
    told = None
    for second, walked in enumerate(np.arange(1.3, wrong.length, 1.3), start=1):
        x, y, heading = wrong.at(walked)
        match = matcher.update(*planner.index.project(*wrong.latlon(x, y)), 8.0, heading, 1.3, 1.0)
        if match.off_route >= 0.9:
            told = second
            break
    # A way counts as leaving the route only 5 to 7 m from it (OFF_WAY_NEAR_M, OFF_WAY_M: 4 to 6 s at walking pace),
    # then the belief has to build up; without noise that takes up to 11 s on these junctions.
    assert told is not None and told <= 12



def test_going_straight_on_where_the_route_turns_is_not_the_last_way_walked_backwards(planner, network, city_graph):
    """With 8 m noise the fixes past a junction lie near the way just walked, too; only the heading tells that the
    walker is not walking it back. Undirected states matched 17 of these 264 fixes to a way already walked."""
    back, fixes = 0, 0
    for pair_index in (1, 6, 11, 16, 21, 26, 31, 41):
        pair = PAIRS[pair_index]
        route = plan_route(planner, (pair["from"]["lat"], pair["from"]["lon"]),
                           (pair["to"]["lat"], pair["to"]["lon"]), "blind", None, "de")
        at, points = wrong_turn(city_graph, route.to_dict(), min(150.0, pair["straight_m"] / 3))
        walked_before = {piece.edge for piece in route.edges if piece.start_m < at}
        distance_to_route = GuidanceSession(route, route.instructions, planner.index.project, "de").distance_to_route
        on_route, wrong = _walker_for(route.to_dict()), _Walker([p[0] for p in points], [p[1] for p in points])
        for seed in range(3):
            rng = np.random.default_rng(seed)
            matcher = MapMatcher(network, [piece.edge for piece in route.edges], distance_to_route)

            def fix(line, walked):
                x, y, heading = line.at(walked)
                x, y = on_route.xy(*line.latlon(x, y))
                lat, lon = on_route.latlon(x + rng.normal(0, 8), y + rng.normal(0, 8))
                return matcher.update(*planner.index.project(lat, lon), 8.0, (heading + rng.normal(0, 10)) % 360,
                                      1.3, 1.0)

            for walked in np.arange(max(1.3, at - 60), at, 1.3):
                fix(on_route, walked)
            for walked in np.arange(1.3, 20.0, 1.3):  # the first 20 m past the junction
                match = fix(wrong, walked)
                if walked > 6:
                    back += match.edge in walked_before
                    fixes += 1
    assert fixes > 200 and back / fixes <= 0.02


@pytest.mark.parametrize(("pair_index", "seed"), [(21, 0), (141, 1)])
def test_a_wrong_street_leaving_at_a_slant_is_told_within_10_s(planner, network, city_graph, pair_index, seed):
    """offroute_bench's walks with 8 m noise: these streets leave the route at a slant and gain on it slowly; measured
    only at the smoothed fix, 7 m from the route, they were told after 11 s. The walker's place moved onto the wrong
    way, 4 m from the route, tells them from 5 m."""
    result = walk(planner, network, city_graph, PAIRS[pair_index], pair_index, seed)
    assert result["kind"] == "wrong_turn" and result["left"] and result["false"] == 0
    assert result["detected_s"] is not None and result["detected_s"] <= DETECTION_TARGET_S
