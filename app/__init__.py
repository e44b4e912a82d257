"""Lotse's web layer: the Flask app factory. The routing domain lives in the `routing` package."""

from __future__ import annotations

from typing import Any

from flask import Flask

from routing.graph import WalkGraph
from routing.planner import Planner
from routing.spatial import EdgeIndex


def create_app(config: dict[str, Any] | None = None, graph: WalkGraph | None = None) -> Flask:
    """Create the app. Configuration comes from `LOTSE_*` environment variables, then `config`.

    The walk graph is `graph` when given (tests, `lotse serve`), else loaded from `OSM` (a file) or `PLACE`.
    """
    app = Flask(__name__, static_folder="../static", static_url_path="/static")
    app.config.from_mapping(
        OSM=None,
        PLACE=None,
        CACHE_DIR=None,
        SNAP_LIMIT_M=150.0,
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    app.config.from_prefixed_env("LOTSE")
    if config:
        app.config.update(config)

    if graph is None:
        from routing.cache import load_graph

        graph = load_graph(app.config["OSM"], app.config["PLACE"], app.config["CACHE_DIR"])
    app.extensions["lotse.graph"] = graph
    app.extensions["lotse.index"] = EdgeIndex(graph, float(app.config["SNAP_LIMIT_M"]))
    app.extensions["lotse.planner"] = Planner(graph, app.extensions["lotse.index"])

    from app import api, errors

    errors.register(app)
    app.register_blueprint(api.bp)

    @app.get("/")
    def home():
        return app.send_static_file("index.html")

    return app
