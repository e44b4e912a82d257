"""Plan a described route in one call: profile and overrides in, `Route` with its explanation out."""

from __future__ import annotations

from typing import Any

from routing.explain import explain
from routing.planner import Obstacle, Planner
from routing.profiles import DEFAULT_PROFILE, resolve
from routing.route import Route, build_route, path_summary, route_summary


def plan_route(
    planner: Planner,
    origin: tuple[Any, Any],
    destination: tuple[Any, Any],
    profile: str | None = None,
    overrides: dict[str, Any] | None = None,
    lang: str = "de",
    obstacles: tuple[Obstacle, ...] = (),
) -> Route:
    """The route a profile prefers between two lat/lon positions, explained against the shortest walkable one."""
    name = profile or DEFAULT_PROFILE
    prefs = resolve(name, overrides)
    chosen, shortest = planner.plan(origin, destination, prefs, obstacles)
    route = build_route(planner, chosen, name, prefs)
    mine = route_summary(route)
    route.explanation = explain(mine, mine if shortest.directed == chosen.directed else path_summary(planner, shortest),
                                lang)
    return route
