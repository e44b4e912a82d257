"""Normalise the OSM tags a blind walker depends on into typed attributes.

OpenStreetMap is silent about most facts, so every fact that may be missing is three-valued: `yes`, `no` or
`unknown`. Unknown is kept as unknown all the way to the user; nothing here guesses.

Each attribute is a `Column`: its name, how it is stored in the compact graph, and a function that reads it from a
dict of OSM tags. The graph stores columns as small integer or float arrays; `Column.decode` turns a stored value
back into what the API reports.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

Tags = Mapping[str, str]

TRI = ("unknown", "yes", "no")
UNKNOWN, YES, NO = 0, 1, 2

CROSSING_KINDS = ("none", "traffic_signals", "zebra", "marked", "unmarked", "unknown")
KERB_KINDS = ("unknown", "yes", "raised", "lowered", "flush", "rolled", "no")
# Barriers a walker can pass, each said as what it is; `other` for any kind not listed.
BARRIER_KINDS = ("none", "bollard", "gate", "kerb", "cycle_barrier", "lift_gate", "turnstile", "entrance", "swing_gate",
                 "kissing_gate", "chain", "block", "stile", "other")
SIDEWALK_KINDS = ("unknown", "both", "left", "right", "yes", "no", "separate")
SURFACE_CLASSES = ("unknown", "paved", "paving_stones", "cobblestone", "gravel", "unpaved")
# Surfaces a cane catches on or a guide dog slows down on: profiles may avoid them, routes report their length.
ROUGH_SURFACES = ("cobblestone", "gravel", "unpaved")

# How big a road is, by highway class: 5 trunk road ... 1 residential street, 0 (absent) a footway or service road.
ROAD_CLASS = {"trunk": 5, "trunk_link": 5, "primary": 4, "primary_link": 4, "secondary": 3, "secondary_link": 3,
              "tertiary": 2, "tertiary_link": 2, "unclassified": 1, "residential": 1, "road": 1}
# Big roads (secondary and bigger): a route's crossings of them are counted and said with their size.
BIG_ROADS = frozenset(highway for highway, size in ROAD_CLASS.items() if size >= 3)
# Main roads (tertiary and bigger): a crossing of one without tactile paving is an accessibility gap.
MAIN_ROADS = frozenset(highway for highway, size in ROAD_CLASS.items() if size >= 2)

# Metres per degree of latitude on the mean Earth sphere (radius 6,371.0 km): distances within a city.
METRES_PER_DEGREE = 111_195.0


@dataclass(frozen=True)
class Column:
    """One typed attribute: `kind` is tri, enum, float, int (-1 = missing), signed (-1/0/+1), bool or text;
    `values` names an enum's codes."""

    name: str
    kind: str
    read: Callable[[Tags], object]
    values: tuple[str, ...] = ()

    def decode(self, stored: object) -> object:
        """Return the API value for a stored value: strings for tri/enum, None for a missing number."""
        if self.kind == "tri":
            return TRI[int(stored)]
        if self.kind == "enum":
            return self.values[int(stored)]
        if self.kind == "float":
            return None if math.isnan(float(stored)) else round(float(stored), 3)
        if self.kind == "int":
            return None if int(stored) < 0 else int(stored)
        if self.kind == "signed":
            return int(stored)
        if self.kind == "bool":
            return bool(stored)
        return stored


def tri(value: str | None, yes: frozenset[str] = frozenset({"yes"}), no: frozenset[str] = frozenset({"no"})) -> int:
    """Map an OSM value to YES, NO or UNKNOWN; anything not listed (typos, `unknown`, absence) is UNKNOWN."""
    if value is None:
        return UNKNOWN
    value = value.strip().lower()
    if value in yes:
        return YES
    if value in no:
        return NO
    return UNKNOWN


def parse_number(value: str | None) -> float:
    """The leading number of a value such as `1.5`, `1,5 m` or `12`; NaN when there is none."""
    if not value:
        return math.nan
    match = re.match(r"\s*(-?\d+(?:[.,]\d+)?)", value)
    return float(match.group(1).replace(",", ".")) if match else math.nan


def parse_length_m(value: str | None) -> float:
    """A length in metres from `0.02`, `2 cm`, `3 mm`, `1.5 m`; NaN when unreadable."""
    number = parse_number(value)
    if math.isnan(number):
        return number
    unit = value.strip().lower()
    if unit.endswith("cm"):
        return number / 100
    if unit.endswith("mm"):
        return number / 1000
    return number


# Implicit speed limits (German `DE:*` and generic zone values) in km/h.
_IMPLICIT_MAXSPEED = {"urban": 50.0, "rural": 100.0, "motorway": math.nan, "walk": 7.0, "living_street": 7.0,
                      "bicycle_road": 30.0, "none": math.nan}


def parse_maxspeed(value: str | None) -> float:
    """Speed limit in km/h from `50`, `30 mph`, `DE:urban`, `DE:zone30`, `DE:zone:30`, `walk`; NaN if unknown."""
    if not value:
        return math.nan
    text = value.strip().lower()
    number = parse_number(text)
    if not math.isnan(number):
        return round(number * 1.609, 1) if "mph" in text else number
    text = text.split(":", 1)[1] if ":" in text else text
    zone = re.search(r"(\d+)", text)
    if zone:
        return float(zone.group(1))
    return _IMPLICIT_MAXSPEED.get(text, math.nan)


def parse_incline(value: str | None) -> int:
    """Direction of an incline along the way's drawing direction: +1 up, -1 down, 0 flat or unknown."""
    if not value:
        return 0
    text = value.strip().lower()
    if text == "up":
        return 1
    if text == "down":
        return -1
    grade = parse_number(text)
    if math.isnan(grade) or grade == 0:
        return 0
    return 1 if grade > 0 else -1


def parse_grade(value: str | None) -> float:
    """Incline as a fraction (`10%` → 0.10, signed along the way); NaN when only `up`/`down` or nothing is given."""
    if not value or "%" not in value:
        return math.nan
    return parse_number(value) / 100


def _crossing_signals(tags: Tags) -> int:
    explicit = tri(tags.get("crossing:signals"))
    if explicit != UNKNOWN:
        return explicit
    crossing = tags.get("crossing", "")
    if crossing == "traffic_signals" or tags.get("highway") == "traffic_signals":
        return YES
    if crossing in {"uncontrolled", "zebra", "unmarked", "marked", "no"}:
        return NO
    return UNKNOWN


def _crossing_markings(tags: Tags) -> int:
    markings = tags.get("crossing:markings")
    if markings:
        return NO if markings == "no" else YES
    crossing = tags.get("crossing", "")
    if crossing in {"zebra", "marked", "uncontrolled"} or tags.get("crossing_ref") == "zebra":
        return YES
    if crossing == "unmarked":
        return NO
    return UNKNOWN


def is_crossing(tags: Tags) -> bool:
    """A node or way mapped as a place where pedestrians cross a carriageway."""
    return tags.get("highway") == "crossing" or tags.get("footway") == "crossing" or (
        "crossing" in tags and tags["crossing"] != "no"
    )


def crossing_kind(tags: Tags) -> str:
    """What controls a mapped crossing: traffic_signals, zebra, marked, unmarked, unknown; `none` if not one."""
    if not is_crossing(tags):
        return "none"
    if _crossing_signals(tags) == YES:
        return "traffic_signals"
    if tags.get("crossing") == "zebra" or tags.get("crossing_ref") == "zebra" or tags.get("crossing:markings") == "zebra":
        return "zebra"
    markings = _crossing_markings(tags)
    if markings == YES:
        return "marked"
    if markings == NO:
        return "unmarked"
    return "unknown"


def _crossing_island(tags: Tags) -> int:
    if tags.get("crossing") == "island":
        return YES
    return tri(tags.get("crossing:island"))


def _kerb(tags: Tags) -> int:
    value = tags.get("kerb") or ("yes" if tags.get("barrier") == "kerb" else None)
    return KERB_KINDS.index(value) if value in KERB_KINDS else 0


def _barrier(tags: Tags) -> int:
    value = tags.get("barrier")
    if not value:
        return 0
    return BARRIER_KINDS.index(value) if value in BARRIER_KINDS else BARRIER_KINDS.index("other")


def _elevator(tags: Tags) -> int:
    return YES if tags.get("highway") == "elevator" else tri(tags.get("elevator"))


def _sidewalk(tags: Tags) -> int:
    value = tags.get("sidewalk")
    if value == "none":
        value = "no"
    if value is None:
        # sidewalk:both / :left / :right = yes|no|separate, the newer scheme.
        sides = {side: tags.get(f"sidewalk:{side}") for side in ("both", "left", "right")}
        if sides["both"] in SIDEWALK_KINDS:
            value = "both" if sides["both"] == "yes" else sides["both"]
        elif sides["left"] == "yes" and sides["right"] == "yes":
            value = "both"
        elif sides["left"] == "yes" or sides["right"] == "yes":
            value = "left" if sides["left"] == "yes" else "right"
        elif sides["left"] == sides["right"] and sides["left"] in ("no", "separate"):
            value = sides["left"]
    return SIDEWALK_KINDS.index(value) if value in SIDEWALK_KINDS else 0


def _handrail(tags: Tags) -> int:
    sides = [tags.get(key) for key in ("handrail:left", "handrail:right", "handrail:center")]
    if tags.get("handrail") == "yes" or "yes" in sides:
        return YES
    if tags.get("handrail") == "no" or (sides and all(side == "no" for side in sides)):
        return NO
    return UNKNOWN


def _shared_with_bicycles(tags: Tags) -> int:
    """Whether bicycles use the same way surface: a cycleway, or a path/footway open to bicycles."""
    highway = tags.get("highway")
    bicycle = tags.get("bicycle")
    if highway == "cycleway":
        return YES
    if bicycle in {"yes", "designated", "permissive"} and highway in {"footway", "path", "pedestrian", "track"}:
        return YES
    if bicycle in {"no", "dismount"}:
        return NO
    if highway == "path":
        return UNKNOWN  # German law lets bicycles use an untagged path; whether they do is not mapped.
    return NO if highway in {"footway", "steps", "pedestrian", "corridor"} else UNKNOWN


_PAVED = {"asphalt", "concrete", "paved", "concrete:plates", "concrete:lanes", "metal", "wood", "rubber", "tartan"}
_PAVING_STONES = {"paving_stones", "paving_stones:30", "sett", "bricks"}
_COBBLESTONE = {"cobblestone", "unhewn_cobblestone", "cobblestone:flattened"}
_GRAVEL = {"gravel", "fine_gravel", "pebblestone", "compacted"}
_UNPAVED = {"unpaved", "dirt", "earth", "ground", "grass", "mud", "sand", "woodchips", "grass_paver"}


def surface_class(surface: str | None) -> int:
    """The surface in the few classes that matter to a cane or a guide dog (see SURFACE_CLASSES)."""
    for index, members in enumerate((_PAVED, _PAVING_STONES, _COBBLESTONE, _GRAVEL, _UNPAVED), start=1):
        if surface in members:
            return index
    return 0


def _int_or_missing(value: str | None) -> int:
    number = parse_number(value)
    return -1 if math.isnan(number) or number < 0 else int(number)


NODE_COLUMNS: tuple[Column, ...] = (
    Column("crossing", "enum", lambda t: CROSSING_KINDS.index(crossing_kind(t)), CROSSING_KINDS),
    Column("crossing_signals", "tri", lambda t: _crossing_signals(t) if is_crossing(t) else UNKNOWN),
    Column("crossing_markings", "tri", lambda t: _crossing_markings(t) if is_crossing(t) else UNKNOWN),
    Column("crossing_island", "tri", _crossing_island),
    Column("traffic_signals", "bool", lambda t: t.get("highway") == "traffic_signals"),
    Column("tactile_paving", "tri", lambda t: tri(t.get("tactile_paving"), yes=frozenset({"yes", "incorrect"}))),
    Column("acoustic_signal", "tri",
           lambda t: tri(t.get("traffic_signals:sound"), yes=frozenset({"yes", "locate", "walk"}))),
    Column("vibration", "tri", lambda t: tri(t.get("traffic_signals:vibration"))),
    Column("button_operated", "tri", lambda t: tri(t.get("button_operated"))),
    Column("kerb", "enum", _kerb, KERB_KINDS),
    Column("kerb_height_m", "float", lambda t: parse_length_m(t.get("kerb:height"))),
    Column("barrier", "enum", _barrier, BARRIER_KINDS),
    Column("elevator", "tri", _elevator),
)

WAY_COLUMNS: tuple[Column, ...] = (
    Column("highway", "text", lambda t: t.get("highway", "")),
    Column("name", "text", lambda t: t.get("name", "")),
    Column("ref", "text", lambda t: t.get("ref", "")),
    Column("footway", "text", lambda t: t.get("footway", "")),
    Column("sidewalk", "enum", _sidewalk, SIDEWALK_KINDS),
    Column("surface", "text", lambda t: t.get("surface", "")),
    Column("surface_class", "enum", lambda t: surface_class(t.get("surface")), SURFACE_CLASSES),
    Column("smoothness", "text", lambda t: t.get("smoothness", "")),
    Column("lit", "tri", lambda t: tri(t.get("lit"), yes=frozenset({"yes", "24/7", "automatic", "limited"}),
                                       no=frozenset({"no", "disused"}))),
    Column("width_m", "float", lambda t: parse_length_m(t.get("width"))),
    Column("incline", "signed", lambda t: parse_incline(t.get("incline"))),
    Column("grade", "float", lambda t: parse_grade(t.get("incline"))),
    Column("step_count", "int", lambda t: _int_or_missing(t.get("step_count"))),
    Column("handrail", "tri", _handrail),
    Column("ramp", "tri", lambda t: tri(t.get("ramp"))),
    Column("bridge", "bool", lambda t: t.get("bridge", "no") != "no"),
    Column("tunnel", "bool", lambda t: t.get("tunnel", "no") != "no"),
    Column("shared_with_bicycles", "tri", _shared_with_bicycles),
    Column("segregated", "tri", lambda t: tri(t.get("segregated"))),
    Column("lanes", "int", lambda t: _int_or_missing(t.get("lanes"))),
    Column("maxspeed_kmh", "float", lambda t: parse_maxspeed(t.get("maxspeed"))),
    # Crossing facts mapped on a footway=crossing way rather than on its node.
    Column("crossing", "enum", lambda t: CROSSING_KINDS.index(crossing_kind(t)), CROSSING_KINDS),
    Column("tactile_paving", "tri", lambda t: tri(t.get("tactile_paving"), yes=frozenset({"yes", "incorrect"}))),
)

