"""The gap analysis (routing.gaps): what counts as a gap on the mini map and the city, and the grid."""

from __future__ import annotations

import numpy as np

from routing import tags
from routing.gaps import KINDS, Grid
from routing.gaps import analyse as analysis_of
from routing.quests import QUEST_ELEMENTS
from tests.graph_helpers import with_facts


def test_the_mini_map_has_exactly_its_one_gap(mini_graph):
    """Everything on the mini map is mapped except Rosenweg's sidewalks (the signalled crossing on Mainzer Straße has
    tactile paving and sound, the steps a count and a handrail; Fackelstraße and Mainzer Straße have sidewalk tags)."""
    analysis = analysis_of(mini_graph)
    assert [gap["id"] for gap in analysis.gaps] == ["way/103/sidewalk"]
    gap = analysis.gaps[0]
    assert gap == {**gap, "kind": "sidewalk", "value": "unknown", "street": "Rosenweg", "highway": "residential",
                   "size": 1, "quest": "sidewalk", "element": "way", "osm_id": 103}
    coverage = {row["attribute"]: row for row in analysis.coverage}
    assert coverage["tactile_paving"] == {"attribute": "tactile_paving", "element": "node", "total": 2, "known": 1,
                                          "unknown": 1, "known_rate": 0.5}  # crossings 6 (yes) and 8 (unknown)
    assert coverage["acoustic_signal"]["known_rate"] == 1.0
    assert coverage["sidewalk"]["total"] == 3 and coverage["sidewalk"]["known"] == 2
    # Crossing places: the two mapped crossings and the inferred one where Schulpfad passes Fackelstraße.
    assert (coverage["crossing_mapped"]["total"], coverage["crossing_mapped"]["known"]) == (3, 2)


def test_each_kind_of_gap_on_the_mini_map(mini_graph):
    graph = with_facts(mini_graph, nodes={(6, "acoustic_signal"): tags.NO, (6, "tactile_paving"): tags.UNKNOWN},
                       ways={(108, "handrail"): tags.UNKNOWN, (108, "step_count"): -1})
    found = {gap["id"]: gap for gap in analysis_of(graph).gaps}
    assert set(found) == {"node/6/crossing_tactile_paving", "node/6/signal_acoustic", "way/108/steps_handrail",
                          "way/108/steps_count", "way/103/sidewalk"}
    assert found["node/6/signal_acoustic"]["value"] == "no"
    assert found["node/6/signal_acoustic"]["street"] == "Mainzer Straße"
    assert found["node/6/signal_acoustic"]["highway"] == "primary" and found["node/6/signal_acoustic"]["size"] == 4
    assert found["way/108/steps_handrail"]["size"] == 0
    # The unmarked crossing of Rosenweg (residential) is no main-road crossing: no tactile paving gap there.
    assert "node/8/crossing_tactile_paving" not in found


def test_city_gaps_agree_with_the_graph(city_graph):
    analysis = analysis_of(city_graph)
    counts = {kind: sum(gap["kind"] == kind for gap in analysis.gaps) for kind in KINDS}
    highway = np.array(city_graph.texts["highway"], dtype=object)[city_graph.way_columns["highway"]]
    steps = highway == "steps"
    assert counts["steps_handrail"] == int((steps & (city_graph.way_columns["handrail"] != tags.YES)).sum())
    assert counts["steps_count"] == int((steps & (city_graph.way_columns["step_count"] < 0)).sum())
    assert counts["sidewalk"] == int(QUEST_ELEMENTS["sidewalk"](city_graph).sum())
    assert 0 < counts["signal_acoustic"] <= city_graph.stats()["crossings_mapped"]
    assert counts["crossing_tactile_paving"] > 0
    assert len({gap["id"] for gap in analysis.gaps}) == len(analysis.gaps)
    # Every gap lies in the grid cell it names.
    for gap in analysis.gaps[::50]:
        south, west, north, east = analysis.grid.bbox(gap["cell"])
        assert south - 1e-4 <= gap["lat"] <= north + 1e-4 and west - 1e-4 <= gap["lon"] <= east + 1e-4, gap


def test_grid_cells_are_named_like_a_street_map():
    grid = Grid(x0=0.0, y1=5000.0, columns=30, rows=9, crs="EPSG:32632")
    assert grid.cell(10, 4990) == "A1"
    assert grid.cell(510, 4990) == "B1"
    assert grid.cell(10, 4400) == "A2"
    assert grid.cell(26 * 500 + 1, 4990) == "AA1"
    assert grid.position("AA1") == (26, 0)
    assert grid.position("B9") == (1, 8)
    for bad in ("", "A0", "A10", "a1", "1A", "A-1", "AE1"):
        assert grid.position(bad) is None, bad
    assert grid.cell(-100, 6000) == "A1"  # clamped onto the grid
