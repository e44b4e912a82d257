"""City staff: the gap review pages, the gap API, exports, charts and the map."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The gap analysis service, the pages under /staff (with their downloads) and the gap API under /api/gaps."""
    from app.staff import exports, gap_api, gaps, map_reload, pages  # noqa: F401  (exports adds its routes)

    gaps.init_app(app)
    map_reload.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(gap_api.api_bp)
