"""Lotse's web layer: the Flask app factory. The routing domain lives in the `routing` package."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from app.core import config as config_module
from app.core.language import current_language
from app.walker.speech import SpeechService
from routing.graph import WalkGraph
from routing.planner import Planner
from routing.spatial import EdgeIndex


def create_app(config: dict[str, Any] | None = None, graph: WalkGraph | None = None) -> Flask:
    """Create the app. Settings (`app.core.config`) come from `LOTSE_*` environment variables, then `config`.

    The walk graph is `graph` when given (tests, `lotse serve`), else loaded from `OSM` (a file) or `PLACE`.
    """
    app = Flask(__name__, static_folder="../static", static_url_path="/static")
    app.config.update(config_module.load(config))
    if app.config["SESSION_COOKIE_SECURE"] is None:
        app.config["SESSION_COOKIE_SECURE"] = not app.testing

    from app.core import db

    app.config["DATABASE_URL"] = app.config["DATABASE_URL"] or db.default_url(app.instance_path, app.testing)
    db.begin(app)  # the schema is migrated (in a child) while the rest is set up; db.init_app waits for it

    if graph is None:
        from routing.cache import load_graph

        graph = load_graph(app.config["OSM"], app.config["PLACE"], app.config["CACHE_DIR"])
    app.extensions["lotse.graph"] = graph
    app.extensions["lotse.index"] = EdgeIndex(graph, float(app.config["SNAP_LIMIT_M"]))
    app.extensions["lotse.planner"] = Planner(graph, app.extensions["lotse.index"])

    app.extensions["lotse.speech"] = SpeechService(
        Path(app.config["SPEECH_CACHE_DIR"] or Path(app.instance_path) / "speech"),
        int(app.config["SPEECH_CACHE_MB"]) * 1024 * 1024,
        tuple(engine.strip() for engine in str(app.config["SPEECH_ENGINES"]).split(",")),
        int(app.config["SPEECH_PROCESSES"]), int(app.config["SPEECH_QUEUE"]), int(app.config["SPEECH_PRERENDER_QUEUE"]),
    )

    from app import staff
    from app.community import accounts, facts, map_api, quests, reports
    from app.core import errors, headers, inputs, security, shared, usage
    from app.walker import api, live, speech

    inputs.init_app(app)  # the JSON reader and the <id:...> URL converter, before any blueprint
    errors.register(app)
    headers.init_app(app)  # CSP, nosniff, no framing, Referrer-Policy

    @app.before_request
    def resolve_language() -> None:
        current_language()  # once, at the edge: an unsupported `lang` is a 400 before any work
    db.init_app(app)
    shared.init_app(app)  # Redis when REDIS_URL is set: routes and news shared by every server process
    security.init_app(app)
    facts.init_app(app)
    reports.init_app(app)  # sets lotse.obstacles: the reported obstacles in force now
    app.register_blueprint(api.bp)
    app.register_blueprint(accounts.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(quests.bp)
    app.register_blueprint(map_api.bp)  # the web maps' own layers as GeoJSON
    app.register_blueprint(speech.bp)
    live.register(app)
    usage.init_app(app)  # anonymous route-usage counts (lotse.route_listeners)
    staff.init_app(app)  # city staff: gap review pages under /staff, the gap API under /api/gaps

    @app.get("/")
    def home():
        return app.send_static_file("index.html")

    # The PWA's service worker and manifest live at the root so the worker's scope is the whole app.
    @app.get("/sw.js")
    def service_worker():
        response = app.send_static_file("sw.js")
        response.headers["Cache-Control"] = "no-cache"
        return response

    @app.get("/manifest.webmanifest")
    def manifest():
        response = app.send_static_file("manifest.webmanifest")
        response.mimetype = "application/manifest+json"
        return response

    return app
