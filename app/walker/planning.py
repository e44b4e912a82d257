"""Route requests, shared by `POST /api/route` and the live socket's `start`: one parser, and one "plan, store,
count" so that every planned route can be started on and is counted once."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Any

from flask import Flask, has_request_context
from flask import request as http_request

from app.core.language import Language
from app.core.usage import route_planned
from routing.errors import LotseError
from routing.guidance.wording import VERBOSITIES, WordingOptions
from routing.numbers import finite_number
from routing.matching import WalkNetwork
from routing.plan import plan_route
from routing.route import Route

# What a route request may hold (`lang` is read where the language is resolved).
ROUTE_FIELDS = frozenset({"from", "to", "profile", "prefs", "lang", "heading_deg", "guidance"})
GUIDANCE_FIELDS = frozenset({"verbosity", "clock_face", "step_length_m"})
STEP_LENGTH_RANGE_M = (0.3, 1.5)


@dataclass(frozen=True)
class RouteRequest:
    """What a walker asked for. Positions are as sent: the planner checks and snaps them."""

    origin: tuple[Any, Any]
    destination: tuple[Any, Any]
    profile: str | None
    prefs: dict[str, Any] | None
    language: Language
    wording: WordingOptions
    heading_deg: float | None = None


@dataclass(frozen=True)
class StoredRoute:
    """A planned route and the request it answers, so a walker can start on it and be re-planned alike."""

    route: Route
    request: RouteRequest
    client: str = ""  # who planned it (the address): each client's routes are kept apart
    # The map matcher of the map it was planned on: a walk on it keeps that map after a reload swaps in another.
    network: WalkNetwork | None = None

    @property
    def destination(self) -> tuple[float, float]:
        return float(self.request.destination[0]), float(self.request.destination[1])


def parse_route_request(body: dict[str, Any], language: Language, field_code: str = "bad_request",
                        allowed: frozenset[str] | None = ROUTE_FIELDS) -> RouteRequest:
    """The request in `body`; a LotseError with `field_code` naming the first field that is wrong.

    `allowed` None lets other fields through (a socket message carries its type and more).
    """
    if allowed is not None:
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise LotseError(f"Unknown fields: {', '.join(unknown)}", code=field_code, field=unknown[0])
    profile = body.get("profile")
    if profile is not None and not isinstance(profile, str):
        raise LotseError('"profile" must be a string', code=field_code, field="profile")
    heading = body.get("heading_deg")
    if heading is not None and not _is_number_in(heading, 0, 360):
        raise LotseError('"heading_deg" must be a number from 0 to 360', code=field_code, field="heading_deg")
    return RouteRequest(
        origin=_position(body, "from", field_code), destination=_position(body, "to", field_code), profile=profile,
        prefs=body.get("prefs"), language=language, wording=parse_wording(body.get("guidance"), field_code),
        heading_deg=None if heading is None else float(heading))


def parse_wording(options: object, field_code: str = "bad_field") -> WordingOptions:
    """The `guidance` object of a request: verbosity, clock-face turns, step length."""
    if options is None:
        return WordingOptions()
    if not isinstance(options, dict):
        raise LotseError("guidance must be an object", code=field_code, field="guidance")
    unknown = sorted(set(options) - GUIDANCE_FIELDS)
    if unknown:
        raise LotseError("Unknown guidance option", code=field_code, field=unknown[0])
    if options.get("verbosity", "normal") not in VERBOSITIES:
        raise LotseError(f"verbosity must be one of {', '.join(VERBOSITIES)}", code=field_code, field="verbosity")
    if "clock_face" in options and not isinstance(options["clock_face"], bool):
        raise LotseError("clock_face must be true or false", code=field_code, field="clock_face")
    step = options.get("step_length_m")
    if step is not None and not _is_number_in(step, *STEP_LENGTH_RANGE_M):
        raise LotseError("step_length_m must be a number from {:g} to {:g}".format(*STEP_LENGTH_RANGE_M),
                         code=field_code, field="step_length_m")
    return WordingOptions(**options)


def _is_number_in(value: object, low: float, high: float) -> bool:
    number = finite_number(value)
    return number is not None and low <= number <= high


def _position(body: dict[str, Any], key: str, field_code: str) -> tuple[Any, Any]:
    value = body.get(key)
    if not isinstance(value, dict) or "lat" not in value or "lon" not in value:
        raise LotseError(f'"{key}" must be an object with "lat" and "lon"', code=field_code, field=key)
    return value["lat"], value["lon"]


def plan_and_store(app: Flask, request: RouteRequest, client: str | None = None) -> StoredRoute:
    """Plan the request around the reported obstacles in force, keep it for the live socket under its `client`
    (default: the HTTP request's address), count its use."""
    planner, network = app.extensions["lotse.planner"], app.extensions["lotse.network"]
    route = plan_route(planner, request.origin, request.destination, request.profile,
                       request.prefs, request.language.code, app.extensions["lotse.obstacles"](), request.wording,
                       request.heading_deg)
    if client is None:
        client = (http_request.remote_addr or "") if has_request_context() else ""
    # Read in the instant a reload swaps the map, the two may be of different maps: then the planner's own.
    if network.index is not planner.index:
        network = WalkNetwork(planner.index)
    stored = StoredRoute(route, request, client, network)
    app.extensions["lotse.routes"].add(stored)
    route_planned(app, route)  # anonymous usage counts (app.core.usage)
    return stored


def replan(app: Flask, stored: StoredRoute, origin: tuple[float, float] | None = None,
           language: Language | None = None) -> StoredRoute:
    """The same request again from `origin` (a walker off the route) or in another language."""
    request = stored.request
    return plan_and_store(app, replace(request, origin=origin or request.origin, language=language or request.language,
                                       heading_deg=None if origin else request.heading_deg), stored.client)


ROUTES_PER_CLIENT = 20  # a walker needs a handful; a flood from one address evicts only its own


class RouteStore:
    """Planned routes by id, bounded per client and in all: a client's oldest route goes when it has more than
    `per_client`, and the least recently planning client's oldest when there are more than `size` in all, so
    thousands of anonymous `/api/route` calls from one address never evict another walker's route."""

    def __init__(self, size: int, per_client: int = ROUTES_PER_CLIENT) -> None:
        self._clients: OrderedDict[str, OrderedDict[str, StoredRoute]] = OrderedDict()
        self._owner: dict[str, str] = {}  # route id -> client
        self._size = size
        self._per_client = per_client
        self._lock = threading.Lock()

    def add(self, stored: StoredRoute) -> None:
        with self._lock:
            routes = self._clients.setdefault(stored.client, OrderedDict())
            self._clients.move_to_end(stored.client)
            routes[stored.route.route_id] = stored
            self._owner[stored.route.route_id] = stored.client
            if len(routes) > self._per_client:
                self._forget(stored.client)
            while len(self._owner) > self._size:
                self._forget(next(iter(self._clients)))

    def _forget(self, client: str) -> None:
        """Drop `client`'s oldest route (and the client when it has none left)."""
        routes = self._clients[client]
        route_id, _ = routes.popitem(last=False)
        del self._owner[route_id]
        if not routes:
            del self._clients[client]

    def get(self, route_id: str) -> StoredRoute | None:
        with self._lock:
            client = self._owner.get(route_id)
            return None if client is None else self._clients[client][route_id]
