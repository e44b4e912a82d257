"""Plan a described, worded route in one call: profile and overrides in, `Route` with explanation and
instructions out."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from routing.explain import explain
from routing.guidance.maneuvers import build_maneuvers
from routing.guidance.wording import WordingOptions, instructions
from routing.phrases import LANGUAGES
from routing.planner import Obstacle, Planner
from routing.profiles import DEFAULT_PROFILE, resolve
from routing.route import Route, build_route, path_summary, route_summary
from routing.tracking import tracking_rules


def plan_route(
    planner: Planner,
    origin: tuple[Any, Any],
    destination: tuple[Any, Any],
    profile: str | None = None,
    overrides: dict[str, Any] | None = None,
    lang: str = LANGUAGES[0],
    obstacles: tuple[Obstacle, ...] = (),
    wording: WordingOptions = WordingOptions(),
    heading_deg: float | None = None,
) -> Route:
    """The route a profile prefers between two lat/lon positions, explained against the shortest walkable one,
    with its spoken instructions in `lang` and the live-tracking rules and phrases a phone needs to guide on its own
    (`Route.tracking`)."""
    name = profile or DEFAULT_PROFILE
    prefs = resolve(name, overrides)
    chosen, shortest = planner.plan(origin, destination, prefs, obstacles)
    route = build_route(planner, chosen, name, prefs)
    summary = route_summary(route)
    route.shortest = summary if shortest.directed == chosen.directed else path_summary(planner, shortest)
    # Blocked edges are avoided; obstacles that only cost extra may still lie on the route and are warned about.
    now = datetime.now(timezone.utc)
    warned = tuple(o for o in obstacles if o.severity != "block" and o.active(now))
    route.maneuvers = build_maneuvers(planner, route, (float(destination[0]), float(destination[1])), heading_deg,
                                      warned)
    return _worded(route, summary, lang, wording)


def reword_route(route: Route, lang: str, wording: WordingOptions = WordingOptions()) -> Route:
    """The same route (path, id, maneuvers) with its explanation, instructions and live phrases in `lang`: the
    instructions keep their indexes, so their ids name the same spots in every language."""
    return _worded(route, route_summary(route), lang, wording)


def _worded(route: Route, summary: dict[str, Any], lang: str, wording: WordingOptions) -> Route:
    """`reword_route` with the route's summary already made (plan_route has it from comparing with the shortest)."""
    return replace(route, explanation=explain(summary, route.shortest, lang),
                   instructions=instructions(route.maneuvers, lang, wording), tracking=tracking_rules(lang))
