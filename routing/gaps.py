"""Accessibility gaps: where the walk graph says a blind walker may be let down, ranked by how much it matters.

A gap is one map element with a missing or negative fact:

- `crossing_tactile_paving`: a crossing of a main road (tertiary and bigger) without known tactile paving;
- `signal_acoustic`: a crossing with traffic lights without a known acoustic signal;
- `steps_handrail`: steps without a known handrail; `steps_count`: steps whose number of steps is unknown;
- `sidewalk`: a street (residential and bigger) whose sidewalks are not mapped.

`value` says whether the fact is `no` or `unknown`. Coverage is the share of elements whose fact is known, per
attribute volunteers can supply (the quests' attributes, `routing.quests.QUEST_ELEMENTS`), plus how many of the places
where footways cross a road are mapped as crossings at all.

Priority: how many planned routes passed the gap (anonymous usage counts, kept by the web layer; counts below 5
count as none) times one plus the size
of the road (0 footway or service road ... 5 trunk road), then the road's size alone. The analysis is worked out
once per walk graph (the accepted-facts overlay swaps in a new graph, which is analysed again).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from routing import tags
from routing.facts import FACT_KINDS
from routing.graph import WalkGraph
from routing.graph import edge_keys as stable_edge_keys
from routing.quests import QUEST_ELEMENTS, SIDEWALK_HIGHWAYS, SURFACE_HIGHWAYS
from routing.utm import UTM

VALUES = ("no", "unknown")  # what a gap is: the fact is mapped as missing, or not mapped at all
KINDS = ("crossing_tactile_paving", "signal_acoustic", "steps_handrail", "steps_count", "sidewalk")
KIND_ELEMENT = {"crossing_tactile_paving": "node", "signal_acoustic": "node", "steps_handrail": "way",
                "steps_count": "way", "sidewalk": "way"}
# The quest that asks for the missing fact of each kind of gap.
KIND_QUEST = {"crossing_tactile_paving": "tactile_paving", "signal_acoustic": "acoustic_signal",
              "steps_handrail": "handrail", "steps_count": "step_count", "sidewalk": "sidewalk"}
CELL_M = 500.0
SORTS = ("priority", "routes", "size", "kind", "street", "cell")
# Coverage: the elements each attribute is asked about (the quests' scope, whatever is known).
_SIGNALS = tags.CROSSING_KINDS.index("traffic_signals")
COVERAGE_SCOPE = {
    "tactile_paving": lambda g: g.node_columns["crossing"] != 0,
    "acoustic_signal": lambda g: g.node_columns["crossing"] == _SIGNALS,
    "vibration": lambda g: g.node_columns["crossing"] == _SIGNALS,
    "kerb": lambda g: g.node_columns["crossing"] != 0,
    "step_count": lambda g: g.way_texts("highway") == "steps",
    "handrail": lambda g: g.way_texts("highway") == "steps",
    "sidewalk": lambda g: np.isin(g.way_texts("highway"), list(SIDEWALK_HIGHWAYS)),
    "surface": lambda g: np.isin(g.way_texts("highway"), list(SURFACE_HIGHWAYS)) & (g.way_texts("footway") != "crossing"),
}


# ------------------------------------------------------------------------------------------------- the grid
@dataclass(frozen=True)
class Grid:
    """Square cells of CELL_M metres over the graph's extent, named like a street map: column letter, row number
    from the north (`A1` is the north-west corner)."""

    x0: float
    y1: float  # the northern edge
    columns: int
    rows: int
    crs: str

    @classmethod
    def of(cls, graph: WalkGraph) -> Grid:
        x0 = float(np.floor(graph.geom_x.min() / CELL_M) * CELL_M)
        y1 = float(np.ceil(graph.geom_y.max() / CELL_M) * CELL_M)
        columns = int(np.ceil((graph.geom_x.max() - x0) / CELL_M)) or 1
        rows = int(np.ceil((y1 - graph.geom_y.min()) / CELL_M)) or 1
        return cls(x0, y1, columns, rows, str(graph.meta.get("crs", "EPSG:32632")))

    def cell(self, x: float, y: float) -> str:
        column = min(max(int((x - self.x0) // CELL_M), 0), self.columns - 1)
        row = min(max(int((self.y1 - y) // CELL_M), 0), self.rows - 1)
        return self.label(column, row)

    @staticmethod
    def label(column: int, row: int) -> str:
        letters = ""
        column += 1
        while column:
            column, rest = divmod(column - 1, 26)
            letters = chr(ord("A") + rest) + letters
        return f"{letters}{row + 1}"

    def labels(self) -> list[str]:
        return [self.label(c, r) for r in range(self.rows) for c in range(self.columns)]

    def position(self, label: str) -> tuple[int, int] | None:
        """(column, row) of a cell label, None when it is not a cell of this grid."""
        letters = label.rstrip("0123456789")
        digits = label[len(letters):]
        if not letters.isalpha() or not letters.isupper() or not digits.isdigit():
            return None
        column = 0
        for letter in letters:
            column = column * 26 + ord(letter) - ord("A") + 1
        column, row = column - 1, int(digits) - 1
        return (column, row) if 0 <= column < self.columns and 0 <= row < self.rows else None

    def bounds_xy(self, label: str) -> tuple[float, float, float, float]:
        """west, south, east, north in projected metres."""
        column, row = self.position(label)  # type: ignore[misc]
        west, north = self.x0 + column * CELL_M, self.y1 - row * CELL_M
        return west, north - CELL_M, west + CELL_M, north

    def bbox(self, label: str) -> list[float]:
        """The cell as south, west, north, east in degrees (the `bbox` form of the reports API)."""
        west, south, east, north = self.bounds_xy(label)
        lons, lats = UTM(self.crs).inverse(np.array([west, east, west, east]), np.array([south, south, north, north]))
        return [round(min(lats), 6), round(min(lons), 6), round(max(lats), 6), round(max(lons), 6)]


# ------------------------------------------------------------------------------------------------ analysis
@dataclass
class Analysis:
    """The gaps and the coverage of one walk graph."""

    graph: WalkGraph
    grid: Grid
    gaps: list[dict[str, Any]]  # JSON-ready, without usage; sorted by kind and OSM id
    usage_nodes: list[int | None]  # per gap: the crossing's node OSM id, or None for a way gap
    usage_edges: list[list[str]]  # per gap: the way's edge keys (empty for a node gap)
    x: np.ndarray  # per gap, projected metres (the map)
    y: np.ndarray
    coverage: list[dict[str, Any]]


def _coverage_row(attribute: str, element: str, total: int, known: int) -> dict[str, Any]:
    return {"attribute": attribute, "element": element, "total": total, "known": known, "unknown": total - known,
            "known_rate": round(known / total, 4) if total else None}


def analyse(graph: WalkGraph) -> Analysis:
    """Every gap of `graph`, with street, road size, grid cell and position; and the coverage per attribute."""
    grid = Grid.of(graph)
    keys = stable_edge_keys(graph)
    highway = graph.way_texts("highway")
    gaps: list[dict[str, Any]] = []
    usage_nodes: list[int | None] = []
    usage_edges: list[list[str]] = []
    xs: list[float] = []
    ys: list[float] = []

    def add(kind: str, element: str, osm_id: int, lat: float, lon: float, x: float, y: float, value: str,
            street: str, road: str, node: int | None, edges: list[str]) -> None:
        gaps.append({"id": f"{element}/{osm_id}/{kind}", "kind": kind, "element": element, "osm_id": osm_id,
                     "lat": round(lat, 7), "lon": round(lon, 7), "value": value, "street": street, "highway": road,
                     "size": tags.ROAD_CLASS.get(road, 0), "cell": grid.cell(x, y), "quest": KIND_QUEST[kind]})
        usage_nodes.append(node)
        usage_edges.append(edges)
        xs.append(x)
        ys.append(y)

    # Crossings: mapped ones, and the places where a footway passes through a road without one.
    crossing_nodes = np.union1d(np.flatnonzero(graph.node_columns["crossing"] != 0), graph.unmapped_crossing_nodes())
    crossing_way_tp = graph.way_columns["tactile_paving"]
    signals = graph.node_columns["crossing"] == _SIGNALS
    for node in crossing_nodes.tolist():
        roads = graph.roads_at(node)
        biggest = max((str(highway[way]) for way in roads), key=lambda h: tags.ROAD_CLASS.get(h, 0), default="")
        main_names = [graph.way_text("name", way) for way in roads if highway[way] in tags.MAIN_ROADS]
        names = main_names or [graph.way_text("name", way) for way in roads]
        street = next((name for name in names if name), "")
        osm_id = int(graph.node_osm_id[node])
        position = (float(graph.node_lat[node]), float(graph.node_lon[node]), float(graph.node_x[node]),
                    float(graph.node_y[node]))
        if main_names:
            value = int(graph.node_columns["tactile_paving"][node])
            if value == tags.UNKNOWN:  # tactile paving mapped on a crossing way through the node counts too
                way_values = {int(crossing_way_tp[graph.edge_way[e]]) for e in graph.edges_at(node).tolist()}
                value = tags.YES if tags.YES in way_values else tags.NO if tags.NO in way_values else tags.UNKNOWN
            if value != tags.YES:
                add("crossing_tactile_paving", "node", osm_id, *position, tags.TRI[value], street, biggest, osm_id, [])
        if signals[node]:
            value = int(graph.node_columns["acoustic_signal"][node])
            if value != tags.YES:
                add("signal_acoustic", "node", osm_id, *position, tags.TRI[value], street, biggest, osm_id, [])

    # Ways: steps and streets, placed at their middle.
    way_edges = np.argsort(graph.edge_way, kind="stable")
    way_starts = np.searchsorted(graph.edge_way[way_edges], np.arange(len(graph.way_osm_id) + 1))
    steps = highway == "steps"
    streets = np.isin(highway, list(SIDEWALK_HIGHWAYS))
    handrail, step_count, sidewalk = (graph.way_columns[name] for name in ("handrail", "step_count", "sidewalk"))
    for way in np.flatnonzero(steps | (streets & (sidewalk == 0))).tolist():
        edges = way_edges[way_starts[way]:way_starts[way + 1]].tolist()
        if not edges:
            continue
        middle = edges[len(edges) // 2]
        point = int((graph.geom_offsets[middle] + graph.geom_offsets[middle + 1] - 1) // 2)
        position = (float(graph.geom_lat[point]), float(graph.geom_lon[point]), float(graph.geom_x[point]),
                    float(graph.geom_y[point]))
        osm_id = int(graph.way_osm_id[way])
        name = graph.way_text("name", way)
        edge_keys = [keys[edge] for edge in edges]
        if steps[way]:
            if handrail[way] != tags.YES:
                add("steps_handrail", "way", osm_id, *position, tags.TRI[int(handrail[way])], name, "steps", None,
                    edge_keys)
            if step_count[way] < 0:
                add("steps_count", "way", osm_id, *position, "unknown", name, "steps", None, edge_keys)
        else:
            add("sidewalk", "way", osm_id, *position, "unknown", name, str(highway[way]), None, edge_keys)

    order = sorted(range(len(gaps)), key=lambda i: (KINDS.index(gaps[i]["kind"]), gaps[i]["osm_id"]))
    return Analysis(
        graph=graph, grid=grid, gaps=[gaps[i] for i in order], usage_nodes=[usage_nodes[i] for i in order],
        usage_edges=[usage_edges[i] for i in order], x=np.array(xs)[order] if xs else np.zeros(0),
        y=np.array(ys)[order] if ys else np.zeros(0), coverage=coverage(graph, len(crossing_nodes)),
    )


def coverage(graph: WalkGraph, crossing_places: int | None = None) -> list[dict[str, Any]]:
    """Per attribute: how many elements it is asked about, and of how many it is known."""
    rows = []
    for key, scope in COVERAGE_SCOPE.items():
        in_scope = scope(graph)
        unknown = QUEST_ELEMENTS[key](graph) & in_scope
        rows.append(_coverage_row(key, FACT_KINDS[key].element, int(in_scope.sum()),
                                  int(in_scope.sum() - unknown.sum())))
    mapped = int((graph.node_columns["crossing"] != 0).sum())
    if crossing_places is None:
        crossing_places = mapped + len(graph.unmapped_crossing_nodes())
    rows.append(_coverage_row("crossing_mapped", "node", crossing_places, mapped))
    return rows


# --------------------------------------------------------------------------------------------- summaries
def counts_by(gaps: list[dict[str, Any]], field: str) -> list[dict[str, Any]]:
    """Gap counts per kind for each value of `field` (cell or street), most gaps first."""
    table: dict[str, dict[str, int]] = {}
    for gap in gaps:
        row = table.setdefault(gap[field], dict.fromkeys(KINDS, 0))
        row[gap["kind"]] += 1
    rows = [{field: key, "total": sum(counts.values()), **counts} for key, counts in table.items()]
    rows.sort(key=lambda row: (-row["total"], row[field]))
    return rows


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weeks(now: datetime, count: int) -> list[date]:
    """The Mondays of the last `count` weeks, oldest first (this week last)."""
    this_week = week_start(now.date())
    return [this_week - timedelta(weeks=count - 1 - i) for i in range(count)]


