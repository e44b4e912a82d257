"""The route planner (routing.planner): optimality against networkx, preferences, obstacles, detour limit, errors.

City tests run over 200 pairs: bench/route_pairs.json when it exists, else 200 seeded pairs of node positions
300-3000 m apart in the city's largest connected network. The mini map (tests/fixtures/mini_osm.md) is a tree, so
every route on it is forced; it shows the cases that have exactly one answer.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone

import networkx as nx
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from routing.errors import CoordinateError, OffMapError
from routing.graph import WalkGraph
from routing.plan import plan_route
from routing.planner import NoRouteError, Obstacle, Path, Planner
from routing.profiles import PreferenceError, resolve
from routing.route import build_route
from routing.spatial import Snap
from tests.conftest import REPO
from tests.graph_helpers import plain_dijkstra_cost

PAIRS_FILE = REPO / "bench" / "route_pairs.json"

# Every preference that is not plain length switched off: the preferred route must be the shortest one.
NEUTRAL = {"steps": "use", "crossing_penalty_m": 0, "turn_penalty_m": 0, "street_change_penalty_m": 0,
           "big_road_weight": 0, "rough_surface_factor": 1, "shared_bicycle_factor": 1, "max_detour": 5}
BIG_ROADS = {"primary", "primary_link", "secondary", "secondary_link", "trunk", "trunk_link"}

# mini.osm is laid out in metres east (x) / north (y) of this point (mini_osm.md).
ORIGIN_LAT, ORIGIN_LON = 49.4440, 7.7690
M_PER_DEG_LAT, M_PER_DEG_LON = 111194.9, 72301.6


def at(x: float, y: float) -> tuple[float, float]:
    """lat/lon of a point x metres east and y metres north of the mini map's origin."""
    return ORIGIN_LAT + y / M_PER_DEG_LAT, ORIGIN_LON + x / M_PER_DEG_LON


UPPER_FOOTWAY = at(-40, 78)  # way 109, above the steps
FACKELSTRASSE_WEST = at(-100, 2)  # way 101 between nodes 1 and 2
CYCLEWAY = at(-20, -130)  # way 111, beyond Rosenweg's south end (node 9)


# ---------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def city_planner(city_graph, city_index) -> Planner:
    return Planner(city_graph, city_index)


@pytest.fixture(scope="session")
def mini_planner(mini_graph, mini_index) -> Planner:
    return Planner(mini_graph, mini_index)


@pytest.fixture(scope="session")
def largest_component(city_graph: WalkGraph) -> np.ndarray:
    """Node indices of the city's largest connected walkable network."""
    n = city_graph.node_count
    matrix = coo_matrix((np.ones(city_graph.edge_count), (city_graph.edge_u, city_graph.edge_v)), shape=(n, n))
    _, labels = connected_components(matrix, directed=False)
    return np.flatnonzero(labels == np.argmax(np.bincount(labels)))


@pytest.fixture(scope="session")
def pairs(city_graph: WalkGraph, largest_component: np.ndarray) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """200 (origin, destination) lat/lon pairs in the city."""
    if PAIRS_FILE.exists():
        raw = json.loads(PAIRS_FILE.read_text(encoding="utf-8"))
        return [((p["from"]["lat"], p["from"]["lon"]), (p["to"]["lat"], p["to"]["lon"])) for p in raw][:200]
    rng = np.random.default_rng(2026)
    g = city_graph
    result = []
    while len(result) < 200:
        a, b = (int(i) for i in rng.choice(largest_component, 2))
        if 300 <= math.hypot(g.node_x[a] - g.node_x[b], g.node_y[a] - g.node_y[b]) <= 3000:
            result.append(((float(g.node_lat[a]), float(g.node_lon[a])), (float(g.node_lat[b]), float(g.node_lon[b]))))
    return result


@pytest.fixture(scope="session")
def city_nx(city_graph: WalkGraph) -> nx.MultiGraph:
    """The city as a networkx MultiGraph: one edge per WalkGraph edge (key = edge id) with its length."""
    g = city_graph
    steps_code = g.texts["highway"].index("steps")
    is_steps = (g.way_columns["highway"][g.edge_way] == steps_code).tolist()
    graph = nx.MultiGraph()
    graph.add_nodes_from(range(g.node_count))
    for e, (u, v, length) in enumerate(zip(g.edge_u.tolist(), g.edge_v.tolist(), g.edge_length.tolist())):
        graph.add_edge(u, v, key=e, length=float(length), steps=is_steps[e], edge=e)
    return graph


def nx_distance(graph: nx.MultiGraph, g: WalkGraph, start: Snap, end: Snap, hidden=lambda attrs: False,
                weights: np.ndarray | None = None) -> float | None:
    """networkx's shortest distance between two snapped points (None: no path), edges split at the snaps.

    `hidden(attrs)` removes edges; `weights` (per edge) replaces length, spread evenly along each edge.
    """
    length = g.edge_length.astype(np.float64)
    weight_of = length if weights is None else weights

    def split(snap: Snap, name: str) -> None:
        e = snap.edge
        offset = min(max(snap.offset_m, 0.0), length[e])
        per_metre = weight_of[e] / length[e] if length[e] > 0 else 0.0
        attrs = {"steps": graph.edges[int(g.edge_u[e]), int(g.edge_v[e]), e]["steps"], "edge": e}
        graph.add_edge(name, int(g.edge_u[e]), key=("part", e), length=offset * per_metre, **attrs)
        graph.add_edge(name, int(g.edge_v[e]), key=("part", e, 2), length=(length[e] - offset) * per_metre, **attrs)

    def weight(u, v, keyed: dict) -> float | None:
        lengths = [weight_of[key] if isinstance(key, int) else attrs["length"]
                   for key, attrs in keyed.items() if not hidden(attrs)]
        return min(lengths) if lengths else None

    split(start, "S")
    split(end, "T")
    if start.edge == end.edge:
        e = start.edge
        per_metre = weight_of[e] / length[e] if length[e] > 0 else 0.0
        graph.add_edge("S", "T", key="direct", length=abs(end.offset_m - start.offset_m) * per_metre,
                       steps=graph.edges[int(g.edge_u[e]), int(g.edge_v[e]), e]["steps"], edge=e)
    try:
        return nx.dijkstra_path_length(graph, "S", "T", weight=weight)
    except nx.NetworkXNoPath:
        return None
    finally:
        graph.remove_nodes_from(["S", "T"])


def snaps(planner: Planner, pair) -> tuple[Snap, Snap]:
    return planner.index.snap(*pair[0]), planner.index.snap(*pair[1])


def edge_ids(planner: Planner, path: Path) -> np.ndarray:
    return np.asarray(path.directed) % planner.graph.edge_count


def uses_steps(planner: Planner, path: Path) -> bool:
    g = planner.graph
    return bool((np.array(g.texts["highway"])[g.way_columns["highway"][g.edge_way[edge_ids(planner, path)]]]
                 == "steps").any())


def no_route(planner: Planner, origin, destination, prefs, obstacles=()) -> NoRouteError:
    with pytest.raises(NoRouteError) as info:
        planner.plan(origin, destination, prefs, obstacles)
    return info.value


def node_of(g: WalkGraph, osm_id: int) -> int:
    found = np.flatnonzero(g.node_osm_id == osm_id)
    assert len(found) == 1
    return int(found[0])


# ------------------------------------------------------------------------------- optimality, city pairs


def test_pairs_are_200_distinct_city_pairs(pairs, city_index):
    assert len(pairs) == 200
    if not PAIRS_FILE.exists():
        assert len(set(pairs)) == 200
    for origin, destination in pairs[:20]:
        assert city_index.snap(*origin).distance_m < 150
        assert city_index.snap(*destination).distance_m < 150


def test_neutral_preferences_give_networkx_shortest_length(city_planner, city_graph, city_nx, pairs):
    prefs = resolve("standard", NEUTRAL)
    compared = 0
    for pair in pairs:
        start, end = snaps(city_planner, pair)
        reference = nx_distance(city_nx, city_graph, start, end)
        if reference is None:
            assert no_route(city_planner, *pair, prefs).reason == "no_connection", pair
            continue
        preferred, shortest = city_planner.plan(*pair, prefs)
        assert preferred.length_m == pytest.approx(reference, rel=0.005), pair
        assert shortest.length_m == pytest.approx(reference, rel=0.005), pair
        assert preferred.length_m >= reference * (1 - 1e-6), pair  # never shorter than the true shortest
        compared += 1
    assert compared >= 190


def test_plain_length_costs_never_beat_the_preferred_route_on_length(city_planner, pairs):
    blind = resolve("blind")
    for pair in pairs[:50]:
        start, end = snaps(city_planner, pair)
        preferred = city_planner.search(start, end, city_planner.costs(blind))
        shortest = city_planner.search(start, end, city_planner.costs(None))
        assert shortest.length_m <= preferred.length_m + 1e-6


@settings(max_examples=60, deadline=None, derandomize=True)
@given(data=st.data())
def test_preferred_route_is_cheapest_under_its_own_costs(city_planner, largest_component, data):
    g = city_planner.graph
    a = data.draw(st.sampled_from(largest_component.tolist()), label="from node")
    b = data.draw(st.sampled_from(largest_component.tolist()), label="to node")
    start = city_planner.index.snap(g.node_lat[a], g.node_lon[a])
    end = city_planner.index.snap(g.node_lat[b], g.node_lon[b])
    assume(not (start.edge == end.edge and abs(start.offset_m - end.offset_m) < 1.0))
    prefs = resolve("blind")
    costs = city_planner.costs(prefs)
    preferred = city_planner.search(start, end, costs)
    shortest = city_planner.search(start, end, city_planner.costs(None))
    assert preferred is not None and shortest is not None
    assume(preferred.length_m <= shortest.length_m * prefs.max_detour + 1.0)  # returned without blending
    assert city_planner.path_cost(preferred, costs) <= city_planner.path_cost(shortest, costs) + 1e-6
    assert city_planner.path_cost(preferred, costs) == pytest.approx(preferred.cost, abs=1e-3)
    assert shortest.length_m <= preferred.length_m + 1e-6


def mid_edge_pairs(g: WalkGraph, nodes: np.ndarray, count: int, seed: int) -> list[tuple[Snap, Snap]]:
    """Seeded pairs of points on different edges among `nodes`, 200-3000 m apart, each a third along its edge's first
    segment (so a point lies on one edge, where a node lies on several)."""
    rng = np.random.default_rng(seed)
    edges = np.flatnonzero(np.isin(g.edge_u, nodes))

    def point(edge: int) -> tuple[float, float]:
        first = g.geom_offsets[edge]
        return tuple(float(c[first] + (c[first + 1] - c[first]) / 3) for c in (g.geom_lat, g.geom_lon))

    found = []
    while len(found) < count:
        a, b = (int(edge) for edge in rng.choice(edges, size=2))
        first_a, first_b = g.geom_offsets[a], g.geom_offsets[b]
        apart = math.hypot(g.geom_x[first_a] - g.geom_x[first_b], g.geom_y[first_a] - g.geom_y[first_b])
        if a != b and 200 <= apart <= 3000:
            found.append((point(a), point(b)))
    return found


def test_bounded_searches_cost_what_one_dijkstra_over_the_whole_graph_costs(city_planner, largest_component):
    # The A* bound, its early stop, the first limit and the upper bound only save work: every answer is the optimum.
    blind, length = city_planner.costs(resolve("blind")), city_planner.costs(None)
    checked = 0
    for pair in mid_edge_pairs(city_planner.graph, largest_component, 300, seed=16):
        start, end = snaps(city_planner, pair)
        if start.edge == end.edge:
            continue
        shortest = city_planner.search(start, end, length)
        assert shortest.cost == pytest.approx(plain_dijkstra_cost(city_planner, start, end, length), abs=1e-3), pair
        bounded = city_planner.search(start, end, blind, upper_bound=city_planner.path_cost(shortest, blind))
        reference = plain_dijkstra_cost(city_planner, start, end, blind)
        assert bounded.cost == pytest.approx(reference, abs=1e-3), pair
        assert city_planner.search(start, end, blind).cost == pytest.approx(reference, abs=1e-3), pair
        checked += 1
    assert checked >= 295


def test_path_cost_counts_zero_length_steps(city_planner, city_graph):
    g = city_graph
    steps_code = g.texts["highway"].index("steps")
    zero_steps = np.flatnonzero((g.edge_length == 0) & (g.way_columns["highway"][g.edge_way] == steps_code))
    assert len(zero_steps) > 0
    costs = city_planner.costs(resolve("standard", {**NEUTRAL, "steps": "avoid", "steps_penalty_m": 1}))
    checked = 0
    for z in zero_steps.tolist():
        u, v = int(g.edge_u[z]), int(g.edge_v[z])
        before = [e for e in g.edges_at(u).tolist() if e != z and g.edge_length[e] > 2]
        after = [e for e in g.edges_at(v).tolist() if e != z and g.edge_length[e] > 2]
        if not before or not after:
            continue
        ends = []
        for e in (before[0], after[0]):
            middle = g.geom_offsets[e] + (g.geom_offsets[e + 1] - g.geom_offsets[e]) // 2
            ends.append(city_planner.index.snap(g.geom_lat[middle], g.geom_lon[middle]))
        path = city_planner.search(ends[0], ends[1], costs)
        if z not in edge_ids(city_planner, path):
            continue
        checked += 1
        # The search charged the 1 m steps penalty; the same path costed again must cost the same.
        assert city_planner.path_cost(path, costs) == pytest.approx(path.cost, abs=1e-3)
    assert checked > 0


def test_a_surface_factor_below_one_still_gives_the_cheapest_route(city_planner, city_graph, city_nx, pairs):
    prefs = resolve("standard", {**NEUTRAL, "rough_surface_factor": 0.5})
    costs = city_planner.costs(prefs)
    weights = costs.arrays.directed[: city_graph.edge_count]
    for pair in pairs[:60]:
        start, end = snaps(city_planner, pair)
        best = nx_distance(city_nx, city_graph, start, end, weights=weights)
        if best is None:
            continue
        found = city_planner.search(start, end, costs)
        assert city_planner.path_cost(found, costs) <= best + 1e-6, pair


# --------------------------------------------------------------------------------------------------- steps


def test_steps_never_never_walks_steps(city_planner, city_graph, city_nx, pairs):
    prefs = resolve("blind", {"steps": "never", "max_detour": 5})
    routed = 0
    for pair in pairs:
        start, end = snaps(city_planner, pair)
        shortest = nx_distance(city_nx, city_graph, start, end)
        steps_free = nx_distance(city_nx, city_graph, start, end, hidden=lambda attrs: attrs["steps"])
        if shortest is None or steps_free is None:
            assert no_route(city_planner, *pair, prefs).reason == "no_connection", pair
            continue
        if steps_free > shortest * 5 + 1.5:
            assert no_route(city_planner, *pair, prefs).reason == "detour_limit", pair
            continue
        preferred, _ = city_planner.plan(*pair, prefs)
        assert not uses_steps(city_planner, preferred), pair
        route = build_route(city_planner, preferred, "blind", prefs)
        assert route.steps == []
        assert {e.highway for e in route.edges}.isdisjoint({"steps"})
        routed += 1
    assert routed >= 150


def test_some_city_routes_use_steps_when_allowed(city_planner, pairs):
    prefs = resolve("standard", NEUTRAL)
    assert sum(uses_steps(city_planner, city_planner.plan(*pair, prefs)[0]) for pair in pairs[:60]) >= 5


def test_mini_steps_never_has_no_connection_from_the_upper_footway(mini_planner):
    error = no_route(mini_planner, UPPER_FOOTWAY, FACKELSTRASSE_WEST, resolve("blind", {"steps": "never"}))
    assert error.reason == "no_connection"
    assert error.code == "no_route_no_connection"
    assert error.params == {"reason": "no_connection"}


def test_mini_steps_use_goes_down_the_one_flight(mini_planner):
    route = plan_route(mini_planner, UPPER_FOOTWAY, FACKELSTRASSE_WEST, "blind", {"steps": "use"})
    assert len(route.steps) == 1
    flight = route.steps[0]
    assert flight["way_osm_id"] == 108
    assert flight["direction"] == "down"
    assert flight["step_count"] == 12
    assert flight["handrail"] == "yes"
    assert flight["length_m"] == pytest.approx(8.0, abs=0.5)
    assert flight["distance_m"] == pytest.approx(20.0, abs=0.5)  # 20 m of upper footway to node 20
    # 20 (upper footway) + 8 (steps) + 70 (Schulpfad 19-2) + 40 (Fackelstraße 2 to x=-100)
    assert route.distance_m == pytest.approx(138.0, abs=1.0)
    assert [e.way_osm_id for e in route.edges] == [109, 108, 107, 107, 101]


def test_mini_steps_up_in_the_other_direction(mini_planner):
    route = plan_route(mini_planner, FACKELSTRASSE_WEST, UPPER_FOOTWAY, "standard")
    assert [(s["way_osm_id"], s["direction"]) for s in route.steps] == [(108, "up")]


def test_mini_steps_avoid_still_takes_the_only_way(mini_planner):
    route = plan_route(mini_planner, UPPER_FOOTWAY, FACKELSTRASSE_WEST, "blind")  # steps="avoid"
    assert [s["way_osm_id"] for s in route.steps] == [108]


# ------------------------------------------------------------------------------------------------ obstacles


def _route_and_middle_way(planner: Planner, pair, prefs) -> tuple[Path, int, list[int]] | None:
    """The route of a pair and the OSM id of a way in its middle that neither end's edge belongs to."""
    g = planner.graph
    path, _ = planner.plan(*pair, prefs)
    edges = edge_ids(planner, path)
    if len(edges) < 5:
        return None
    end_ways = {int(g.edge_way[edges[0]]), int(g.edge_way[edges[-1]])}
    way = int(g.edge_way[edges[len(edges) // 2]])
    used = [int(e) for e in edges if g.edge_way[e] == way]
    if way in end_ways or any(g.edge_length[e] < 1 for e in used):
        return None
    return path, int(g.way_osm_id[way]), used


def test_blocking_a_used_way_makes_the_route_avoid_it(city_planner, city_graph, city_nx, pairs):
    prefs = resolve("standard", NEUTRAL)
    avoided = 0
    for pair in pairs[:40]:
        found = _route_and_middle_way(city_planner, pair, prefs)
        if found is None:
            continue
        old, way_osm_id, _ = found
        obstacle = Obstacle(severity="block", osm_way_id=way_osm_id)
        blocked_edges = set(city_planner.obstacle_edges(obstacle).tolist())
        assert blocked_edges and blocked_edges & set(edge_ids(city_planner, old).tolist())
        start, end = snaps(city_planner, pair)
        around = nx_distance(city_nx, city_graph, start, end,
                             hidden=lambda attrs, keys=blocked_edges: attrs.get("edge") in keys)
        if around is None:
            assert no_route(city_planner, *pair, prefs, (obstacle,)).reason == "blocked"
            continue
        new, shortest = city_planner.plan(*pair, prefs, (obstacle,))
        assert blocked_edges.isdisjoint(edge_ids(city_planner, new).tolist())
        assert blocked_edges.isdisjoint(edge_ids(city_planner, shortest).tolist())
        assert new.length_m >= old.length_m - 1e-6
        assert new.length_m == pytest.approx(around, rel=0.005)
        avoided += 1
    assert avoided >= 5


def test_blocking_a_point_blocks_its_edge(mini_planner):
    # A point beside Rosenweg between nodes 3 and 8: the only way south.
    error = no_route(mini_planner, FACKELSTRASSE_WEST, CYCLEWAY, resolve("blind"),
                     (Obstacle(severity="block", lat=at(12, -30)[0], lon=at(12, -30)[1]),))
    assert error.reason == "blocked"


@pytest.mark.parametrize(
    ("destination", "obstacles"),
    [
        (CYCLEWAY, (Obstacle(severity="block", osm_way_id=103),)),  # Rosenweg: the only way to node 9
        (CYCLEWAY, (Obstacle(severity="block", osm_node_id=9),)),
        (UPPER_FOOTWAY, (Obstacle(severity="block", osm_way_id=108),)),  # the steps
        (UPPER_FOOTWAY, (Obstacle(severity="block", osm_way_id=107), Obstacle(severity="block", osm_way_id=108))),
    ],
    ids=["rosenweg", "node-9", "steps", "schulpfad-and-steps"],
)
def test_blocking_every_way_to_the_destination(mini_planner, destination, obstacles):
    error = no_route(mini_planner, FACKELSTRASSE_WEST, destination, resolve("blind"), obstacles)
    assert error.reason == "blocked"
    assert error.code == "no_route_blocked"
    # Without the obstacles the same request works.
    mini_planner.plan(FACKELSTRASSE_WEST, destination, resolve("blind"))


def test_blocking_a_way_elsewhere_changes_nothing(mini_planner):
    plain, _ = mini_planner.plan(FACKELSTRASSE_WEST, CYCLEWAY, resolve("blind"))
    new, _ = mini_planner.plan(FACKELSTRASSE_WEST, CYCLEWAY, resolve("blind"),
                               (Obstacle(severity="block", osm_way_id=108),))
    assert new.directed == plain.directed


def test_obstacle_edges(mini_planner, mini_graph):
    g = mini_graph
    by_way = mini_planner.obstacle_edges(Obstacle(severity="block", osm_way_id=101))
    assert sorted(g.node_osm_id[g.edge_u[by_way]].tolist() + g.node_osm_id[g.edge_v[by_way]].tolist()) == \
        [1, 2, 2, 3, 3, 4]
    by_node = mini_planner.obstacle_edges(Obstacle(severity="block", osm_node_id=3))
    assert len(by_node) == 3  # Fackelstraße 2-3 and 3-4, Rosenweg 3-8
    assert all(node_of(g, 3) in (g.edge_u[e], g.edge_v[e]) for e in by_node)
    by_merged_node = mini_planner.obstacle_edges(Obstacle(severity="block", osm_node_id=12))
    assert len(by_merged_node) == 1  # node 12 is inside the sidewalk edge 11-13


@pytest.mark.parametrize(
    "when",
    [{"valid_until": datetime.now(timezone.utc) - timedelta(hours=1)},
     {"valid_from": datetime.now(timezone.utc) + timedelta(days=1)}],
    ids=["expired", "not-yet"],
)
def test_inactive_obstacles_have_no_effect(city_planner, pairs, when):
    prefs = resolve("standard", NEUTRAL)
    checked = 0
    for pair in pairs[:20]:
        found = _route_and_middle_way(city_planner, pair, prefs)
        if found is None:
            continue
        old, way_osm_id, _ = found
        inactive = Obstacle(severity="block", osm_way_id=way_osm_id, **when)
        new, _ = city_planner.plan(*pair, prefs, (inactive,))
        assert new.directed == old.directed
        assert new.length_m == old.length_m
        checked += 1
    assert checked >= 3


def test_an_active_timed_obstacle_blocks(mini_planner):
    now = datetime.now(timezone.utc)
    obstacle = Obstacle(severity="block", osm_way_id=103, valid_from=now - timedelta(hours=1),
                        valid_until=now + timedelta(hours=1))
    assert no_route(mini_planner, FACKELSTRASSE_WEST, CYCLEWAY, resolve("blind"), (obstacle,)).reason == "blocked"


def test_a_penalty_makes_the_route_longer_or_equal_and_is_avoided_when_worth_it(city_planner, pairs):
    prefs = resolve("standard", NEUTRAL)
    checked = moved = 0
    for pair in pairs[:40]:
        found = _route_and_middle_way(city_planner, pair, prefs)
        if found is None:
            continue
        old, way_osm_id, used = found
        penalty = Obstacle(severity="penalty", osm_way_id=way_osm_id, penalty_m=200.0)
        plain_costs = city_planner.costs(prefs)
        penalised = city_planner.costs(prefs, (penalty,))
        # The old route pays 200 m for every edge of the way it walks.
        assert city_planner.path_cost(old, penalised) == pytest.approx(
            city_planner.path_cost(old, plain_costs) + 200.0 * len(used), abs=1e-6)
        new, _ = city_planner.plan(*pair, prefs, (penalty,))
        assert new.length_m >= old.length_m - 1e-6
        assert city_planner.path_cost(new, penalised) <= city_planner.path_cost(old, penalised) + 1e-6
        if new.directed != old.directed:
            moved += 1
            assert new.length_m < old.length_m + 200.0 * len(used) + 1e-6
        checked += 1
    assert checked >= 5
    assert moved >= 1


# ---------------------------------------------------------------------------------------------- detour limit


def test_returned_route_respects_the_detour_limit(city_planner, pairs):
    limited = resolve("standard", {"crossing_penalty_m": 5000, "max_detour": 1.0})
    unlimited = resolve("standard", {"crossing_penalty_m": 5000, "max_detour": 5.0})
    limit_mattered = 0
    for pair in pairs:
        chosen, shortest = city_planner.plan(*pair, limited)
        assert chosen.length_m <= shortest.length_m * 1.0 + 1.0, pair
        wanted, _ = city_planner.plan(*pair, unlimited)
        if wanted.length_m > shortest.length_m + 1.0:
            limit_mattered += 1
    assert limit_mattered >= 10


def test_a_steps_free_route_beyond_the_limit_is_refused(city_planner, city_graph, city_nx, pairs):
    prefs = resolve("standard", {**NEUTRAL, "steps": "never", "max_detour": 1.0})
    refused = 0
    for pair in pairs:
        shortest, _ = city_planner.plan(*pair, resolve("standard", NEUTRAL))
        if not uses_steps(city_planner, shortest):
            continue
        start, end = snaps(city_planner, pair)
        steps_free = nx_distance(city_nx, city_graph, start, end, hidden=lambda attrs: attrs["steps"])
        if steps_free is None:
            assert no_route(city_planner, *pair, prefs).reason == "no_connection"
        elif steps_free > shortest.length_m + 1.5:
            error = no_route(city_planner, *pair, prefs)
            assert error.reason == "detour_limit", pair
            assert error.code == "no_route_detour_limit"
            assert error.params == {"reason": "detour_limit", "max_detour_percent": 0,
                                    "shortest_m": round(shortest.length_m)}
            refused += 1
        elif steps_free < shortest.length_m + 0.5:
            chosen, _ = city_planner.plan(*pair, prefs)
            assert not uses_steps(city_planner, chosen)
    assert refused >= 1


def test_detour_percent_in_the_error(city_planner, city_graph, city_nx, pairs):
    """With 25 % accepted, a steps-free route more than 25 % longer is refused and the error says 25."""
    prefs = resolve("standard", {**NEUTRAL, "steps": "never", "max_detour": 1.25})
    for pair in pairs:
        start, end = snaps(city_planner, pair)
        shortest = nx_distance(city_nx, city_graph, start, end)
        steps_free = nx_distance(city_nx, city_graph, start, end, hidden=lambda attrs: attrs["steps"])
        if shortest is not None and steps_free is not None and steps_free > shortest * 1.25 + 5:
            error = no_route(city_planner, *pair, prefs)
            assert error.params["max_detour_percent"] == 25
            assert error.params["shortest_m"] == pytest.approx(shortest, abs=1)
            assert "25 %" in str(error)
            return
    pytest.fail("no pair whose steps-free route is more than 25 % longer")


# ------------------------------------------------------------------------------------------------- errors


def test_same_place(mini_planner, city_planner):
    for planner, point in ((mini_planner, FACKELSTRASSE_WEST), (city_planner, (49.4447, 7.7690))):
        error = no_route(planner, point, point, resolve("blind"))
        assert error.reason == "same_place"
        assert error.code == "no_route_same_place"
    # Half a metre apart along the same street is still the same place.
    assert no_route(mini_planner, at(-100, 0), at(-99.5, 0), resolve("blind")).reason == "same_place"


def test_two_metres_apart_is_a_route(mini_planner):
    path, _ = mini_planner.plan(at(-100, 0), at(-98, 0), resolve("blind"))
    assert path.length_m == pytest.approx(2.0, abs=0.05)
    assert len(path.directed) == 1


@pytest.mark.parametrize("point", [(49.62, 7.7690), (49.4440, 8.0)], ids=["20km-north", "17km-east"])
def test_off_map(city_planner, point):
    with pytest.raises(OffMapError):
        city_planner.plan(point, (49.4447, 7.7690), resolve("blind"))
    with pytest.raises(OffMapError):
        city_planner.plan((49.4447, 7.7690), point, resolve("blind"))


@pytest.mark.parametrize("bad", [(float("nan"), 7.769), (49.444, float("nan")), (float("inf"), 7.769),
                                 ("abc", 7.769), (95, 7.769), (None, 7.769), (True, 7.769)])
def test_bad_coordinates(mini_planner, bad):
    with pytest.raises(CoordinateError):
        mini_planner.plan(bad, FACKELSTRASSE_WEST, resolve("blind"))
    with pytest.raises(CoordinateError):
        mini_planner.plan(FACKELSTRASSE_WEST, bad, resolve("blind"))


@pytest.mark.parametrize(
    ("profile", "overrides", "name"),
    [
        ("wheelchair", None, "wheelchair"),
        ("blind", {"stairs": "never"}, "stairs"),
        ("blind", {"steps": 3}, "steps"),
        ("blind", {"steps": "sometimes"}, "steps"),
        ("blind", {"max_detour": "x"}, "max_detour"),
        ("blind", {"max_detour": 0.9}, "max_detour"),
        ("blind", {"max_detour": float("nan")}, "max_detour"),
        ("blind", {"crossing_penalty_m": True}, "crossing_penalty_m"),
        ("blind", {"crossing_penalty_m": -1}, "crossing_penalty_m"),
        ("blind", {"prefer_handrail": "yes"}, "prefer_handrail"),
        ("blind", {"prefer_handrail": 1}, "prefer_handrail"),
        ("blind", {"unknown": "reckless"}, "unknown"),
        ("blind", [("steps", "use")], "prefs"),
    ],
)
def test_preference_errors(mini_planner, profile, overrides, name):
    with pytest.raises(PreferenceError) as info:
        resolve(profile, overrides)
    assert info.value.params == {"name": name}
    assert info.value.code == "bad_preference"
    with pytest.raises(PreferenceError):
        plan_route(mini_planner, FACKELSTRASSE_WEST, CYCLEWAY, profile, overrides)


def test_overrides_are_applied(mini_planner):
    prefs = resolve("blind", {"steps": "never", "max_detour": 2, "prefer_handrail": False})
    assert (prefs.steps, prefs.max_detour, prefs.prefer_handrail) == ("never", 2.0, False)
    assert prefs.crossing_penalty_m == resolve("blind").crossing_penalty_m
    assert resolve(None) == resolve("blind")


# ---------------------------------------------------------------------------------------- blind vs standard


def _big_unsignalled(route) -> int:
    return sum(1 for c in route.crossings
               if c.signals != "yes" and any(street["highway"] in BIG_ROADS for street in c.streets))


def test_blind_routes_are_a_little_longer_and_cross_fewer_big_roads_without_signals(city_planner, pairs):
    ratios, blind_big, standard_big = [], [], []
    for pair in pairs:
        try:
            blind = plan_route(city_planner, *pair, "blind")
            standard = plan_route(city_planner, *pair, "standard")
        except NoRouteError:
            continue
        ratios.append(blind.distance_m / standard.distance_m)
        blind_big.append(_big_unsignalled(blind))
        standard_big.append(_big_unsignalled(standard))
        # Each route stays within its own profile's detour limit.
        assert blind.distance_m <= blind.explanation["shortest_m"] * 1.25 + 1.1
        assert standard.distance_m <= standard.explanation["shortest_m"] * 1.1 + 1.1
    assert len(ratios) >= 190
    assert 1.0 <= float(np.mean(ratios)) <= 1.25
    assert np.mean(blind_big) <= np.mean(standard_big)
    assert sum(standard_big) > 0  # the comparison is not vacuous
