"""The staff map as inline SVG: the walk graph, the 500 m grid with cell names, gap and report markers. Never the only
way to the information: the tables carry the same."""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from flask import current_app
from markupsafe import Markup

from app.core.models import Report
from app.staff.gaps import per_graph
from routing.gaps import CELL_M, Analysis
from routing.graph import WalkGraph

MAP_WIDTH_PX = 1000
_MAP_SYMBOLS = {"crossing_tactile_paving": "circle", "signal_acoustic": "square", "steps_handrail": "triangle",
                "steps_count": "triangle-down", "sidewalk": "diamond", "report": "cross"}


def _base_paths(graph: WalkGraph, x0: float, y1: float) -> dict[str, str]:
    """The walk graph as three SVG paths (roads, footways, steps) in metres from the grid's north-west corner,
    simplified to 3 m."""
    offsets = graph.geom_offsets
    coords = np.column_stack([graph.geom_x - x0, y1 - graph.geom_y])
    index = np.repeat(np.arange(graph.edge_count), np.diff(offsets))
    lines = shapely.simplify(shapely.linestrings(coords, indices=index), 3.0)
    highway = graph.way_texts("highway")[graph.edge_way]
    groups = {"roads": graph.way_is_road[graph.edge_way], "steps": highway == "steps"}
    groups["paths"] = ~groups["roads"] & ~groups["steps"]
    paths = {}
    for name, mask in groups.items():
        points, which = shapely.get_coordinates(lines[mask], return_index=True)
        points = np.round(points).astype(int)
        # Each line: an absolute move, then relative line-tos (short numbers: a third of the absolute size).
        steps = np.diff(points, axis=0, prepend=points[:1])
        parts = []
        previous = -1
        for (x, y), (dx, dy), line in zip(points.tolist(), steps.tolist(), which.tolist()):
            if line != previous:
                parts.append(f"M{x} {y}l")
            else:
                parts.append(f"{dx} {dy} ")
            previous = line
        paths[name] = "".join(parts).replace("l M", "M").replace(" M", "M")
    return paths


def map_svg(analysis: Analysis, selected: list[dict[str, Any]], open_reports: list[Report],
            cell: str | None) -> tuple[Markup, int, int]:
    """The map: walk graph, grid with cell names, gap and report markers; the caller gives it a text alternative."""
    grid = analysis.grid
    graph = current_app.extensions["lotse.base_graph"]
    paths = per_graph("map_paths", graph, lambda graph: _base_paths(graph, grid.x0, grid.y1))
    if cell:
        west, south, east, north = grid.bounds_xy(cell)
        margin = CELL_M * 0.1
        view = (west - grid.x0 - margin, grid.y1 - north - margin, CELL_M + 2 * margin, CELL_M + 2 * margin)
    else:
        view = (0.0, 0.0, grid.columns * CELL_M, grid.rows * CELL_M)
    scale = view[2] / MAP_WIDTH_PX  # metres per pixel at the default width
    size = (5 if cell is None else 8) * scale
    index = {gap["id"]: i for i, gap in enumerate(analysis.gaps)}

    def inside(x: float, y: float) -> bool:
        return view[0] <= x <= view[0] + view[2] and view[1] <= y <= view[1] + view[3]

    markers: list[str] = []
    shown_gaps = 0
    for gap in selected:
        i = index[gap["id"]]
        x, y = float(analysis.x[i] - grid.x0), float(grid.y1 - analysis.y[i])
        if inside(x, y):
            shown_gaps += 1
            markers.append(f'<use href="#sym-{_MAP_SYMBOLS[gap["kind"]]}" class="gap {gap["kind"]}" '
                           f'x="{x:.0f}" y="{y:.0f}"/>')
    to_xy = current_app.extensions["lotse.index"].project
    shown_reports = 0
    for report in open_reports:
        px, py = to_xy(report.lat, report.lon)
        x, y = px - grid.x0, grid.y1 - py
        if inside(x, y):
            shown_reports += 1
            markers.append(f'<use href="#sym-cross" class="report" x="{x:.0f}" y="{y:.0f}"/>')
    grid_lines = []
    for column in range(grid.columns + 1):
        grid_lines.append(f"M{column * CELL_M:.0f} 0V{grid.rows * CELL_M:.0f}")
    for row in range(grid.rows + 1):
        grid_lines.append(f"M0 {row * CELL_M:.0f}H{grid.columns * CELL_M:.0f}")
    label_size = (CELL_M / 12) if cell else CELL_M / 3.5
    labels = "".join(
        f'<text x="{c * CELL_M + label_size * 0.3:.0f}" y="{r * CELL_M + label_size:.0f}">'
        f'{grid.label(c, r)}</text>' for r in range(grid.rows) for c in range(grid.columns))
    s = size
    symbols = (
        f'<symbol id="sym-circle" overflow="visible"><circle r="{s:.1f}"/></symbol>'
        f'<symbol id="sym-square" overflow="visible"><rect x="{-s:.1f}" y="{-s:.1f}" width="{2 * s:.1f}" '
        f'height="{2 * s:.1f}"/></symbol>'
        f'<symbol id="sym-triangle" overflow="visible"><path d="M0 {-s * 1.2:.1f}L{s * 1.1:.1f} {s * 0.8:.1f}'
        f'H{-s * 1.1:.1f}Z"/></symbol>'
        f'<symbol id="sym-triangle-down" overflow="visible"><path d="M0 {s * 1.2:.1f}L{s * 1.1:.1f} {-s * 0.8:.1f}'
        f'H{-s * 1.1:.1f}Z"/></symbol>'
        f'<symbol id="sym-diamond" overflow="visible"><path d="M0 {-s * 1.3:.1f}L{s * 1.3:.1f} 0L0 {s * 1.3:.1f}'
        f'L{-s * 1.3:.1f} 0Z"/></symbol>'
        f'<symbol id="sym-cross" overflow="visible"><path d="M{-s * 1.3:.1f} {-s * 0.4:.1f}H{-s * 0.4:.1f}'
        f'V{-s * 1.3:.1f}H{s * 0.4:.1f}V{-s * 0.4:.1f}H{s * 1.3:.1f}V{s * 0.4:.1f}H{s * 0.4:.1f}V{s * 1.3:.1f}'
        f'H{-s * 0.4:.1f}V{s * 0.4:.1f}H{-s * 1.3:.1f}Z"/></symbol>'
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="city-map" viewBox="{view[0]:.0f} {view[1]:.0f} '
        f'{view[2]:.0f} {view[3]:.0f}" role="img" aria-labelledby="map-caption" focusable="false" '
        f'style="--stroke:{scale:.2f}px; --label:{label_size:.0f}px">'
        f'<defs>{symbols}</defs>'
        f'<g aria-hidden="true"><path class="grid" d="{"".join(grid_lines)}"/>'
        f'<g class="cell-labels">{labels}</g>'
        f'<path class="paths" d="{paths["paths"]}"/><path class="roads" d="{paths["roads"]}"/>'
        f'<path class="steps" d="{paths["steps"]}"/>'
        f'<g class="markers">{"".join(markers)}</g></g></svg>'
    )
    return Markup(svg), shown_gaps, shown_reports
