"""Map updates without downtime: `POST /api/staff/map/reload` imports the configured map files again in the
background and swaps the new graph in at once; `GET /api/staff/map/reload` says how the last reload went.

The operator replaces the file(s) `LOTSE_OSM` names (or the one `--osm` named) and asks for a reload. The import
runs in a child process (as `lotse serve` builds a missing cache), so the server keeps answering meanwhile and never
imports the build's libraries; the graph is then loaded from the cache and swapped in (app.community.facts
.swap_base_graph). Walks under way finish on the routes they have. Each server process reloads on its own.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from flask import Blueprint, Flask, current_app, jsonify
from pydantic import Field

from app.core import security
from app.core.inputs import Reply
from app.core.threads import in_real_thread, run_program
from routing.cache import data_version
from routing.errors import LotseError

log = logging.getLogger(__name__)
IMPORT_TIMEOUT_S = 3600  # a region of 16 towns imports in under a minute here; a stuck import must end some time

bp = Blueprint("map_reload", __name__, url_prefix="/api/staff/map")
security.protect(bp)


@dataclass
class _ReloadState:
    lock: threading.Lock = field(default_factory=threading.Lock)
    status: str = "idle"  # idle, importing, failed
    started_at: str | None = None
    finished_at: str | None = None
    error: str | None = None

    def to_dict(self, app: Flask) -> dict[str, Any]:
        return {"status": self.status, "started_at": self.started_at, "finished_at": self.finished_at,
                "error": self.error, "data_version": data_version(app.extensions["lotse.base_graph"])}


class ReloadStatus(Reply):
    status: Literal["idle", "importing", "failed"]
    started_at: str | None
    finished_at: str | None
    error: str | None
    data_version: str = Field(description="The data served now: the map files' hash and when it was built")


class ReloadStarted(Reply):
    reload: ReloadStatus


def init_app(app: Flask) -> None:
    app.extensions["lotse.map_reload"] = _ReloadState()
    app.register_blueprint(bp)


@bp.get("/reload")
def reload_status():
    """How the last reload went, and the data version served now (staff only)."""
    security.require_staff()
    return jsonify(current_app.extensions["lotse.map_reload"].to_dict(current_app))


@bp.post("/reload")
def reload_map():
    """Start importing the configured map again; 202 while it runs, 409 if a reload is under way (staff only)."""
    security.require_staff()
    app = current_app._get_current_object()
    if not (app.config["OSM"] or app.config["PLACE"]):
        raise LotseError("This server was given its map directly, not as a file it can read again",
                         code="no_map_source", status=409)
    state: _ReloadState = app.extensions["lotse.map_reload"]
    with state.lock:
        if state.status == "importing":
            raise LotseError("A reload is under way", code="reload_running", status=409)
        state.status, state.error, state.finished_at = "importing", None, None
        state.started_at = _now()
    threading.Thread(target=_reload, args=(app, state), name="lotse-map-reload", daemon=True).start()
    return jsonify(reload=state.to_dict(app)), 202


def _reload(app: Flask, state: _ReloadState) -> None:
    from app.community.facts import swap_base_graph
    from routing.cache import cached_graph
    from routing.spatial import EdgeIndex

    cache_dir = app.config["CACHE_DIR"]
    source = (app.config["OSM"], app.config["PLACE"], Path(cache_dir) if cache_dir else None)
    try:
        _import_in_child(*source)
        # Loading and indexing take a second or two of CPU: in a real thread, off a gevent server's loop.
        graph = in_real_thread(cached_graph, *source)
        if graph is None:
            raise RuntimeError("the imported graph could not be read back from the cache")
        index = in_real_thread(EdgeIndex, graph, float(app.config["SNAP_LIMIT_M"]))
        swap_base_graph(app, graph, index)
        state.status, state.error = "idle", None
        log.info("Map reloaded: %s (%s)", graph.meta.get("source"), data_version(graph))
    except Exception as exc:  # a bad or half-written file: keep serving the map we have, and say why
        log.exception("Map reload failed")
        state.status, state.error = "failed", str(exc)
    state.finished_at = _now()


def _import_in_child(osm_file: Any, place: str | None, cache_dir: Path | None) -> None:
    """`lotse import` of the map source in a child process (started by posix_spawn from a real thread, so neither
    the graph's memory is copied nor a gevent loop stalled); a RuntimeError with what it printed when it fails."""
    argv = [sys.executable, "-c", "from app.cli import main; main()", "import"]
    for path in ([osm_file] if isinstance(osm_file, (str, Path)) else osm_file or []):
        argv += ["--osm", str(path)]
    if place:
        argv += ["--place", place]
    if cache_dir:
        argv += ["--cache-dir", str(cache_dir)]
    with tempfile.NamedTemporaryFile(prefix="lotse-import-", suffix=".log") as errors:
        if in_real_thread(run_program, argv, IMPORT_TIMEOUT_S, errors.name) is None:
            said = Path(errors.name).read_text(errors="replace").strip().splitlines()
            raise RuntimeError(said[-1] if said else "the import failed")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
