"""Tag normalisation (routing.tags) and the walkable-way filter (routing.osm_import.is_walkable_way)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from routing import tags
from routing.osm_import import is_walkable_way
from routing.tags import (
    NO,
    NODE_COLUMNS,
    UNKNOWN,
    WAY_COLUMNS,
    YES,
    crossing_kind,
    is_crossing,
    parse_grade,
    parse_incline,
    parse_length_m,
    parse_maxspeed,
    parse_number,
    surface_class,
    tri,
)

NODE = {column.name: column for column in NODE_COLUMNS}
WAY = {column.name: column for column in WAY_COLUMNS}


def node_value(name: str, osm_tags: dict[str, str]) -> object:
    """Read one node column from OSM tags and decode it the way the graph reports it."""
    return NODE[name].decode(NODE[name].read(osm_tags))


def way_value(name: str, osm_tags: dict[str, str]) -> object:
    column = WAY[name]
    stored = column.read(osm_tags)
    return stored if column.kind == "text" else column.decode(stored)


# --------------------------------------------------------------------------------------------------- tri


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("yes", YES),
        ("no", NO),
        (" Yes ", YES),
        ("NO", NO),
        (None, UNKNOWN),
        ("", UNKNOWN),
        ("unknown", UNKNOWN),
        ("maybe", UNKNOWN),
        ("yes;no", UNKNOWN),
        ("ja", UNKNOWN),
        ("1", UNKNOWN),
    ],
)
def test_tri_maps_yes_no_and_leaves_everything_else_unknown(value, expected):
    assert tri(value) == expected


def test_tri_custom_value_sets():
    lit_yes = frozenset({"yes", "24/7"})
    assert tri("24/7", yes=lit_yes) == YES
    assert tri("disused", no=frozenset({"no", "disused"})) == NO
    assert tri("24/7") == UNKNOWN


def test_tri_codes_decode_to_words():
    assert tags.TRI[UNKNOWN] == "unknown"
    assert tags.TRI[YES] == "yes"
    assert tags.TRI[NO] == "no"


# ------------------------------------------------------------------------------------------ numbers


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12", 12.0), ("1.5", 1.5), ("1,5 m", 1.5), ("-3", -3.0), ("  7 steps", 7.0), ("2;3", 2.0)],
)
def test_parse_number(value, expected):
    assert parse_number(value) == pytest.approx(expected)


@pytest.mark.parametrize("value", [None, "", "abc", "m 2", "."])
def test_parse_number_without_a_number_is_nan(value):
    assert math.isnan(parse_number(value))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2 cm", 0.02),
        ("2cm", 0.02),
        ("0.02", 0.02),
        ("1,5 m", 1.5),
        ("1.5m", 1.5),
        ("3 mm", 0.003),
        ("4", 4.0),
        (" 12 CM ", 0.12),
    ],
)
def test_parse_length_m(value, expected):
    assert parse_length_m(value) == pytest.approx(expected)


@pytest.mark.parametrize("value", [None, "", "abc", "low"])
def test_parse_length_m_unreadable_is_nan(value):
    assert math.isnan(parse_length_m(value))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("50", 50.0),
        ("30", 30.0),
        ("30 mph", 48.3),
        ("DE:urban", 50.0),
        ("DE:rural", 100.0),
        ("DE:zone30", 30.0),
        ("DE:zone:30", 30.0),
        ("DE:zone:20", 20.0),
        ("walk", 7.0),
        ("DE:walk", 7.0),
        ("DE:living_street", 7.0),
        ("DE:bicycle_road", 30.0),
    ],
)
def test_parse_maxspeed(value, expected):
    assert parse_maxspeed(value) == pytest.approx(expected)


@pytest.mark.parametrize("value", [None, "", "none", "DE:motorway", "signals", "variable", "fast"])
def test_parse_maxspeed_unknown_is_nan(value):
    assert math.isnan(parse_maxspeed(value))


@pytest.mark.parametrize(
    ("value", "expected"),
    [("up", 1), ("down", -1), ("UP", 1), ("10%", 1), ("-8%", -1), ("0%", 0), ("yes", 0), (None, 0), ("", 0)],
)
def test_parse_incline(value, expected):
    assert parse_incline(value) == expected


@pytest.mark.parametrize(("value", "expected"), [("10%", 0.10), ("-8%", -0.08), ("1,5 %", 0.015), ("0%", 0.0)])
def test_parse_grade(value, expected):
    assert parse_grade(value) == pytest.approx(expected)


@pytest.mark.parametrize("value", ["up", "down", None, "", "5°", "steep"])
def test_parse_grade_without_percentage_is_nan(value):
    assert math.isnan(parse_grade(value))


# ---------------------------------------------------------------------------------------- crossings


@pytest.mark.parametrize(
    ("osm_tags", "expected"),
    [
        ({"highway": "crossing", "crossing": "traffic_signals"}, "traffic_signals"),
        ({"highway": "crossing", "crossing:signals": "yes", "crossing:markings": "zebra"}, "traffic_signals"),
        ({"highway": "traffic_signals", "crossing": "traffic_signals"}, "traffic_signals"),
        ({"highway": "crossing", "crossing": "zebra"}, "zebra"),
        ({"highway": "crossing", "crossing": "uncontrolled", "crossing_ref": "zebra"}, "zebra"),
        ({"highway": "crossing", "crossing:markings": "zebra"}, "zebra"),
        ({"highway": "crossing", "crossing": "uncontrolled"}, "marked"),
        ({"highway": "crossing", "crossing": "marked"}, "marked"),
        ({"highway": "crossing", "crossing:markings": "yes"}, "marked"),
        ({"highway": "crossing", "crossing": "unmarked"}, "unmarked"),
        ({"highway": "crossing", "crossing:markings": "no"}, "unmarked"),
        ({"highway": "crossing", "crossing": "uncontrolled", "crossing:markings": "no"}, "unmarked"),
        ({"highway": "crossing", "crossing": "yes"}, "unknown"),
        ({"highway": "crossing"}, "unknown"),
        ({"highway": "footway", "footway": "crossing"}, "unknown"),
        ({"highway": "footway", "footway": "crossing", "crossing": "traffic_signals"}, "traffic_signals"),
        ({"highway": "traffic_signals"}, "none"),
        ({"highway": "residential", "name": "Fackelstraße"}, "none"),
        ({"crossing": "no"}, "none"),
        ({}, "none"),
    ],
)
def test_crossing_kind(osm_tags, expected):
    assert crossing_kind(osm_tags) == expected
    assert node_value("crossing", osm_tags) == expected
    assert way_value("crossing", osm_tags) == expected


def test_is_crossing():
    assert is_crossing({"highway": "crossing"})
    assert is_crossing({"footway": "crossing"})
    assert is_crossing({"crossing": "unmarked"})
    assert not is_crossing({"crossing": "no"})
    assert not is_crossing({"highway": "traffic_signals"})
    assert not is_crossing({"highway": "footway", "footway": "sidewalk"})


@pytest.mark.parametrize(
    ("osm_tags", "signals", "markings"),
    [
        ({"highway": "crossing", "crossing": "traffic_signals"}, "yes", "unknown"),
        ({"highway": "crossing", "crossing": "zebra"}, "no", "yes"),
        ({"highway": "crossing", "crossing": "uncontrolled"}, "no", "yes"),
        # crossing=unmarked means no signals and no markings by definition.
        ({"highway": "crossing", "crossing": "unmarked"}, "no", "no"),
        ({"highway": "crossing", "crossing": "traffic_signals", "crossing:signals": "no"}, "no", "unknown"),
        ({"highway": "crossing", "crossing": "yes"}, "unknown", "unknown"),
        ({"highway": "crossing"}, "unknown", "unknown"),
        # A junction with traffic lights but no crossing tags is not a crossing: nothing is claimed about it.
        ({"highway": "traffic_signals"}, "unknown", "unknown"),
        ({"highway": "traffic_signals", "crossing": "traffic_signals"}, "yes", "unknown"),
        ({"highway": "traffic_signals", "crossing": "zebra"}, "yes", "yes"),
    ],
)
def test_crossing_signals_and_markings_columns(osm_tags, signals, markings):
    assert node_value("crossing_signals", osm_tags) == signals
    assert node_value("crossing_markings", osm_tags) == markings


def test_traffic_signals_node_column():
    assert node_value("traffic_signals", {"highway": "traffic_signals"}) is True
    assert node_value("traffic_signals", {"highway": "crossing", "crossing": "traffic_signals"}) is False
    assert node_value("traffic_signals", {}) is False


def test_crossing_signals_helper_counts_traffic_signals_highway():
    assert tags._crossing_signals({"highway": "traffic_signals"}) == YES
    assert tags._crossing_signals({"highway": "traffic_signals", "crossing:signals": "no"}) == NO


@pytest.mark.parametrize(
    ("osm_tags", "expected"),
    [
        ({"crossing": "island"}, "yes"),
        ({"crossing:island": "yes"}, "yes"),
        ({"crossing:island": "no"}, "no"),
        ({"crossing": "zebra"}, "unknown"),
        ({}, "unknown"),
    ],
)
def test_crossing_island(osm_tags, expected):
    assert node_value("crossing_island", osm_tags) == expected


def test_signal_aids_columns():
    signal = {
        "highway": "crossing",
        "crossing": "traffic_signals",
        "traffic_signals:sound": "locate",
        "traffic_signals:vibration": "no",
        "button_operated": "yes",
        "tactile_paving": "incorrect",
    }
    assert node_value("acoustic_signal", signal) == "yes"
    assert node_value("vibration", signal) == "no"
    assert node_value("button_operated", signal) == "yes"
    assert node_value("tactile_paving", signal) == "yes"
    assert node_value("acoustic_signal", {"traffic_signals:sound": "walk"}) == "yes"
    assert node_value("acoustic_signal", {"traffic_signals:sound": "no"}) == "no"
    assert node_value("acoustic_signal", {"traffic_signals:sound": "beep"}) == "unknown"
    assert node_value("tactile_paving", {"tactile_paving": "no"}) == "no"
    assert node_value("tactile_paving", {}) == "unknown"


# ------------------------------------------------------------------------------------- kerb, barrier


@pytest.mark.parametrize(
    ("osm_tags", "kerb", "barrier"),
    [
        ({"kerb": "lowered"}, "lowered", "none"),
        ({"kerb": "raised"}, "raised", "none"),
        ({"kerb": "flush"}, "flush", "none"),
        ({"kerb": "no"}, "no", "none"),
        ({"barrier": "kerb"}, "yes", "kerb"),
        ({"barrier": "kerb", "kerb": "rolled"}, "rolled", "kerb"),
        ({"kerb": "wobbly"}, "unknown", "none"),
        ({"barrier": "bollard"}, "unknown", "bollard"),
        ({"barrier": "gate"}, "unknown", "gate"),
        ({"barrier": "cycle_barrier"}, "unknown", "cycle_barrier"),
        ({"barrier": "chain"}, "unknown", "chain"),
        ({"barrier": "entrance"}, "unknown", "entrance"),
        ({"barrier": "log"}, "unknown", "other"),
        ({}, "unknown", "none"),
    ],
)
def test_kerb_and_barrier_codes(osm_tags, kerb, barrier):
    assert node_value("kerb", osm_tags) == kerb
    assert node_value("barrier", osm_tags) == barrier


def test_kerb_and_barrier_stored_codes_index_their_value_lists():
    assert NODE["kerb"].read({"kerb": "lowered"}) == tags.KERB_KINDS.index("lowered") == 3
    assert NODE["barrier"].read({"barrier": "bollard"}) == 1
    assert NODE["barrier"].read({"barrier": "log"}) == len(tags.BARRIER_KINDS) - 1


@pytest.mark.parametrize(("value", "expected"), [("0.02", 0.02), ("2 cm", 0.02), ("0,03", 0.03), ("high", None)])
def test_kerb_height(value, expected):
    assert node_value("kerb_height_m", {"kerb:height": value}) == expected


def test_kerb_height_decodes_float32_to_rounded_metres():
    stored = np.float32(NODE["kerb_height_m"].read({"kerb:height": "0.02"}))
    assert NODE["kerb_height_m"].decode(stored) == 0.02
    assert NODE["kerb_height_m"].decode(np.float32("nan")) is None


def test_elevator():
    assert node_value("elevator", {"highway": "elevator"}) == "yes"
    assert node_value("elevator", {"elevator": "no"}) == "no"
    assert node_value("elevator", {}) == "unknown"


# ------------------------------------------------------------------------------------------- sidewalks


@pytest.mark.parametrize(
    ("osm_tags", "expected"),
    [
        ({"sidewalk": "both"}, "both"),
        ({"sidewalk": "left"}, "left"),
        ({"sidewalk": "right"}, "right"),
        ({"sidewalk": "separate"}, "separate"),
        ({"sidewalk": "no"}, "no"),
        ({"sidewalk": "none"}, "no"),
        ({"sidewalk": "yes"}, "yes"),
        ({"sidewalk": "sometimes"}, "unknown"),
        ({"sidewalk:both": "yes"}, "both"),
        ({"sidewalk:both": "separate"}, "separate"),
        ({"sidewalk:both": "no"}, "no"),
        ({"sidewalk:left": "yes", "sidewalk:right": "no"}, "left"),
        ({"sidewalk:left": "no", "sidewalk:right": "yes"}, "right"),
        ({"sidewalk:left": "yes", "sidewalk:right": "yes"}, "both"),
        ({"sidewalk:left": "no", "sidewalk:right": "no"}, "no"),
        ({}, "unknown"),
    ],
)
def test_sidewalk_schemes(osm_tags, expected):
    assert way_value("sidewalk", {"highway": "residential", **osm_tags}) == expected


def test_sidewalk_both_sides_separate():
    assert way_value("sidewalk", {"highway": "residential", "sidewalk:left": "separate",
                                  "sidewalk:right": "separate"}) == "separate"


# -------------------------------------------------------------------------------------------- handrails


@pytest.mark.parametrize(
    ("osm_tags", "expected"),
    [
        ({"handrail": "yes"}, "yes"),
        ({"handrail": "no"}, "no"),
        ({"handrail:left": "yes"}, "yes"),
        ({"handrail:right": "yes", "handrail:left": "no"}, "yes"),
        ({"handrail:center": "yes"}, "yes"),
        ({"handrail:left": "no", "handrail:right": "no", "handrail:center": "no"}, "no"),
        ({"handrail:left": "no"}, "unknown"),  # the other side is not mapped
        ({}, "unknown"),
    ],
)
def test_handrail_sides(osm_tags, expected):
    assert way_value("handrail", {"highway": "steps", **osm_tags}) == expected


# ------------------------------------------------------------------------------------------- bicycles


@pytest.mark.parametrize(
    ("osm_tags", "expected"),
    [
        ({"highway": "cycleway"}, "yes"),
        ({"highway": "cycleway", "foot": "yes"}, "yes"),
        ({"highway": "footway"}, "no"),
        ({"highway": "steps"}, "no"),
        ({"highway": "pedestrian"}, "no"),
        ({"highway": "path"}, "unknown"),
        ({"highway": "footway", "bicycle": "yes"}, "yes"),
        ({"highway": "path", "bicycle": "designated"}, "yes"),
        ({"highway": "pedestrian", "bicycle": "permissive"}, "yes"),
        ({"highway": "footway", "bicycle": "no"}, "no"),
        ({"highway": "path", "bicycle": "dismount"}, "no"),
        ({"highway": "residential"}, "unknown"),
    ],
)
def test_shared_with_bicycles(osm_tags, expected):
    assert way_value("shared_with_bicycles", osm_tags) == expected


# --------------------------------------------------------------------------------------------- surface


@pytest.mark.parametrize(
    ("surface", "expected"),
    [
        ("asphalt", "paved"),
        ("concrete", "paved"),
        ("paving_stones", "paving_stones"),
        ("sett", "paving_stones"),
        ("cobblestone", "cobblestone"),
        ("unhewn_cobblestone", "cobblestone"),
        ("gravel", "gravel"),
        ("compacted", "gravel"),
        ("dirt", "unpaved"),
        ("grass", "unpaved"),
        ("lava", "unknown"),
        (None, "unknown"),
    ],
)
def test_surface_class(surface, expected):
    assert tags.SURFACE_CLASSES[surface_class(surface)] == expected
    osm_tags = {"highway": "footway"} if surface is None else {"highway": "footway", "surface": surface}
    assert way_value("surface_class", osm_tags) == expected


# ------------------------------------------------------------------------------------ other way columns


def test_way_columns_of_a_realistic_street():
    fackel = {
        "highway": "residential", "name": "Fackelstraße", "maxspeed": "30", "sidewalk": "both",
        "surface": "asphalt", "lit": "yes", "lanes": "2", "width": "7 m",
    }
    assert way_value("highway", fackel) == "residential"
    assert way_value("name", fackel) == "Fackelstraße"
    assert way_value("ref", fackel) == ""
    assert way_value("maxspeed_kmh", fackel) == 30.0
    assert way_value("sidewalk", fackel) == "both"
    assert way_value("surface", fackel) == "asphalt"
    assert way_value("surface_class", fackel) == "paved"
    assert way_value("lit", fackel) == "yes"
    assert way_value("lanes", fackel) == 2
    assert way_value("width_m", fackel) == 7.0
    assert way_value("bridge", fackel) is False
    assert way_value("tunnel", fackel) is False
    assert way_value("step_count", fackel) is None
    assert way_value("incline", fackel) == 0
    assert way_value("grade", fackel) is None
    assert way_value("crossing", fackel) == "none"


def test_way_columns_of_steps():
    steps = {"highway": "steps", "step_count": "12", "handrail": "yes", "incline": "up", "ramp": "no",
             "surface": "paving_stones"}
    assert way_value("step_count", steps) == 12
    assert way_value("incline", steps) == 1
    assert way_value("grade", steps) is None
    assert way_value("handrail", steps) == "yes"
    assert way_value("ramp", steps) == "no"
    assert way_value("surface_class", steps) == "paving_stones"
    assert way_value("shared_with_bicycles", steps) == "no"


@pytest.mark.parametrize(("value", "expected"), [("12", 12), ("12.5", 12), ("abc", None), ("-3", None), (None, None)])
def test_step_count(value, expected):
    osm_tags = {"highway": "steps"} if value is None else {"highway": "steps", "step_count": value}
    assert way_value("step_count", osm_tags) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("yes", "yes"), ("24/7", "yes"), ("automatic", "yes"), ("no", "no"), ("disused", "no"), ("sometimes", "unknown")],
)
def test_lit(value, expected):
    assert way_value("lit", {"highway": "footway", "lit": value}) == expected


def test_bridge_tunnel_segregated_and_incline_grade():
    assert way_value("bridge", {"bridge": "yes"}) is True
    assert way_value("bridge", {"bridge": "viaduct"}) is True
    assert way_value("bridge", {"bridge": "no"}) is False
    assert way_value("tunnel", {"tunnel": "building_passage"}) is True
    assert way_value("segregated", {"segregated": "no"}) == "no"
    assert way_value("segregated", {"segregated": "yes"}) == "yes"
    assert WAY["incline"].read({"incline": "-12%"}) == -1
    assert way_value("grade", {"incline": "-12%"}) == -0.12
    assert way_value("incline", {"incline": "up"}) == 1


def test_downward_incline_decodes_to_minus_one():
    assert way_value("incline", {"highway": "steps", "incline": "down"}) == -1


def test_column_decode_by_kind():
    assert WAY["lit"].decode(np.int8(1)) == "yes"
    assert WAY["lit"].decode(np.int8(2)) == "no"
    assert WAY["lit"].decode(np.int8(0)) == "unknown"
    assert WAY["sidewalk"].decode(np.int8(6)) == "separate"
    assert WAY["width_m"].decode(np.float32(1.5)) == 1.5
    assert WAY["width_m"].decode(np.float32("nan")) is None
    assert WAY["lanes"].decode(np.int16(4)) == 4
    assert WAY["lanes"].decode(np.int16(-1)) is None
    assert WAY["bridge"].decode(np.bool_(True)) is True
    assert WAY["name"].decode("Fackelstraße") == "Fackelstraße"


def test_every_column_kind_and_enum_values_are_consistent():
    for column in (*NODE_COLUMNS, *WAY_COLUMNS):
        assert column.kind in {"tri", "enum", "float", "int", "signed", "bool", "text"}, column.name
        assert bool(column.values) == (column.kind == "enum"), column.name
        # An empty tag dict must be readable and decode to "nothing known".
        decoded = column.decode(column.read({})) if column.kind != "text" else column.read({})
        assert decoded in ("unknown", "none", None, False, 0, ""), (column.name, decoded)


# ------------------------------------------------------------------------------------ walkable ways


@pytest.mark.parametrize(
    "osm_tags",
    [
        {"highway": "footway"},
        {"highway": "residential", "name": "Fackelstraße"},
        {"highway": "steps", "step_count": "12"},
        {"highway": "primary", "lanes": "4"},
        {"highway": "trunk"},
        {"highway": "cycleway", "foot": "yes"},
        {"highway": "cycleway", "foot": "designated"},
        {"highway": "pedestrian", "area": "yes"},
        {"highway": "footway", "area": "yes"},
        {"highway": "service", "access": "private", "foot": "yes"},
        {"highway": "service", "access": "no", "foot": "permissive"},
        {"highway": "living_street"},
        {"highway": "platform"},
        {"highway": "path", "access": "destination"},
    ],
)
def test_walkable_ways_are_kept(osm_tags):
    assert is_walkable_way(osm_tags) is True


@pytest.mark.parametrize(
    "osm_tags",
    [
        {"highway": "motorway"},
        {"highway": "motorway_link"},
        {"highway": "footway", "foot": "no"},
        {"highway": "service", "access": "private"},
        {"highway": "track", "access": "no"},
        {"highway": "cycleway"},
        {"highway": "cycleway", "foot": "no"},
        {"highway": "bridleway"},
        {"highway": "construction", "construction": "footway"},
        {"highway": "proposed"},
        {"highway": "service", "area": "yes"},
        {"highway": "trunk", "motorroad": "yes"},
        {"building": "yes"},
        {},
    ],
)
def test_unwalkable_ways_are_dropped(osm_tags):
    assert is_walkable_way(osm_tags) is False


def test_foot_private_is_dropped():
    assert is_walkable_way({"highway": "footway", "foot": "private"}) is False
