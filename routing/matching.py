"""Map matching: which way is the walker on? A small hidden-Markov matcher over the ways near each fix.

Matching a fix only to the route cannot tell a wrong street from GPS noise until the walker is far away. Here the
hidden states are the edges near the fix (from `EdgeIndex.candidates`), each walked in one of its two directions,
plus one "off the network" state (squares, car parks, unmapped ground); as in Newson & Krumm (2009), with directed
states as OSRM's and Valhalla's matchers use them:

- emission: the distance from the fix to the edge, Gaussian with the GPS sigma (the fix's accuracy, at least
  SIGMA_M), and the agreement of the walker's heading with the state's walking direction (walking across a street,
  or backwards along the way just walked, is unlikely when moving);
- transition: the walked distance between the matched points through the network against the straight line between
  the fixes, leaving a way at its end ahead and entering the next at its end behind; turning round costs
  TURN_ROUND. A jump to a parallel sidewalk without a crossing needs a long detour and is all but impossible, a
  turn into a side street at a junction costs nothing. Without directions, a walker who goes straight on where the
  route turns matched as well to the route's last way walked back (the fixes scatter around the junction), and a
  wrong street was told seconds later.

The forward algorithm keeps the probability of each state given all fixes so far; `Match.off_route` is the
probability that the walker is somewhere that is not the route and leads away from it: on an edge that is not the
route's, lies clearly beside it and goes away from it in the walking direction, or off the network, clearly away from
the route and heading away. A way alongside the route (the other sidewalk, a parallel road) is never a wrong turn by
itself: noise puts the walker there all the time.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from routing.graph import WalkGraph
from routing.spatial import Candidates, EdgeIndex

SIGMA_M = 8.0  # GPS noise of a phone in town, the least sigma used for the distance emission
HEADING_SIGMA_DEG = 30.0  # spread of a phone's heading around the direction of the way walked
MIN_HEADING_SPEED_MPS = 0.5  # below this a phone's heading says nothing
TRANSITION_BETA = 1.0  # scale, in sigmas, of |network distance between matches - straight distance between fixes|
CANDIDATE_SIGMAS = 3.5  # edges up to this many sigmas from the fix are candidates
MAX_CANDIDATES = 16
FREE_SIGMAS = 2.5  # the off-network state explains a fix as well as an edge this many sigmas away
FREE_HEADING_DEG = 45.0  # ... whose direction is this far off the heading
LEAVE_NETWORK = 0.03  # chance per fix of stepping off the ways, or back onto them
OFF_WAY_M = 7.0  # an edge not on the route counts as "off the route" where it is this far from the route
# ... or already from OFF_WAY_NEAR_M where the walker's place on that way (the smoothed position moved onto it,
# which takes away the noise across the way) lies OFF_WAY_FOOT_M from the route and the way leads away from there
# too: a wrong street leaving at 40 to 60 degrees gains only about 0.9 m a second on the route, and this counts it
# some 2 s sooner (offroute_bench: 16, 12, 12 walks of 78 told later than 10 s on seeds 0, 1, 2, against 22, 15, 18;
# with OFF_FREE_M at 4 m, 16, 11, 12).
# Without the nearer bound, or with it at 4 m, ways 8 m beside the route that part from it slowly made false alarms.
OFF_WAY_NEAR_M = 5.0
OFF_WAY_FOOT_M = 4.0
# The off-network state counts as "off the route" this far from the route, heading away: nearer than OFF_WAY_M,
# as the heading test keeps a walker on the route out of it (at 10 m, one who walked off across open ground was
# told about 4 s later; at 5 m, on one of offroute_bench's seeds one more walk was told later than 10 s).
OFF_FREE_M = 4.0
AWAY_LOOKAHEAD_M = 10.0  # a way "leads away" from the route when this far along it ...
AWAY_GROWTH_M = 4.0  # ... the distance to the route grows by this much
TURN_ROUND = math.log(0.2)  # walkers do turn back, but mostly they go on
NETWORK_SLACK_M = 30.0  # network distances are searched up to the straight distance walkable in dt, plus this
MAX_SPEED_MPS = 3.0
# Network searches kept for reuse up to this limit: the usual one for a fix a second (MAX_SPEED_MPS + NETWORK_SLACK_M)
# and a few seconds' gap, not the rare long searches after a long silence.
CACHED_SEARCH_M = 60.0
POSITION_SMOOTHING = 0.5  # weight of the newest fix in the smoothed position
# ... when the last one is moved on by the walker's heading and speed: dead reckoning barely lags, so the fixes
# can be averaged longer (0.15 against 0.25: about 2.3 m instead of 3 m of scatter with 8 m noise), and the
# smoothed position crosses OFF_WAY_M sooner after a wrong turn without crossing it more often on the route.
DEAD_RECKONING_SMOOTHING = 0.15
ROUTE_PRIOR = 0.9  # on the first fix, the walker is most likely on the route
LOG_LEAVE, LOG_STAY = math.log(LEAVE_NETWORK), math.log(1 - LEAVE_NETWORK)
FREE_EMISSION = -0.5 * FREE_SIGMAS ** 2 - 0.5 * (FREE_HEADING_DEG / HEADING_SIGMA_DEG) ** 2


@dataclass
class Match:
    """The matcher's belief after a fix: the probability of being off the route, and the likeliest way."""

    off_route: float
    edge: int | None  # None: off the network
    distance_m: float  # from the fix to the likeliest way (0 when off the network)


class WalkNetwork:
    """The walk graph as adjacency lists for short network searches; built once per graph."""

    def __init__(self, index: EdgeIndex) -> None:
        self.index = index
        self.graph = g = index.graph
        self._neighbours: list[list[tuple[int, float]]] = [[] for _ in range(g.node_count)]
        for u, v, length in zip(g.edge_u.tolist(), g.edge_v.tolist(), g.edge_length.tolist()):
            self._neighbours[u].append((v, length))
            self._neighbours[v].append((u, length))
        self._searches: dict[int, tuple[float, dict[int, float]]] = {}  # node: (limit searched, distances)

    def distances_from(self, node: int, limit_m: float) -> dict[int, float]:
        """Network distance from `node` to every node within `limit_m`. Every walker near a node asks for the same
        search, fix after fix, so searches up to CACHED_SEARCH_M are kept (one per node, the farthest asked for)
        and cut down to `limit_m`: Dijkstra's distances do not depend on how far it searched."""
        kept = self._searches.get(node)
        if kept is not None and kept[0] >= limit_m:
            searched, distances = kept
            return distances if searched == limit_m else \
                {there: distance for there, distance in distances.items() if distance <= limit_m}
        distances = self._search(node, limit_m)
        if limit_m <= CACHED_SEARCH_M:
            self._searches[node] = (limit_m, distances)
        return distances

    def _search(self, node: int, limit_m: float) -> dict[int, float]:
        """Dijkstra from `node`, stopped at `limit_m`."""
        neighbours = self._neighbours
        best = {node: 0.0}
        queue = [(0.0, node)]
        while queue:
            distance, here = heapq.heappop(queue)
            if distance > best.get(here, math.inf):
                continue
            for there, length in neighbours[here]:
                reached = distance + length
                if reached <= limit_m and reached < best.get(there, math.inf):
                    best[there] = reached
                    heapq.heappush(queue, (reached, there))
        return best


class MapMatcher:
    """One walker's map matcher; `update` takes each fix in metric x/y."""

    def __init__(self, network: WalkNetwork, route_edges: Iterable[int],
                 distance_to_route: Callable[[float, float], float]) -> None:
        self.network = network
        self._states: _States | None = None
        self._last_fix: tuple[float, float] | None = None
        self._smoothed: tuple[float, float] | None = None
        self._log_belief = np.zeros(0)  # per candidate, then the off-network state last
        self.set_route(route_edges, distance_to_route)

    def set_route(self, route_edges: Iterable[int], distance_to_route: Callable[[float, float], float]) -> None:
        """A new route (after re-planning): the belief about where the walker is stays."""
        self.route_edges = frozenset(int(edge) for edge in route_edges)
        self.distance_to_route = distance_to_route

    def update(self, x: float, y: float, accuracy_m: float, heading_deg: float | None, speed_mps: float | None,
               dt: float) -> Match:
        """Take one fix and return the belief."""
        sigma = max(accuracy_m, SIGMA_M)
        found = self.network.index.candidates(x, y, CANDIDATE_SIGMAS * sigma)
        if len(found) > MAX_CANDIDATES:
            keep = np.argsort(found.distance_m)[:MAX_CANDIDATES]
            found = Candidates(*(getattr(found, name)[keep] for name in Candidates.__dataclass_fields__))
        found = _both_ways(found)
        emission = np.concatenate([self._emission(found, sigma, heading_deg, speed_mps), [FREE_EMISSION]])
        if self._states is None:
            prior = np.where(np.isin(found.edge, list(self.route_edges)), ROUTE_PRIOR, 1 - ROUTE_PRIOR)
            belief = emission + np.log(np.append(prior, LEAVE_NETWORK))
        else:
            straight = math.hypot(x - self._last_fix[0], y - self._last_fix[1])
            belief = emission + self._predicted(found, straight, sigma, dt)
            if not np.isfinite(belief).any():  # nothing reachable (a jump of the fix): start afresh
                belief = emission.copy()
        belief -= _logsumexp(belief)
        self._states, self._log_belief, self._last_fix = found, belief, (x, y)

        probability = np.exp(belief)
        heading = heading_deg if heading_deg is not None and (speed_mps or 0.0) >= MIN_HEADING_SPEED_MPS else None
        sx, sy = self._smoothed = self._smoothed_position(x, y, heading, speed_mps, dt)
        here = self.distance_to_route(sx, sy)  # once: the same smoothed point for every state
        off = np.zeros(len(found) + 1, dtype=bool)
        # Near the route no way leads away from it (`_leads_away`): the states need not be looked at one by one.
        if here > OFF_WAY_NEAR_M:
            off[:-1] = [edge not in self.route_edges and self._leads_away(sx, sy, here, bearing, OFF_WAY_NEAR_M)
                        for edge, bearing in zip(found.edge.tolist(), found.bearing_deg.tolist())]
            if here <= OFF_WAY_M and off.any():
                self._away_on_the_way(found, off[:-1], sx, sy)
        off[-1] = heading is not None and self._leads_away(sx, sy, here, heading, OFF_FREE_M)
        likeliest = int(np.argmax(belief))
        on_network = likeliest < len(found)
        return Match(off_route=float(probability[off].sum()),
                     edge=int(found.edge[likeliest]) if on_network else None,
                     distance_m=float(found.distance_m[likeliest]) if on_network else 0.0)

    def _smoothed_position(self, x: float, y: float, heading_deg: float | None, speed_mps: float | None,
                           dt: float) -> tuple[float, float]:
        """Where the walker is, for telling "beside the route" from "away from it": the fixes smoothed, so the noise
        of one fix along a side street does not flip the verdict. When the walker's heading and speed are known,
        the smoothed position is first moved on by the metres walked since the last fix (dead reckoning), so it
        does not lag behind and can lean more on the fixes before (an alpha filter with known velocity)."""
        if self._smoothed is None:
            return x, y
        old_x, old_y = self._smoothed
        weight = POSITION_SMOOTHING
        if heading_deg is not None and speed_mps is not None and math.isfinite(speed_mps):
            walked = min(speed_mps, MAX_SPEED_MPS) * max(dt, 0.0)
            old_x += walked * math.sin(math.radians(heading_deg))
            old_y += walked * math.cos(math.radians(heading_deg))
            weight = DEAD_RECKONING_SMOOTHING
        return weight * x + (1 - weight) * old_x, weight * y + (1 - weight) * old_y

    # --------------------------------------------------------------------------------------------- model
    @staticmethod
    def _emission(found: _States, sigma: float, heading_deg: float | None, speed_mps: float | None) -> np.ndarray:
        log = -0.5 * (found.distance_m / sigma) ** 2
        if heading_deg is not None and (speed_mps is None or speed_mps >= MIN_HEADING_SPEED_MPS):
            # Each state walks its way in one direction: the angle between it and the heading, 0 to 180 degrees.
            difference = np.abs((found.bearing_deg - heading_deg + 180) % 360 - 180)
            log = log - 0.5 * (difference / HEADING_SIGMA_DEG) ** 2
        return log

    def _predicted(self, found: _States, straight: float, sigma: float, dt: float) -> np.ndarray:
        """log of the probability of reaching each new state from the belief so far."""
        before, belief = self._states, self._log_belief
        limit = MAX_SPEED_MPS * max(dt, 1.0) + NETWORK_SLACK_M
        graph = self.network.graph
        old, new = len(before), len(found)
        # Both ends of each way, (node, metres to it): for the old states first the end they walk towards, then
        # the other; for the new ones first the end they came in by.
        old_nodes, to_old = _ends(graph, before, towards=True)
        new_nodes, to_new = _ends(graph, found, towards=False)
        # Network distances between those ends: one short search from each old end (kept by the network), looked
        # up for each new end; each node once (a way's two states share its ends, near ways share junctions).
        sources, targets = _numbered(old_nodes), _numbered(new_nodes)
        between = np.array([[reach.get(node, math.inf) for node in targets]
                            for reach in (self.network.distances_from(node, limit) for node in sources)],
                           dtype=float).reshape(len(sources), len(targets))
        rows = np.array([sources[node] for node in old_nodes], dtype=np.intp)
        columns = np.array([targets[node] for node in new_nodes], dtype=np.intp)
        through = to_old[:, None] + between[rows[:, None], columns[None, :]] + to_new[None, :]
        # Entering the next way at its end behind (in its walking direction) goes on; every other way through turns
        # round on the way (of equally long ways, going on counts).
        going_on = through[:old, :new]
        turning = np.minimum(np.minimum(through[:old, new:], through[old:, :new]), through[old:, new:])
        walked, on = np.minimum(going_on, turning), going_on <= turning
        same = before.edge[:, None] == found.edge[None, :]  # along one way: the offsets tell
        walked = np.where(same, np.abs(found.offset_m[None, :] - before.offset_m[:, None]), walked)
        on = np.where(same, before.forward[:, None] == found.forward[None, :], on)
        transition = np.empty((old + 1, new + 1))  # the last row and column: off the ways
        transition[:-1, :-1] = -np.abs(walked - straight) / (TRANSITION_BETA * sigma) + np.where(on, 0.0, TURN_ROUND)
        transition[:-1, -1] = transition[-1, :-1] = LOG_LEAVE
        transition[-1, -1] = LOG_STAY
        return _logsumexp(belief[:, None] + transition, axis=0)

    def _away_on_the_way(self, found: _States, leaving: np.ndarray, x: float, y: float) -> None:
        """Of the states in `leaving` (their ways lead away from the route at the smoothed position (x, y)), keep
        only those where that position moved onto the state's way lies OFF_WAY_FOOT_M from the route and the way leads
        on away from there in the state's walking direction (see OFF_WAY_NEAR_M)."""
        states = np.flatnonzero(leaving)
        edges, state_way = np.unique(found.edge[states], return_inverse=True)
        foot_x, foot_y, bearing = self.network.index.nearest_on_edges(edges, x, y)
        foot_distance = [self.distance_to_route(fx, fy) for fx, fy in zip(foot_x.tolist(), foot_y.tolist())]
        for state, way in zip(states.tolist(), state_way.tolist()):
            direction = float(bearing[way]) if found.forward[state] else (float(bearing[way]) + 180) % 360
            leaving[state] = self._leads_away(float(foot_x[way]), float(foot_y[way]), foot_distance[way], direction,
                                              OFF_WAY_FOOT_M)

    def _leads_away(self, x: float, y: float, here: float, direction: float, beside_m: float) -> bool:
        """Whether a point `here` metres from the route lies more than `beside_m` from it and going on in
        `direction` leads away from it. A way alongside the route (the other sidewalk) is not a wrong turn; one
        that leaves it is."""
        if here <= beside_m:
            return False
        return self.distance_to_route(x + AWAY_LOOKAHEAD_M * math.sin(math.radians(direction)),
                                      y + AWAY_LOOKAHEAD_M * math.cos(math.radians(direction))) - here >= AWAY_GROWTH_M


def _ends(graph: WalkGraph, states: _States, towards: bool) -> tuple[list[int], np.ndarray]:
    """Both ends of each state's way, nodes and metres to them: first for every state the end it walks towards
    (`towards`) or the end it came in by, then for every state the other end."""
    u, v = graph.edge_u[states.edge], graph.edge_v[states.edge]
    to_u, to_v = states.offset_m, graph.edge_length[states.edge] - states.offset_m
    first_v = states.forward if towards else ~states.forward
    return (np.concatenate([np.where(first_v, v, u), np.where(first_v, u, v)]).tolist(),
            np.concatenate([np.where(first_v, to_v, to_u), np.where(first_v, to_u, to_v)]))


def _numbered(nodes: list[int]) -> dict[int, int]:
    """Each node once, numbered in order of appearance."""
    return {node: number for number, node in enumerate(dict.fromkeys(nodes))}


@dataclass
class _States:
    """The hidden states on ways: each candidate way twice, walked in its drawing direction (`forward`) and against
    it, with the walking direction (`bearing_deg`)."""

    edge: np.ndarray
    offset_m: np.ndarray
    distance_m: np.ndarray
    bearing_deg: np.ndarray
    forward: np.ndarray

    def __len__(self) -> int:
        return len(self.edge)


def _both_ways(found: Candidates) -> _States:
    twice = [np.concatenate([values, values]) for values in (found.edge, found.offset_m, found.distance_m)]
    return _States(*twice, np.concatenate([found.bearing_deg, (found.bearing_deg + 180) % 360]),
                   np.arange(2 * len(found)) < len(found))


def _logsumexp(values: np.ndarray, axis: int | None = None) -> np.ndarray | float:
    """log(sum(exp(values))) without overflow, of all values or along `axis` (0 or None: on every fix, so the
    arrays' own methods, without np.max's and np.sum's dispatch)."""
    top = values.max(axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    total = np.log(np.exp(values - top).sum(axis=axis, keepdims=True)) + top
    return total.item() if axis is None else total[0]
