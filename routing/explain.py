"""Why this route: compared with the shortest walkable route, how much longer it is and what it avoids."""

from __future__ import annotations

from typing import Any

from routing.guidance.names import street_phrase
from routing.phrases import join, load_table, plural
from routing.route import round_metres


def explain(mine: dict[str, Any], other: dict[str, Any], lang: str) -> dict[str, Any]:
    """Compare the chosen route's summary with the shortest's (`routing.route.route_summary`/`path_summary`):
    differences as data (`extra_m`, `avoids`) and as one or two sentences in `lang`."""
    words = load_table(lang)["explanation"]
    avoids: list[dict[str, Any]] = []
    for street, count in sorted((other["unsignalled"] - mine["unsignalled"]).items()):
        avoids.append({"kind": "unsignalled_crossings", "street": street, "count": count})
    for kind, key in (("big_road_crossings", "big_road_crossings"), ("unknown_crossings", "unknown_crossings"),
                      ("steps", "steps"), ("crossings", "crossings")):
        if other[key] > mine[key]:
            avoids.append({"kind": kind, "count": other[key] - mine[key]})
    rough = round_metres(other["rough_m"] - mine["rough_m"])
    if rough > 0:
        avoids.append({"kind": "rough_surface_m", "count": rough})

    extra = mine["length_m"] - other["length_m"]
    if not avoids and extra < 1:
        sentences = [words["shortest"]]
    else:
        extra_said = round_metres(max(extra, 0.0))
        sentences = [words["longer"].format(extra=extra_said, shortest=round_metres(other["length_m"]))
                     if extra_said > 0 else words["shorter_equal"]]
        if avoids:
            sentences.append(words["avoids"].format(items=join([_item(a, words, lang) for a in avoids], lang)))
    return {
        "shortest_m": round(other["length_m"], 1),
        "extra_m": round(extra, 1),
        "extra_percent": round(100 * extra / other["length_m"], 1) if other["length_m"] else 0.0,
        "avoids": avoids,
        "text": " ".join(sentences),
    }


def _item(avoided: dict[str, Any], words: dict[str, Any], lang: str) -> str:
    kind, count = avoided["kind"], avoided["count"]
    if kind == "unsignalled_crossings":
        if not avoided["street"]:
            return plural(words["unsignalled_unnamed"], count)
        return plural(words["unsignalled"], count, street=street_phrase(avoided["street"], "across", lang))
    table_key = {"big_road_crossings": "big_roads", "rough_surface_m": "rough"}.get(kind, kind)
    return plural(words[table_key], count)
