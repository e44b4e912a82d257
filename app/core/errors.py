"""JSON errors for the API in the request's language: `{"error": {"code", "message"}}`, never a traceback."""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from routing.errors import LotseError

LANGUAGES = ("de", "en")  # German first: the default when the request says nothing
MESSAGES_DIR = Path(__file__).resolve().parents[2] / "data" / "messages"
log = logging.getLogger(__name__)



class RequestError(LotseError):
    """A request body or query that does not have the documented shape; `field` names the culprit."""

    def __init__(self, message: str, field: str, code: str = "bad_request") -> None:
        super().__init__(message, field=field)
        self.code = code


class ApiError(LotseError):
    """An error with its own HTTP status (401, 403, 404, 409, 429); `code` picks the message, `headers` are sent."""

    def __init__(self, status: int, code: str, headers: dict[str, str] | None = None, **params: object) -> None:
        super().__init__(code, **params)
        self.status = status
        self.code = code
        self.headers = headers or {}


_HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}


@lru_cache(maxsize=None)
def messages(lang: str) -> dict[str, str]:
    """The message table of one language."""
    return json.loads((MESSAGES_DIR / f"{lang}.json").read_text(encoding="utf-8"))


def request_language() -> str:
    """`lang` from the query or JSON body, else the best Accept-Language match, else German."""
    lang = request.args.get("lang")
    if lang is None and request.is_json:
        try:
            body = request.get_json(silent=True)
        except HTTPException:  # a body over the size limit: its language is not worth reading
            body = None
        lang = body.get("lang") if isinstance(body, dict) else None
    if lang in LANGUAGES:
        return lang
    return request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]


def error_response(status: int, code: str, **params: object) -> tuple[Response, int]:
    """An error body whose message is the translated template for `code`."""
    template = messages(request_language()).get(code) or messages(request_language())["bad_request"]
    params.setdefault("field", "body")
    return jsonify(error={"code": code, "message": template.format(**params)}), status


def register(app: Flask) -> None:
    """Answer every error of the API with JSON."""

    @app.errorhandler(LotseError)
    def lotse_error(exc: LotseError):
        response, status = error_response(getattr(exc, "status", 400), exc.code, **exc.params)
        response.headers.update(getattr(exc, "headers", {}))
        return response, status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        # The API promises 400 for every bad input; an oversized body is one (code too_large says which).
        return error_response(400 if status == 413 else status, _HTTP_CODES.get(status, "bad_request"))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("Unhandled error")
        return error_response(500, "internal")
