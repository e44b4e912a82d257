"""The gap analysis in the running app: worked out once per walk graph (`routing.gaps`), ranked by the anonymous
route-usage counts, and the coverage history from the accepted facts."""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from typing import Any

from flask import Flask, current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core import usage
from app.core.models import AcceptedFact
from routing.facts import FACT_KINDS
from routing.gaps import KINDS, Analysis, analyse, coverage, weeks
from routing.graph import WalkGraph


class GapService:
    """`app.extensions["lotse.gaps"]`: the analysis of the graph in use, and the gaps ranked by current usage."""

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._analysis: Analysis | None = None
        self._base_coverage: list[dict[str, Any]] | None = None
        self._ranked: tuple[int, int, list[dict[str, Any]]] | None = None  # (analysis id, usage version, gaps)

    def analysis(self) -> Analysis:
        graph = self._app.extensions["lotse.graph"]
        analysis = self._analysis
        if analysis is not None and analysis.graph is graph:
            return analysis
        with self._lock:
            if self._analysis is None or self._analysis.graph is not graph:
                self._analysis = analyse(graph)
            return self._analysis

    def base_coverage(self) -> list[dict[str, Any]]:
        """Coverage of the map as loaded, before any accepted fact (the start of the coverage history)."""
        if self._base_coverage is None:
            self._base_coverage = coverage(self._app.extensions["lotse.base_graph"])
        return self._base_coverage

    def ranked(self) -> list[dict[str, Any]]:
        """Every gap with `routes` (None below 5), `priority` and `rank` (1 = most urgent), most urgent first."""
        analysis = self.analysis()
        snapshot = usage.counter_of(self._app).snapshot()
        cached = self._ranked
        if cached is not None and cached[0] == id(analysis) and cached[1] == snapshot.version:
            return cached[2]
        gaps = []
        nodes, edges = snapshot.nodes, snapshot.edges
        for gap, node, edge_keys in zip(analysis.gaps, analysis.usage_nodes, analysis.usage_edges):
            count = nodes.get(node, 0) if node is not None else max((edges.get(k, 0) for k in edge_keys), default=0)
            routes = usage.shown(count)
            gaps.append({**gap, "routes": routes, "priority": (routes or 0) * (1 + gap["size"])})
        gaps.sort(key=lambda g: (-g["priority"], -g["size"], KINDS.index(g["kind"]), g["osm_id"]))
        for rank, gap in enumerate(gaps, start=1):
            gap["rank"] = rank
        self._ranked = (id(analysis), snapshot.version, gaps)
        return gaps


def init_app(app: Flask) -> None:
    app.extensions["lotse.gaps"] = GapService(app)


def service(app: Flask) -> GapService:
    return app.extensions["lotse.gaps"]


def coverage_history(db_session: Session, base: list[dict[str, Any]], now: datetime,
                     count: int = 26) -> list[dict[str, Any]]:
    """Known share per quest attribute at the end of each of the last `count` weeks: what the map knew as loaded
    plus the facts volunteers agreed on by then."""
    mondays = weeks(now, count)
    start = datetime.combine(mondays[0], datetime.min.time(), tzinfo=timezone.utc)
    before = dict(db_session.execute(select(AcceptedFact.key, func.count()).where(AcceptedFact.accepted_at < start)
                                     .group_by(AcceptedFact.key)).all())
    per_week: dict[tuple[str, int], int] = {}
    rows = db_session.execute(select(AcceptedFact.key, AcceptedFact.accepted_at)
                              .where(AcceptedFact.accepted_at >= start)).all()
    for key, accepted_at in rows:
        index = (accepted_at.date() - mondays[0]).days // 7
        per_week[(key, index)] = per_week.get((key, index), 0) + 1
    rows_base = {row["attribute"]: row for row in base if row["attribute"] in FACT_KINDS}
    known = {key: row["known"] + before.get(key, 0) for key, row in rows_base.items()}
    history = []
    for index, monday in enumerate(mondays):
        for key in known:
            known[key] += per_week.get((key, index), 0)
        total = sum(row["total"] for row in rows_base.values())
        values = {key: min(known[key], row["total"]) for key, row in rows_base.items()}
        history.append({
            "week": f"{monday.isocalendar()[0]}-W{monday.isocalendar()[1]:02d}", "start": monday.isoformat(),
            "known_rate": round(sum(values.values()) / total, 4) if total else None,
            "by_attribute": {key: round(values[key] / row["total"], 4) if row["total"] else None
                             for key, row in rows_base.items()},
        })
    return history


def per_graph(name: str, graph: WalkGraph, make) -> Any:
    """A value worked out once per graph (kept in the app beside the graph it belongs to)."""
    cache = current_app.extensions.setdefault("lotse.staff_cache", {})
    held = cache.get(name)
    if held is None or held[0] is not graph:
        held = cache[name] = (graph, make(graph))
    return held[1]
