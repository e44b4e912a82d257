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
OFF_FREE_M = 10.0  # the off-network state counts as "off the route" this far from the route
AWAY_LOOKAHEAD_M = 10.0  # a way "leads away" from the route when this far along it ...
AWAY_GROWTH_M = 4.0  # ... the distance to the route grows by this much
TURN_ROUND = math.log(0.2)  # walkers do turn back, but mostly they go on
NETWORK_SLACK_M = 30.0  # network distances are searched up to the straight distance walkable in dt, plus this
MAX_SPEED_MPS = 3.0
POSITION_SMOOTHING = 0.5  # weight of the newest fix in the smoothed position
DEAD_RECKONING_SMOOTHING = 0.25  # ... when the last one is moved on by the walker's heading and speed
ROUTE_PRIOR = 0.9  # on the first fix, the walker is most likely on the route
LOG_LEAVE, LOG_STAY = math.log(LEAVE_NETWORK), math.log(1 - LEAVE_NETWORK)
FREE_EMISSION = -0.5 * FREE_SIGMAS ** 2 - 0.5 * (FREE_HEADING_DEG / HEADING_SIGMA_DEG) ** 2


@dataclass
class Match:
    """The matcher's belief after a fix: the probability of being off the route, and the likeliest way."""

    off_route: float
    edge: int | None  # None: off the network
    distance_m: float  # from the fix to the likeliest way (0 when off the network)
    position: tuple[float, float]  # the fixes smoothed (metric x/y), moved on by heading and speed when known


class WalkNetwork:
    """The walk graph as adjacency lists for short network searches; built once per graph."""

    def __init__(self, index: EdgeIndex) -> None:
        self.index = index
        self.graph = g = index.graph
        self._neighbours: list[list[tuple[int, float]]] = [[] for _ in range(g.node_count)]
        for u, v, length in zip(g.edge_u.tolist(), g.edge_v.tolist(), g.edge_length.tolist()):
            self._neighbours[u].append((v, length))
            self._neighbours[v].append((u, length))

    def distances_from(self, node: int, limit_m: float) -> dict[int, float]:
        """Network distance from `node` to every node within `limit_m` (Dijkstra, stopped at the limit)."""
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
        emission = np.append(self._emission(found, sigma, heading_deg, speed_mps), FREE_EMISSION)
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
        off = np.array([edge not in self.route_edges and self._leads_away(sx, sy, here, bearing, OFF_WAY_M)
                        for edge, bearing in zip(found.edge.tolist(), found.bearing_deg.tolist())]
                       + [heading is not None and self._leads_away(sx, sy, here, heading, OFF_FREE_M)])
        likeliest = int(np.argmax(belief))
        on_network = likeliest < len(found)
        return Match(off_route=float(probability[off].sum()),
                     edge=int(found.edge[likeliest]) if on_network else None,
                     distance_m=float(found.distance_m[likeliest]) if on_network else 0.0, position=(sx, sy))

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
        from_node: dict[int, dict[int, float]] = {}
        rows = []  # per old state: the log chance of each new state, then of leaving the ways
        scale = TRANSITION_BETA * sigma
        # The ends of each way, (node, metres to it), the one ahead in the walking direction first: for the old
        # states the end they walk towards, for the new ones the end they came in by. Plain Python values once,
        # not per pair of states (this double loop is the matcher's hottest code).
        olds = [(e, o, ahead, _ends(graph, e, o, ahead, towards=True))
                for e, o, ahead in zip(before.edge.tolist(), before.offset_m.tolist(), before.forward.tolist())]
        news = [(e, o, ahead, _ends(graph, e, o, ahead, towards=False))
                for e, o, ahead in zip(found.edge.tolist(), found.offset_m.tolist(), found.forward.tolist())]
        for e1, o1, ahead1, ends1 in olds:
            row = []
            for e2, o2, ahead2, ends2 in news:
                if e1 == e2:
                    walked, on = abs(o2 - o1), ahead1 == ahead2
                else:
                    # Entering the next way at its end behind (in its walking direction) goes on; every other
                    # way through turns round on the way.
                    walked, on = math.inf, False
                    for k, (node1, to1) in enumerate(ends1):
                        if node1 not in from_node:
                            from_node[node1] = self.network.distances_from(node1, limit)
                        reach = from_node[node1]
                        for m, (node2, to2) in enumerate(ends2):
                            through = to1 + reach.get(node2, math.inf) + to2
                            if through < walked:
                                walked, on = through, k == 0 and m == 0
                row.append(-abs(walked - straight) / scale + (0.0 if on else TURN_ROUND) if math.isfinite(walked)
                           else -math.inf)
            rows.append(row + [LOG_LEAVE])
        rows.append([LOG_LEAVE] * len(news) + [LOG_STAY])
        transition = np.array(rows)
        return _logsumexp(belief[:, None] + transition, axis=0)

    def _leads_away(self, x: float, y: float, here: float, direction: float, beside_m: float) -> bool:
        """Whether a point `here` metres from the route lies more than `beside_m` from it and going on in
        `direction` leads away from it. A way alongside the route (the other sidewalk) is not a wrong turn; one
        that leaves it is."""
        if here <= beside_m:
            return False
        return self.distance_to_route(x + AWAY_LOOKAHEAD_M * math.sin(math.radians(direction)),
                                      y + AWAY_LOOKAHEAD_M * math.cos(math.radians(direction))) - here >= AWAY_GROWTH_M


def _ends(graph: WalkGraph, edge: int, offset_m: float, ahead: bool, towards: bool
          ) -> tuple[tuple[int, float], tuple[int, float]]:
    """A state's two ends of its way as (node, metres to it): first the end it walks towards (`towards`), or the
    end it came in by."""
    to_v = (int(graph.edge_v[edge]), float(graph.edge_length[edge]) - offset_m)
    to_u = (int(graph.edge_u[edge]), offset_m)
    first_v = ahead if towards else not ahead
    return (to_v, to_u) if first_v else (to_u, to_v)


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
    top = np.max(values, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    total = np.log(np.sum(np.exp(values - top), axis=axis, keepdims=True)) + top
    return total.item() if axis is None else np.squeeze(total, axis=axis)
