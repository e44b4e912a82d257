"""The one error type of Lotse: an error that is the input's fault, not a bug, with a message a user can act on.

Callers show the translated message for `code` (from `data/messages/<lang>.json`, its slots filled from `params`),
never a traceback. The web layer renders it once for each channel: JSON, WebSocket frame or HTML page.
"""

from __future__ import annotations


class LotseError(Exception):
    """`code` picks the message, `status` is the HTTP status it is answered with, `params` fill the message's slots,
    `headers` go with an HTTP answer (e.g. Retry-After). Subclasses only name a default code."""

    code = "bad_request"
    status = 400

    def __init__(self, message: str = "", *, code: str | None = None, status: int | None = None,
                 headers: dict[str, str] | None = None, **params: object) -> None:
        super().__init__(message or code or self.code)
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.headers = headers or {}
        self.params = params


class OsmInputError(LotseError):
    """The map source cannot be read: missing, not OSM, truncated, unreachable or without walkable ways."""

    code = "bad_map"


class CoordinateError(LotseError):
    """A coordinate that is not a number or outside the valid range."""

    code = "bad_coordinate"


class OffMapError(LotseError):
    """A valid coordinate farther than the snap limit from every walkable way."""

    code = "off_map"

    def __init__(self, message: str, *, distance_m: float, limit_m: float) -> None:
        super().__init__(message, distance_m=round(distance_m), limit_m=round(limit_m))
        self.distance_m = distance_m
