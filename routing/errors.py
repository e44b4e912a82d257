"""Errors the routing package raises for bad input, each with a message a user can act on."""

from __future__ import annotations


class LotseError(Exception):
    """Base of every error that is the input's fault, not a bug: callers show the message, not a traceback.

    `code` picks the translated message in `data/messages/<lang>.json`; `params` fill its slots.
    """

    code = "bad_input"

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
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

    def __init__(self, message: str, distance_m: float, limit_m: float) -> None:
        super().__init__(message, distance_m=round(distance_m), limit_m=round(limit_m))
        self.distance_m = distance_m
