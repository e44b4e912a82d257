"""Live tracking: match a walker's noisy fixes to their route and decide what to say, and when.

Plain domain logic with no network or clock of its own: every timing decision uses the fixes' timestamps, so a
recorded walk replays faster than real time. The web layer feeds fixes in and sends the events out.

Rules (see docs/protocol.md):
- Each fix is matched to the route, not to the nearest street of the city: to the best segment in a window
  around the current progress, judged by distance and heading; progress only moves forward, unless the walker
  really turns back (two fixes in a row well behind).
- Each instruction is said once early ("prepare", 30 to 45 m ahead, more at higher speed) and once at the spot
  ("now", a few metres before); landmarks are "info" when passed; warnings are said early as "warning".
- Off route: when the map matcher (routing.matching: the ways near each fix, not only the route) is sure enough
  that the walker is on a way that leaves the route, or away from all ways and heading away (a wrong street is told
  within seconds); or when the distance to the route (smoothed over the last fixes, so one noisy fix neither raises
  nor cancels it) stays beyond max(25 m, 2 x accuracy) for two fixes and 5 s. An episode ends only when the walker
  is clearly back, a margin inside the threshold. The walker hears where the route lies (clock face).
- Arrival: within 10 m of the end (or the accuracy radius, if larger) while on the route. Fixes after arrival
  get an arrived progress and nothing is said again.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

import numpy as np

from routing import settings
from routing.guidance.maneuvers import clock, compass
from routing.guidance.names import street_phrase
from routing.guidance.wording import Instruction, WordingOptions, say_distance
from routing.matching import MIN_HEADING_SPEED_MPS, MapMatcher, WalkNetwork
from routing.phrases import load_table
from routing.route import instruction_id

OFF_ROUTE_MIN_M = 25.0
OFF_ROUTE_ACCURACY_FACTOR = 2.0  # off the route means farther than this many times the fix's accuracy (or the minimum)
OFF_ROUTE_FIXES = 2
OFF_ROUTE_SECONDS = 5.0
OFF_ROUTE_SMOOTHING = 0.5  # weight of the newest fix in the smoothed distance from the route
# The map matcher's belief that the walker is off the route, smoothed over the last fixes (weight of the newest),
# from this level on is a wrong turn. Tuned on simulated walks with 8 m noise: no false alarm, most wrong streets
# told within 10 s.
OFF_BELIEF_SMOOTHING = 0.5
OFF_BELIEF = 0.8
OFF_ROUTE_MARGIN_M = 5.0  # back on the route means this far (or half the accuracy) inside the threshold
ARRIVAL_M = 10.0
TURN_BACK_M = 25.0  # this far behind the progress, twice in a row, means the walker really turned back
WRONG_WAY_DEG = 120.0  # a heading this far from the route's first direction is "facing the wrong way"
WRONG_WAY_LOOKAHEAD_M = 15.0  # the route's first direction: over this many metres
MAX_ACCURACY_M = 500.0
SPEED_LIMITS_MPS = (0.3, 3.0)  # a fix's speed is kept within these, so one wild value cannot stretch the distances
ANNOUNCE_ACCURACY_CAP_M = 20.0  # at most this much of a fix's uncertainty moves "now" earlier
# Instructions said only once, when passed, as background information.
INFO_TYPES = frozenset({"landmark"})
PHASES = ("prepare", "now", "turn_around")


@dataclass(frozen=True)
class AheadRule:
    """How far before an instruction something is said, growing with the walker's speed: `fixed_m` plus `seconds`
    of walking, kept within `min_m` to `max_m`; then `lag_s` more seconds of walking (the metres walked until the
    next fix) and `accuracy_share` of the fix's uncertainty, so a lagging estimate never says it too late."""

    fixed_m: float
    seconds: float
    min_m: float
    max_m: float
    lag_s: float = 0.0
    accuracy_share: float = 0.0

    def metres(self, speed_mps: float, accuracy_m: float = 0.0) -> float:
        ahead = min(max(self.fixed_m + self.seconds * speed_mps, self.min_m), self.max_m)
        return ahead + self.lag_s * speed_mps + self.accuracy_share * accuracy_m


PREPARE = AheadRule(fixed_m=15.0, seconds=15.0, min_m=30.0, max_m=45.0)  # 30 m at 1 m/s and below, up to 45 m
NOW = AheadRule(fixed_m=0.0, seconds=3.0, min_m=3.0, max_m=8.0, lag_s=1.0, accuracy_share=0.5)


@cache
def tracking_rules(lang: str) -> dict[str, Any]:
    """The thresholds and live phrases of this module, JSON-ready, for a phone that guides on its own while the
    connection is down: the same numbers and words the server uses, so the phone restates neither. One dict per
    language, shared by every route (as `Route.preferences` is): read only."""
    return {
        "prepare": asdict(PREPARE),
        "now": asdict(NOW),
        "speed_mps": {"default": settings.WALKING_SPEED_MPS, "min": SPEED_LIMITS_MPS[0], "max": SPEED_LIMITS_MPS[1]},
        "accuracy_cap_m": ANNOUNCE_ACCURACY_CAP_M,
        "off_route": {"min_m": OFF_ROUTE_MIN_M, "accuracy_factor": OFF_ROUTE_ACCURACY_FACTOR},
        "arrival_m": ARRIVAL_M,
        "turn_back_m": TURN_BACK_M,
        "info_types": sorted(INFO_TYPES),
        "phrases": copy.deepcopy(load_table(lang)["live"]),
    }


@dataclass
class Fix:
    """One position from the phone; timestamp in milliseconds since the epoch."""

    lat: float
    lon: float
    accuracy_m: float
    timestamp_ms: float
    heading_deg: float | None = None
    speed_mps: float | None = None


@dataclass
class Announcement:
    """Something to say: `kind` is prepare, now, info or warning; `index` is the instruction's; `phase` says which
    of its announcements this is (prepare, now, or turn_around for the hint at the start)."""

    kind: str
    index: int
    text: str
    phase: str = "now"


def announcement_id(route_id: str, index: int, phase: str) -> str:
    """The stable id of one announcement of an instruction, e.g. `3fa2…-4:prepare`."""
    return f"{instruction_id(route_id, index)}:{phase}"


def parse_announcement_id(route_id: str, said: str) -> tuple[int, str] | None:
    """(index, phase) of an announcement id of this route; None for another route's or a malformed id."""
    head, _, phase = said.rpartition(":")
    prefix = instruction_id(route_id, 0).removesuffix("0")
    if not head.startswith(prefix) or not head[len(prefix):].isdigit() or phase not in PHASES:
        return None
    return int(head[len(prefix):]), phase


@dataclass
class Progress:
    remaining_m: float
    next_maneuver_m: float | None
    on_route: bool
    arrived: bool = False


@dataclass
class Update:
    """What a fix produced, in the order to send it."""

    announcements: list[Announcement] = field(default_factory=list)
    progress: Progress | None = None
    off_route: str | None = None  # the text to say when the walker has just been found off the route
    arrived: str | None = None


@dataclass
class _Geometry:
    x: np.ndarray  # route points, metres
    y: np.ndarray
    along: np.ndarray  # metres from the start at each point
    length: float

    def __post_init__(self) -> None:
        # Each segment's vector and squared length, and the along-distance it covers: every fix measures its
        # distance to every segment (several times with the map matcher), so these are worked out once per route.
        self.x0, self.y0, self.along0 = self.x[:-1], self.y[:-1], self.along[:-1]
        self.dx, self.dy = np.diff(self.x), np.diff(self.y)
        self.length_sq = np.maximum(self.dx * self.dx + self.dy * self.dy, 1e-9)
        self.d_along = np.diff(self.along)
        self.bearing = np.degrees(np.arctan2(self.dx, self.dy)) % 360  # each segment's direction


class GuidanceSession:
    """The guidance state of one walker on one route."""

    def __init__(self, route: Any, instructions: list[Instruction], project: Callable[[Any, Any], tuple[Any, Any]],
                 lang: str, options: WordingOptions = WordingOptions(), network: WalkNetwork | None = None) -> None:
        """`network` (the walk graph near the route) lets wrong turns be found by map matching within seconds;
        without it only the distance from the route tells."""
        self.lang = lang
        self.options = options
        self.project = project
        self.paused = False
        self.arrived = False
        self.last_text: str | None = None
        self.matcher: MapMatcher | None = None
        self._set_route(route, instructions)
        if network is not None:
            self.matcher = MapMatcher(network, self._route_edges(), self.distance_to_route)

    # ----------------------------------------------------------------------------------------- route
    def _set_route(self, route: Any, instructions: list[Instruction]) -> None:
        self.route = route
        self.instructions = instructions
        xs, ys = self.project(route.lat, route.lon)
        xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
        along = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(xs), np.diff(ys)))])
        # Instruction distances come from the graph's edge lengths; scale the drawn line to agree with them.
        scale = route.distance_m / along[-1] if along[-1] > 0 else 1.0
        self.geometry = _Geometry(xs, ys, along * scale, float(route.distance_m))
        self.progress_m = 0.0
        self.announced: set[tuple[int, str]] = set()
        self._behind = 0
        self._off_since: float | None = None
        self._off_count = 0
        self._off_reported = False
        self.last_fix: Fix | None = None
        self._speed = settings.WALKING_SPEED_MPS
        self._accuracy = 0.0
        self._smoothed: float | None = None
        self._off_belief = 0.0  # the map matcher's belief that the walker is off the route, smoothed
        self._checked_direction = False
        if self.matcher is not None:
            self.matcher.set_route(self._route_edges(), self.distance_to_route)

    def _route_edges(self) -> list[int]:
        return [piece.edge for piece in self.route.edges]

    def reroute(self, route: Any, instructions: list[Instruction]) -> str:
        """Continue on a new route (after going off route); returns what to say."""
        self._set_route(route, instructions)
        first = instructions[0].text if instructions else ""
        return self.phrase("rerouted", first=first)

    def start(self) -> list[Announcement]:
        """What is said on starting: the departure, and whatever comes within the first few metres."""
        said = [Announcement("now", 0, self.instructions[0].text)]
        self.announced.add((0, "now"))
        for index, instruction in enumerate(self.instructions[1:], start=1):
            if instruction.distance_m > self.now_distance() or instruction.type == "arrive":
                break
            self.announced.add((index, "now"))
            said.append(Announcement("warning" if instruction.type == "warning" else "now", index, instruction.text))
        self.last_text = said[-1].text
        return said

    def resume(self, progress_m: float, said: set[tuple[int, str]] = frozenset()) -> None:
        """Continue a walk already under way (after the phone lost its connection): nothing before `progress_m` and
        nothing in `said` (index, phase: what the phone has already said) is said again; fixes are matched from
        there."""
        self.progress_m = min(max(progress_m, 0.0), self.geometry.length)
        self.announced |= set(said)
        for index, instruction in enumerate(self.instructions):
            if instruction.distance_m <= self.progress_m + self.now_distance():
                self.announced.add((index, "now"))
        self._checked_direction = True  # the walker is on the way, not at the start facing somewhere

    def resume_replanned(self) -> None:
        """Continue a walk under way on a route planned anew from where the walker is (the server had forgotten the
        old one, so the phone's said ids name none of this route's): the departure is not said again, and neither is
        the early call ("prepare") of an instruction already within prepare distance. The walker was that close to
        it on the old route, so the phone has said it there (online or on its own); its "now" comes at the spot."""
        self.resume(0.0)
        for index, instruction in enumerate(self.instructions):
            if instruction.distance_m > self.prepare_distance():
                break
            self.announced.add((index, "prepare"))

    # ------------------------------------------------------------------------------------------ fixes
    def update(self, fix: Fix) -> Update:
        """Match a fix to the route and return what to say about it."""
        result = Update()
        if self.arrived:  # a fix still in flight, or a second device: answered, nothing said again
            result.progress = Progress(0.0, None, True, arrived=True)
            return result
        dt = (fix.timestamp_ms - self.last_fix.timestamp_ms) / 1000 if self.last_fix else 0.0
        x, y = self.project(fix.lat, fix.lon)
        self._accuracy = min(fix.accuracy_m, ANNOUNCE_ACCURACY_CAP_M)
        along, distance, segment = self._match(x, y, fix, dt)
        threshold = max(OFF_ROUTE_MIN_M, OFF_ROUTE_ACCURACY_FACTOR * fix.accuracy_m)
        # A smoothed distance decides: single noisy fixes neither raise nor cancel an off-route episode.
        self._smoothed = distance if self._smoothed is None else \
            OFF_ROUTE_SMOOTHING * distance + (1 - OFF_ROUTE_SMOOTHING) * self._smoothed
        matched_off = self._matched_off_route(x, y, fix, dt)
        on_route = self._smoothed <= threshold and not matched_off
        if fix.speed_mps is not None and math.isfinite(fix.speed_mps) and fix.speed_mps >= 0:
            self._speed = min(max(fix.speed_mps, SPEED_LIMITS_MPS[0]), SPEED_LIMITS_MPS[1])

        # An off-route episode ends only once clearly back (below the threshold by a margin), so fixes that
        # scatter around the threshold while the walker moves away do not restart the count.
        if not matched_off and self._smoothed < threshold - max(OFF_ROUTE_MARGIN_M, 0.5 * fix.accuracy_m):
            self._off_count, self._off_since, self._off_reported = 0, None, False
        elif not on_route:
            self._off_count += 1
            self._off_since = fix.timestamp_ms if self._off_since is None else self._off_since
            lasted = (fix.timestamp_ms - self._off_since) / 1000
            far = self._off_count >= OFF_ROUTE_FIXES and lasted >= OFF_ROUTE_SECONDS
            if not self._off_reported and (far or matched_off):
                self._off_reported = True
                result.off_route = self._way_back(x, y, fix)
        if on_route:
            self._advance(along, dt, fix.accuracy_m)
            if not self._checked_direction and fix.heading_deg is not None:
                self._checked_direction = True
                wrong = self._wrong_way(fix.heading_deg)
                if wrong is not None:
                    result.announcements.append(Announcement("warning", 0, wrong, "turn_around"))
        self.last_fix = fix

        if on_route and not self.paused:
            result.announcements.extend(self._announcements())
        remaining = max(self.geometry.length - self.progress_m, 0.0)
        if on_route and remaining <= max(ARRIVAL_M, fix.accuracy_m):
            self.arrived = True
            result.arrived = self.instructions[-1].text
            self.last_text = result.arrived
        result.progress = Progress(round(remaining, 1), self._next_maneuver_m(), on_route, self.arrived)
        for announcement in result.announcements:
            self.last_text = announcement.text
        return result

    def _matched_off_route(self, x: float, y: float, fix: Fix, dt: float) -> bool:
        """Whether the map matcher is sure the walker is on another way (or away from all ways) beside the route."""
        if self.matcher is None:
            return False
        match = self.matcher.update(x, y, fix.accuracy_m, fix.heading_deg, fix.speed_mps, dt)
        self._off_belief = OFF_BELIEF_SMOOTHING * match.off_route + (1 - OFF_BELIEF_SMOOTHING) * self._off_belief
        return self._off_belief >= OFF_BELIEF

    @property
    def off_route_belief(self) -> float:
        """The map matcher's belief, as last decided on, that the walker has left the route (0 to 1)."""
        return self._off_belief

    def distance_to_route(self, x: float, y: float) -> float:
        """Metres from a point (metric x/y) to the nearest point of the route."""
        return float(np.min(self._distances(x, y)[0]))

    def _distances(self, x: float, y: float) -> tuple[np.ndarray, np.ndarray]:
        """Distance from a point to each route segment, and the nearest point's along-distance on each."""
        g = self.geometry
        x0, y0, dx, dy = g.x0, g.y0, g.dx, g.dy
        # np.minimum and np.maximum rather than np.clip: the same numbers without np.clip's overhead, on every fix
        t = np.minimum(np.maximum(((x - x0) * dx + (y - y0) * dy) / g.length_sq, 0.0), 1.0)
        return np.hypot(x - (x0 + t * dx), y - (y0 + t * dy)), g.along0 + t * g.d_along

    def _way_back(self, x: float, y: float, fix: Fix) -> str:
        """What to say on leaving the route: calmly, with where the route lies on the clock face when the
        walker's heading is known."""
        if fix.heading_deg is None:
            return self.phrase("off_route")
        distances, along = self._distances(x, y)
        nearest_x, nearest_y = self._point_at(float(along[int(np.argmin(distances))]))
        relative = (math.degrees(math.atan2(nearest_x - x, nearest_y - y)) - fix.heading_deg + 180) % 360 - 180
        side = "ahead" if abs(relative) <= 45 else "behind" if abs(relative) >= 135 else \
            "right" if relative > 0 else "left"
        sides = load_table(self.lang)["live"]["route_side"]
        return self.phrase("off_route_way_back", side=sides[side], clock=clock(relative))

    def _match(self, x: float, y: float, fix: Fix, dt: float) -> tuple[float, float, int]:
        """The best place on the route for a fix: along-distance, distance from the route, segment index."""
        distance, along = self._distances(x, y)
        # Prefer the stretch the walker can have reached: where a route doubles back, a noisy fix is often nearer a
        # later part of it, and jumping there would skip instructions.
        reach = self.progress_m + self._speed * max(dt, 1.0) * 1.5 + 2 * fix.accuracy_m
        score = distance + np.where(along < self.progress_m - TURN_BACK_M, 0.5 * (self.progress_m - along), 0.0)
        score = score + np.where(along > reach, along - reach, 0.0)
        if fix.heading_deg is not None and (fix.speed_mps or 0.0) > MIN_HEADING_SPEED_MPS:
            opposite = np.abs((self.geometry.bearing - fix.heading_deg + 180) % 360 - 180) > 100
            score = score + opposite * 10.0
        best = int(np.argmin(score))
        return float(along[best]), float(distance[best]), best

    def _advance(self, along: float, dt: float, accuracy: float) -> None:
        """Move the progress forward with a simple filter: a noisy fix pulls it only part of the way."""
        if along < self.progress_m - TURN_BACK_M:
            self._behind += 1
            if self._behind >= 2:  # really turned back
                self.progress_m = along
            return
        self._behind = 0
        predicted = self.progress_m + self._speed * max(dt, 0.0)
        weight = min(1.0, 5.0 / max(accuracy, 5.0))
        estimate = predicted + weight * (along - predicted) if dt > 0 else along
        self.progress_m = min(max(self.progress_m, estimate, along - accuracy), self.geometry.length)

    def _wrong_way(self, heading: float) -> str | None:
        """A turn-around hint when the walker faces away from where the route goes over the next metres."""
        relative = (self._route_bearing(WRONG_WAY_LOOKAHEAD_M) - heading + 180) % 360 - 180
        if abs(relative) < WRONG_WAY_DEG:
            return None
        return self.phrase("turn_around", clock=clock(relative))

    # ----------------------------------------------------------------------------------- announcing
    def prepare_distance(self) -> float:
        """How far ahead "prepare" is said at the walker's speed (`PREPARE`)."""
        return PREPARE.metres(self._speed)

    def now_distance(self) -> float:
        """How far ahead "now" is said at the walker's speed and the fix's uncertainty (`NOW`)."""
        return NOW.metres(self._speed, self._accuracy)

    def _announcements(self) -> list[Announcement]:
        said = []
        prepare, now = self.prepare_distance(), self.now_distance()
        for index, instruction in enumerate(self.instructions):
            if index == 0 or instruction.type == "arrive":
                continue
            ahead = instruction.distance_m - self.progress_m
            if ahead > prepare:
                break
            if ahead < -2 * now:  # passed long ago (a jump of the fix): saying it now would mislead
                self.announced.add((index, "now"))
                continue
            if instruction.type in INFO_TYPES:
                if ahead <= now and (index, "now") not in self.announced:
                    self.announced.add((index, "now"))
                    said.append(Announcement("info", index, instruction.text))
                continue
            if ahead > now and (index, "prepare") not in self.announced and (index, "now") not in self.announced:
                self.announced.add((index, "prepare"))
                kind = "warning" if instruction.type == "warning" else "prepare"
                text = self.phrase("prepare", distance=self._distance(ahead, "in"), text=instruction.text)
                said.append(Announcement(kind, index, text, "prepare"))
            elif ahead <= now and (index, "now") not in self.announced:
                self.announced.add((index, "now"))
                kind = "warning" if instruction.type == "warning" else "now"
                said.append(Announcement(kind, index, instruction.text))
        return said

    def _next_maneuver_m(self) -> float | None:
        for index, instruction in enumerate(self.instructions):
            if index and instruction.type not in INFO_TYPES and instruction.distance_m > self.progress_m:
                return round(instruction.distance_m - self.progress_m, 1)
        return None

    # -------------------------------------------------------------------------------------- requests
    def where_am_i(self, fix: Fix | None = None) -> str:
        """Current street, last junction or landmark passed, direction, and distances ahead."""
        route = self.route
        piece = next((e for e in reversed(route.edges) if e.start_m <= self.progress_m), route.edges[0])
        street = street_phrase(piece.name, "on", self.lang) if piece.name else self._way_phrase(piece.highway)
        heading = fix.heading_deg if fix and fix.heading_deg is not None else self._route_bearing()
        parts = [self.phrase("where_street", street=street, direction=self.phrase(f"compass_{compass(heading)}"))]
        passed = [i for i in self.instructions[1:] if i.distance_m <= self.progress_m and i.type in ("landmark", "cross", "driveways", "turn")]
        if passed:
            parts.append(self.phrase("where_last", text=passed[-1].text))
        next_m = self._next_maneuver_m()
        if next_m is not None:
            parts.append(self.phrase("where_next", distance=self._distance(next_m, "in")))
        parts.append(self.phrase("where_destination", distance=self._distance(self.geometry.length - self.progress_m)))
        return " ".join(parts)

    def _route_bearing(self, ahead_m: float = 0.0) -> float:
        """Direction of the route from the progress point to `ahead_m` metres further (or over the last metres)."""
        g = self.geometry
        start = self.progress_m if ahead_m else max(self.progress_m - 10.0, 0.0)
        end = min(self.progress_m + max(ahead_m, 1.0), g.length)
        (x0, y0), (x1, y1) = self._point_at(start), self._point_at(max(end, start + 0.1))
        return math.degrees(math.atan2(x1 - x0, y1 - y0)) % 360

    def _point_at(self, distance: float) -> tuple[float, float]:
        g = self.geometry
        return float(np.interp(distance, g.along, g.x)), float(np.interp(distance, g.along, g.y))

    # ------------------------------------------------------------------------------------------ words
    def phrase(self, key: str, **slots: object) -> str:
        """A live-guidance phrase in the session's language."""
        text = load_table(self.lang)["live"][key].format(**slots)
        return text[:1].upper() + text[1:]

    def _way_phrase(self, highway: str) -> str:
        ways = load_table(self.lang)["live"]["ways_on"]
        return ways.get(highway, ways["other"])

    def _distance(self, metres: float, form: str = "plain") -> str:
        return say_distance(metres, self.lang, self.options, form)
