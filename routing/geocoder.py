"""Offline destination search over the loaded map: addresses, streets, stops, shops and named places.

Built once from the walk graph. Each entry is found by the words of its name: every word of the query must be the
start of a word of the entry ("fackel 12" finds "Fackelstraße 12"); umlauts, ß and "Str." are folded so a
screen-reader user may type either spelling. Exact and whole-word matches rank first, then nearer places.

A region of several towns (routing.areas) is searched as one; each place carries its town (`area`), so the
Hauptstraße of two towns are two results, not one.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from routing.areas import area_of
from routing.graph import WalkGraph
from routing.guidance.names import expand_abbreviations

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_WORD = re.compile(r"[0-9]+[a-z]?|[a-z]+")
_PREFIX = 2  # entries are indexed by the first letter and the first two letters of each word
MAX_QUERY_CHARS = 100
# Kinds that a walker more often means, when names tie: an address or a stop before a shop of that name.
_KIND_ORDER = {"address": 0, "street": 1, "bus_stop": 2, "station": 2}


def fold(text: str) -> list[str]:
    """The search words of a text: abbreviations written out ("Hbf"), lower case, umlauts and ß spelt out, accents
    dropped, "str" as "strasse"."""
    if not text.strip():
        return []
    text = expand_abbreviations(text, "de").lower().translate(_FOLD)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"str\b\.?", "strasse", text)
    return _WORD.findall(text)


@dataclass(frozen=True)
class Place:
    """A search result."""

    id: str
    name: str
    kind: str  # address, street, or a landmark kind (bus_stop, pharmacy, shop, theatre, ...)
    lat: float
    lon: float
    area: str | None = None  # the town of a region it lies in (None with a single map)


class Geocoder:
    """Search the places of one walk graph."""

    def __init__(self, graph: WalkGraph) -> None:
        self.places: list[Place] = []
        self._words: list[tuple[str, ...]] = []
        areas = graph.meta.get("areas") or []
        town = (lambda lat, lon: area_of(areas, lat, lon)) if len(areas) > 1 else (lambda lat, lon: None)
        for i in range(len(graph.address_lat)):
            street = graph.texts["address_street"][graph.address_street[i]]
            number = graph.texts["address_number"][graph.address_number[i]]
            lat, lon = float(graph.address_lat[i]), float(graph.address_lon[i])
            self._add(Place(f"address/{i}", f"{street} {number}", "address", lat, lon, town(lat, lon)))
        for i in range(len(graph.landmark_lat)):
            name = graph.texts["landmark_name"][graph.landmark_name[i]]
            if name:
                lat, lon = float(graph.landmark_lat[i]), float(graph.landmark_lon[i])
                self._add(Place(f"place/{int(graph.landmark_osm_id[i])}", name,
                                graph.texts["landmark_kind"][graph.landmark_kind[i]], lat, lon, town(lat, lon)))
        for (name, area), (lat, lon) in _streets(graph, town).items():
            self._add(Place(f"street/{area}/{name}" if area else f"street/{name}", name, "street", lat, lon, area))
        self._lat = np.array([place.lat for place in self.places])
        self._lon = np.array([place.lon for place in self.places])
        self._index: dict[str, list[int]] = defaultdict(list)
        for number, words in enumerate(self._words):
            for prefix in {word[:length] for word in words for length in range(1, _PREFIX + 1)}:
                self._index[prefix].append(number)

    def _add(self, place: Place) -> None:
        self.places.append(place)
        self._words.append(tuple(fold(place.name)))

    def search(self, query: str, near: tuple[float, float] | None = None, limit: int = 8) -> list[Place]:
        """The best matches for a query, nearest first among equally good ones when `near` (lat, lon) is given."""
        words = fold(query[:MAX_QUERY_CHARS])
        if not words:
            return []
        candidates = set(self._index.get(words[0][:_PREFIX], ()))
        for word in words[1:]:
            candidates &= set(self._index.get(word[:_PREFIX], ()))
        scored = []
        for number in candidates:
            entry = self._words[number]
            if not all(any(part.startswith(word) for part in entry) for word in words):
                continue
            whole = sum(word in entry for word in words)
            exact = entry == tuple(words)
            scored.append((not exact, -whole, len(entry), _KIND_ORDER.get(self.places[number].kind, 3), number))
        scored.sort()
        if near is not None and scored:
            # Among the leading group of equal quality, nearer first.
            lat, lon = near
            distance = np.hypot(self._lat - lat, (self._lon - lon) * math.cos(math.radians(lat)))
            scored.sort(key=lambda key: (key[:3], float(distance[key[4]])))
        found: list[Place] = []
        seen: set[tuple[str, str, str | None]] = set()
        for key in scored:
            place = self.places[key[4]]
            if (place.name, place.kind, place.area) not in seen:  # one of several stops or entrances of the same name
                seen.add((place.name, place.kind, place.area))
                found.append(place)
                if len(found) == limit:
                    break
        return found


def _streets(graph: WalkGraph, town: Callable[[float, float], str | None]) -> dict[tuple[str, str | None], tuple[float, float]]:
    """Each named way's name once per town (`town(lat, lon)`), at the middle of its longest edge there."""
    best: dict[tuple[str, str | None], tuple[float, int]] = {}
    names = graph.texts["name"]
    for edge, way in enumerate(graph.edge_way.tolist()):
        name = names[graph.way_columns["name"][way]]
        if not name:
            continue
        u = int(graph.edge_u[edge])
        key = (name, town(float(graph.node_lat[u]), float(graph.node_lon[u])))
        length = float(graph.edge_length[edge])
        if key not in best or length > best[key][0]:
            best[key] = (length, edge)
    streets = {}
    for key, (_, edge) in best.items():
        middle = (int(graph.geom_offsets[edge]) + int(graph.geom_offsets[edge + 1]) - 1) // 2
        streets[key] = (float(graph.geom_lat[middle]), float(graph.geom_lon[middle]))
    return streets
