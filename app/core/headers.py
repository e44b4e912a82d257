"""Security headers: every response is `nosniff`; every HTML page also gets a Content Security Policy without
inline scripts or styles (the pages load theirs from /static), may not be framed (`frame-ancestors 'none'`, and
X-Frame-Options for older browsers), and sends no referrer to other sites."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response


def content_security_policy(tile_url: str | None = None) -> str:
    """The pages' policy; images may also come from the configured map tile server (`TILE_URL`)."""
    tiles = urlsplit(tile_url) if tile_url else None
    tile_origin = f" {tiles.scheme}://{tiles.netloc.replace('{s}', '*')}" if tiles and tiles.netloc else ""
    return "; ".join((
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src 'self' data:{tile_origin}",
        "media-src 'self' blob:",  # spoken instructions: /api/speech audio
        "connect-src 'self'",  # the API and the /ws/guide socket, same origin
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


def init_app(app: Flask) -> None:
    html_headers = {
        "Content-Security-Policy": content_security_policy(app.config.get("TILE_URL")),
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
    }

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.mimetype == "text/html":
            for name, value in html_headers.items():
                response.headers.setdefault(name, value)
        return response
