"""Helpers of the browser tests: the live-region recorder's results, destination search, walking along a route with
the browser's geolocation override, axe-core and screenshots."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
AXE_JS = HERE / "vendor" / "axe.min.js"
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
# A start in Kaiserslautern's centre (Am Altenhof) and a destination the geocoder knows.
START = {"latitude": 49.4447, "longitude": 7.7690, "accuracy": 5}
DESTINATION_QUERY = "Pfalzthea"
DESTINATION_NAME = "Pfalztheater"


def said(page: Any) -> list[dict[str, Any]]:
    """Everything the live regions received so far, in order."""
    return page.evaluate("window.__said")


def wait_said(page: Any, text: str, timeout: float = 15_000, politeness: str | None = None) -> None:
    """Wait until a live region received a text containing `text`."""
    page.wait_for_function(
        "([text, politeness]) => window.__said.some(s => s.text.includes(text) && (!politeness || s.politeness === politeness))",
        arg=[text, politeness], timeout=timeout)


def choose_destination(page: Any, query: str = DESTINATION_QUERY) -> None:
    page.fill("#dest-input", query)
    page.wait_for_selector("#dest-list [role=option]")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_selector("#chosen:not([hidden])")


def plan(page: Any) -> dict[str, Any]:
    """Press "Plan route" and return the route the server answered."""
    with page.expect_response("**/api/route") as response:
        page.click("#plan-route")
    page.wait_for_selector("#screen-preview:not([hidden])")
    return response.value.json()


def route_points(route: dict[str, Any], step_m: float = 5.0) -> list[tuple[float, float, float]]:
    """(lat, lon, metres along) every `step_m` along the route's geometry, ending at its last point."""
    coordinates = route["geometry"]["coordinates"]
    points: list[tuple[float, float, float]] = []
    along = 0.0
    for (lon0, lat0), (lon1, lat1) in itertools.pairwise(coordinates):
        length = math.hypot((lon1 - lon0) * 111_320 * math.cos(math.radians(lat0)), (lat1 - lat0) * 111_320)
        count = max(1, int(length // step_m))
        for i in range(count):
            points.append((lat0 + (lat1 - lat0) * i / count, lon0 + (lon1 - lon0) * i / count,
                           along + length * i / count))
        along += length
    points.append((coordinates[-1][1], coordinates[-1][0], along))
    return points


def walk(page: Any, points: list[tuple[float, float, float]], pause_ms: int = 60,
         before_each: Callable[[int], None] | None = None) -> None:
    """Move the browser's geolocation along the points, one fix every `pause_ms`."""
    for i, (lat, lon, _) in enumerate(points):
        if before_each:
            before_each(i)
        page.context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": 5})
        page.wait_for_timeout(pause_ms)


def run_axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations of the WCAG 2.x A/AA rules on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))  # evaluated, not a <script>: the CSP allows none inline
    return page.evaluate("""async () => {
        const result = await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}, resultTypes: ['violations']});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' — ' + n.failureSummary)}));
    }""")


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def focused_id(page: Any) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.id : ''")
