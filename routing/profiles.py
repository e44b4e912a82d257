"""Walker profiles: named sets of route preferences that a request may override one by one.

Penalties are in metres of walking a walker would rather add than face the thing once; factors multiply a metre.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from routing import settings
from routing.errors import LotseError
from routing.numbers import finite_number


class PreferenceError(LotseError):
    """An unknown profile, an unknown preference name or a preference value of the wrong kind."""

    code = "bad_preference"


@dataclass(frozen=True)
class Preferences:
    """Everything the planner weighs; see the module docstring for units."""

    steps: str = "use"  # use | avoid | never
    steps_penalty_m: float = 0.0  # per flight of steps when steps == "avoid"
    prefer_handrail: bool = False  # steps without (known) handrail cost extra
    crossing_penalty_m: float = 0.0  # per street crossed, scaled by the street's size and the crossing's control
    prefer_acoustic_signals: bool = False
    prefer_tactile_paving: bool = False
    big_road_weight: float = 1.0  # how much more a big road's crossing costs than a quiet street's (0 = same)
    rough_surface_factor: float = 1.0  # per-metre factor on cobblestone, gravel, unpaved
    shared_bicycle_factor: float = 1.0  # per-metre factor on ways shared with bicycles without separation
    turn_penalty_m: float = 0.0  # per turn (sharper turns cost more)
    street_change_penalty_m: float = 0.0  # per change from one named street or way to another
    unknown: str = "optimistic"  # optimistic: unknown treated as present; cautious: as absent
    max_detour: float = 1.25  # accepted length relative to the shortest walkable route
    walking_speed_mps: float = settings.WALKING_SPEED_MPS


_CHOICES = {"steps": ("use", "avoid", "never"), "unknown": ("optimistic", "cautious")}
_LIMITS = {"max_detour": (1.0, 5.0), "walking_speed_mps": (0.2, 3.0)}
_NUMBER_LIMITS = (0.0, 10_000.0)  # any other number: a penalty in metres or a factor


def preference_choices(key: str) -> tuple[str, ...] | None:
    """The values a named-value preference may take (None for booleans and numbers)."""
    return _CHOICES.get(key)


def preference_limits(key: str) -> tuple[float, float]:
    """The range a numeric preference must lie in."""
    return _LIMITS.get(key, _NUMBER_LIMITS)

PROFILES: dict[str, Preferences] = {
    "blind": Preferences(
        steps="avoid", steps_penalty_m=60, prefer_handrail=True, crossing_penalty_m=40, prefer_acoustic_signals=True,
        prefer_tactile_paving=True, big_road_weight=1.0, rough_surface_factor=1.5, shared_bicycle_factor=1.5,
        turn_penalty_m=15, street_change_penalty_m=10, unknown="cautious", max_detour=1.25, walking_speed_mps=1.0,
    ),
    "guide_dog": Preferences(
        steps="avoid", steps_penalty_m=30, prefer_handrail=False, crossing_penalty_m=30, prefer_acoustic_signals=True,
        prefer_tactile_paving=False, big_road_weight=1.0, rough_surface_factor=1.2, shared_bicycle_factor=1.5,
        turn_penalty_m=8, street_change_penalty_m=5, unknown="cautious", max_detour=1.3, walking_speed_mps=settings.WALKING_SPEED_MPS,
    ),
    "low_vision": Preferences(
        steps="avoid", steps_penalty_m=20, prefer_handrail=True, crossing_penalty_m=25, prefer_acoustic_signals=False,
        prefer_tactile_paving=True, big_road_weight=0.8, rough_surface_factor=1.3, shared_bicycle_factor=1.3,
        turn_penalty_m=8, street_change_penalty_m=5, unknown="optimistic", max_detour=1.3, walking_speed_mps=1.1,
    ),
    "standard": Preferences(
        steps="use", crossing_penalty_m=5, big_road_weight=0.5, turn_penalty_m=2, max_detour=1.1,
        walking_speed_mps=1.3,
    ),
}
DEFAULT_PROFILE = "blind"


def profile_choices() -> dict[str, Any]:
    """The profiles and the named preference values a request may choose, JSON-ready (the web app's settings
    offer these instead of keeping a copy)."""
    return {"names": list(PROFILES), "default": DEFAULT_PROFILE,
            "preferences": {name: list(values) for name, values in _CHOICES.items()}}


def resolve(profile: str | None, overrides: dict[str, Any] | None = None) -> Preferences:
    """The preferences of a profile with a request's overrides applied, each checked by name, kind and range."""
    name = profile or DEFAULT_PROFILE
    if name not in PROFILES:
        raise PreferenceError(f"Unknown profile {name!r}; known: {', '.join(PROFILES)}", name=name)
    if overrides is None:
        return PROFILES[name]
    if not isinstance(overrides, dict):
        raise PreferenceError("prefs must be an object of preference names and values", name="prefs")
    types = {field.name: field.type for field in fields(Preferences)}
    checked: dict[str, Any] = {}
    for key, value in overrides.items():
        if key not in types:
            raise PreferenceError(f"Unknown preference {key!r}; known: {', '.join(types)}", name=key)
        checked[key] = _check_value(key, types[key], value)
    return replace(PROFILES[name], **checked)


def _check_value(key: str, kind: str, value: Any) -> Any:
    if key in _CHOICES:
        if value not in _CHOICES[key]:
            raise PreferenceError(f"{key} must be one of {', '.join(_CHOICES[key])}", name=key)
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise PreferenceError(f"{key} must be true or false", name=key)
        return value
    number = finite_number(value)
    if number is None:
        raise PreferenceError(f"{key} must be a finite number", name=key)
    low, high = preference_limits(key)
    if not low <= number <= high:
        raise PreferenceError(f"{key} must be between {low:g} and {high:g}", name=key)
    return number

