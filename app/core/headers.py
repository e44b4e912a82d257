"""Security headers: every response is `nosniff`; every HTML page also gets a Content Security Policy without
inline scripts or styles (the pages load theirs from /static), may not be framed (`frame-ancestors 'none'`, and
X-Frame-Options for older browsers), and sends no referrer to other sites."""

from __future__ import annotations

from flask import Flask, Response

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "media-src 'self' blob:",  # spoken instructions: /api/speech audio
    "connect-src 'self'",  # the API and the /ws/guide socket, same origin
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
HTML_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def init_app(app: Flask) -> None:
    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.mimetype == "text/html":
            for name, value in HTML_HEADERS.items():
                response.headers.setdefault(name, value)
        return response
