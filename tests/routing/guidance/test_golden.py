"""Golden instruction lists of real Kaiserslautern routes, compared exactly (both languages).

The files in golden/ were written by make_golden.py and read aloud before they were checked in. A difference
means the wording, the maneuvers or the route changed: if on purpose, regenerate with
`python tests/routing/guidance/make_golden.py` and read the changed files again.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from routing.guidance.maneuvers import build_maneuvers
from routing.guidance.wording import WordingOptions, instructions
from routing.plan import plan_route

GOLDEN = Path(__file__).resolve().parent / "golden"
FILES = sorted(GOLDEN.glob("*.json"))


def test_enough_golden_routes() -> None:
    routes = {path.name.split(".")[0] for path in FILES}
    assert len(routes) >= 6
    for route in routes:
        assert {path.name for path in FILES if path.name.startswith(f"{route}.")} == {f"{route}.de.json",
                                                                                       f"{route}.en.json"}


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_golden_route(path: Path, guidance_planner) -> None:
    golden = json.loads(path.read_text(encoding="utf-8"))
    origin = (golden["from"]["lat"], golden["from"]["lon"])
    destination = (golden["to"]["lat"], golden["to"]["lon"])
    route = plan_route(guidance_planner, origin, destination, golden["profile"], None, golden["lang"])
    maneuvers = build_maneuvers(guidance_planner, route, destination, golden["heading_deg"])
    texts = [i.text for i in instructions(maneuvers, golden["lang"], WordingOptions(**golden["options"]))]
    assert texts == golden["instructions"]
