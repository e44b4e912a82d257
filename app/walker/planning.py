"""Route requests, shared by `POST /api/route` and the live socket's `start`: one parser, and one "plan, store,
count" so that every planned route can be started on and is counted once."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Annotated, Any, Literal

from flask import Flask, has_request_context
from flask import request as http_request
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from app.core import shared
from app.core.inputs import Body
from app.core.language import Language
from app.core.threads import in_planning_thread
from app.core.usage import route_planned
from routing.errors import LotseError
from routing.guidance.wording import VERBOSITIES, WordingOptions
from routing.matching import WalkNetwork
from routing.plan import plan_route, reword_route
from routing.profiles import DEFAULT_PROFILE, PROFILES, Preferences, preference_choices, preference_limits
from routing.route import Route
from routing.spatial import check_coordinate

if TYPE_CHECKING:
    from app.walker.route_store import RedisRouteStore

STEP_LENGTH_RANGE_M = (0.3, 1.5)


class Position(BaseModel):
    """A position `{"lat", "lon"}` (other keys are ignored): an object without both is refused naming its field,
    numbers out of range are `bad_coordinate` (the one coordinate check, `check_coordinate`)."""

    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]

    @model_validator(mode="before")
    @classmethod
    def _coordinates(cls, value: object) -> dict[str, float]:
        if not isinstance(value, dict) or "lat" not in value or "lon" not in value:
            raise ValueError('an object with "lat" and "lon"')
        lat, lon = check_coordinate(value["lat"], value["lon"])  # a CoordinateError goes through pydantic as is
        return {"lat": lat, "lon": lon}


class GuidanceOptions(BaseModel):
    """How instructions are worded (`WordingOptions`)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    verbosity: Literal[VERBOSITIES] = "normal"
    clock_face: bool = False
    step_length_m: Annotated[float, Field(ge=STEP_LENGTH_RANGE_M[0], le=STEP_LENGTH_RANGE_M[1],
                                          allow_inf_nan=False, description="Distances in paces of this length")] \
        | None = None


def _preferences_schema() -> dict[str, Any]:
    """The `prefs` object as `Preferences` declares it (the planner checks it: `bad_preference`)."""
    properties: dict[str, Any] = {}
    for name, kind in Preferences.__annotations__.items():
        if str(kind) == "str":
            properties[name] = {"type": "string", "enum": list(preference_choices(name))}
        elif str(kind) == "bool":
            properties[name] = {"type": "boolean"}
        else:
            low, high = preference_limits(name)
            properties[name] = {"type": "number", "minimum": low, "maximum": high}
    return {"type": "object", "additionalProperties": False, "properties": properties}


class RouteBody(Body):
    """The body of `POST /api/route`. Profile and preferences are checked by the planner (`bad_preference`)."""

    from_: Position = Field(alias="from")
    to: Position
    profile: Annotated[str, WithJsonSchema({"type": "string", "enum": list(PROFILES), "default": DEFAULT_PROFILE})] \
        | None = None
    prefs: Annotated[Any, WithJsonSchema(_preferences_schema())] = None
    heading_deg: Annotated[float, Field(ge=0, le=360, allow_inf_nan=False,
                                        description="The walker's heading, for a clock-face departure")] | None = None
    guidance: GuidanceOptions | None = None


class RouteFields(RouteBody):
    """The route fields of a socket `start`, which carries its type and more beside them."""

    model_config = ConfigDict(extra="ignore")


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


def route_request(body: RouteBody, language: Language) -> RouteRequest:
    """What `body` (parsed by `app.core.inputs`) asks for, in `language`."""
    guidance = body.guidance.model_dump(exclude_unset=True) if body.guidance else {}
    return RouteRequest(
        origin=(body.from_.lat, body.from_.lon), destination=(body.to.lat, body.to.lon), profile=body.profile,
        prefs=body.prefs, language=language, wording=WordingOptions(**guidance), heading_deg=body.heading_deg)


def wants_edge_detail(value: object, field_code: str = "bad_request") -> bool:
    """`detail` of a route request (the query of `POST /api/route`, a field of the socket's `start`): "edges" asks
    for each walked piece of the graph in the answer; absent, the answer leaves them out."""
    if value is None:
        return False
    if value != "edges":
        raise LotseError('detail must be "edges"', code=field_code, field="detail")
    return True


def plan_and_store(app: Flask, request: RouteRequest, client: str | None = None) -> StoredRoute:
    """Plan the request around the reported obstacles in force, keep it for the live socket under its `client`
    (default: the HTTP request's address), count its use."""
    planner, network = app.extensions["lotse.planner"], app.extensions["lotse.network"]
    # In a real thread: under the gevent server a plan on the loop would hold every walker's socket meanwhile.
    route = in_planning_thread(plan_route, planner, request.origin, request.destination, request.profile,
                           request.prefs, request.language.code, app.extensions["lotse.obstacles"](),
                           request.wording, request.heading_deg)
    if client is None:
        client = (http_request.remote_addr or "") if has_request_context() else ""
    # Read in the instant a reload swaps the map, the two may be of different maps: then the planner's own.
    if network.index is not planner.index:
        network = WalkNetwork(planner.index)
    stored = StoredRoute(route, request, client, network)
    app.extensions["lotse.routes"].add(stored)
    route_planned(app, route)  # anonymous usage counts (app.core.usage)
    return stored


def replan(app: Flask, stored: StoredRoute, origin: tuple[float, float]) -> StoredRoute:
    """The same request again from `origin` (a walker off the route)."""
    return plan_and_store(app, replace(stored.request, origin=origin, heading_deg=None), stored.client)


def reword(app: Flask, stored: StoredRoute, language: Language) -> StoredRoute:
    """The same route in another language, stored under the same id: a walker who switches language on resuming
    keeps the path, the progress on it and the ids of what was said, so nothing is said twice."""
    reworded = StoredRoute(reword_route(stored.route, language.code, stored.request.wording),
                           replace(stored.request, language=language), stored.client, stored.network)
    app.extensions["lotse.routes"].add(reworded)
    return reworded


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


def route_store(app: Flask) -> RouteStore | RedisRouteStore:
    """Where planned routes are kept: Redis when `REDIS_URL` is set (every process sees them,
    `app.walker.route_store`), else in memory."""
    client = shared.client_of(app)
    size = int(app.config["ROUTE_STORE_SIZE"])
    if client is None:
        return RouteStore(size)
    from app.walker.route_store import RedisRouteStore

    return RedisRouteStore(app, client, size, int(app.config["ROUTE_STORE_TTL_S"]))
