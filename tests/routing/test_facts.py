"""Accepted facts laid over the walk graph (routing.facts): a copy with the facts, the original untouched."""

from __future__ import annotations

import numpy as np

from routing import tags
from routing.facts import Fact, overlay
from tests.graph_helpers import CROSSING, STEPS_UNCOUNTED, node_row


def test_overlay_writes_facts_into_a_copy(city_graph):
    row = node_row(city_graph, CROSSING["osm_id"])
    way = int(np.flatnonzero(city_graph.way_osm_id == STEPS_UNCOUNTED)[0])
    assert city_graph.node_columns["tactile_paving"][row] == tags.UNKNOWN
    facts = [Fact("node", CROSSING["osm_id"], "tactile_paving", "yes"), Fact("node", CROSSING["osm_id"], "kerb",
                                                                             "lowered"),
             Fact("way", STEPS_UNCOUNTED, "step_count", "12"), Fact("way", STEPS_UNCOUNTED, "handrail", "no"),
             Fact("way", STEPS_UNCOUNTED, "surface", "unhewn_cobblestone"), Fact("node", 1, "kerb", "flush")]
    changed = overlay(city_graph, facts)
    assert changed.node_attributes(row)["tactile_paving"] == "yes"
    assert changed.node_attributes(row)["kerb"] == "lowered"
    attributes = changed.way_attributes(way)
    assert (attributes["step_count"], attributes["handrail"]) == (12, "no")
    assert (attributes["surface"], attributes["surface_class"]) == ("unhewn_cobblestone", "cobblestone")
    assert changed.meta["accepted_facts"] == 5  # node 1 is not on this map
    # The graph as loaded is untouched, and columns no fact touched are shared, not copied.
    assert city_graph.node_attributes(row)["tactile_paving"] == "unknown"
    assert city_graph.way_attributes(way)["step_count"] is None
    assert changed.node_columns["vibration"] is city_graph.node_columns["vibration"]
