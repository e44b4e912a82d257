"""Rendering the one error type (`routing.errors.LotseError`): JSON for the API, a frame for the WebSocket, a page
for staff. Each in the request's language, never a traceback."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from app.core.language import Language, current_language
from routing.errors import LotseError

log = logging.getLogger(__name__)

# Werkzeug's own errors (routing, methods, size) as Lotse errors with their status: 413 `too_large` for a body over
# MAX_CONTENT_LENGTH, as RFC 9110 has it (a client or proxy can tell it from a malformed body without reading ours).
_HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}


def from_http(exc: HTTPException) -> LotseError:
    status = exc.code or 500
    return LotseError(code=_HTTP_CODES.get(status, "bad_request"), status=status)


def json_error(exc: LotseError, language: Language | None = None) -> tuple[Response, int]:
    """`{"error": {"code", "message"}}` with the error's status and headers."""
    language = language or current_language()
    response = jsonify(error={"code": exc.code, "message": language.message(exc.code, **exc.params)})
    response.headers.update(exc.headers)
    return response, exc.status


ECHO_CHARS = 40  # of a client's text (a field name, a message type) echoed in an error message


def frame_error(exc: LotseError, language: Language) -> dict[str, Any]:
    """The WebSocket's `error` message. Text echoed from the client is cut short and made encodable (a lone
    surrogate cannot be sent as UTF-8)."""
    params = {key: echo(value) if isinstance(value, str) else value for key, value in exc.params.items()}
    return {"type": "error", "code": exc.code, "message": language.message(exc.code, **params)}


def echo(text: str) -> str:
    """A client's text, safe to repeat back: at most ECHO_CHARS characters, unencodable ones replaced."""
    short = text if len(text) <= ECHO_CHARS else text[:ECHO_CHARS] + "…"
    return short.encode("utf-8", "replace").decode("utf-8")


def register(app: Flask) -> None:
    """Answer every error of the API with JSON (the staff blueprint renders its own pages)."""

    @app.errorhandler(LotseError)
    def lotse_error(exc: LotseError):
        return json_error(exc)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return json_error(from_http(exc))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("Unhandled error")
        return json_error(LotseError(code="internal", status=500))

