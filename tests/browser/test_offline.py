"""Robustness: guidance goes on without network, from the route kept on the phone, and the server takes over again."""

from __future__ import annotations

import json
import re

import requests
from simple_websocket import Client

from tests.browser.helpers import choose_destination, plan, route_points, said, wait_said, walk

# Sent instead of the server's rules: "prepare" at a fixed 80 m (the server says it 30 to 45 m ahead), and an
# early announcement worded differently, so what the phone says can only come from what the route carried.
WIDE_PREPARE = {"fixed_m": 80.0, "seconds": 0.0, "min_m": 80.0, "max_m": 80.0, "lag_s": 0.0, "accuracy_share": 0.0}
MARKED_PREPARE = "{distance} vorbereiten: {text}"


def _said_texts(page, since: int = 0) -> list[dict]:
    return said(page)[since:]


def _guide_online(page) -> tuple[dict, list]:
    """Plan to the destination, start guidance, wait for the departure and the server; the route and its points."""
    choose_destination(page)
    route = plan(page)
    page.click("#start-guidance")
    wait_said(page, route["instructions"][0]["text"], politeness="assertive")
    page.wait_for_function("document.getElementById('connection').textContent.startsWith('Verbunden')")
    return route, route_points(route)


def test_guidance_continues_offline_and_resumes_online(open_app):
    page = open_app("de", service_workers="allow")
    route, points = _guide_online(page)
    offline_from, online_from = int(len(points) * 0.3), int(len(points) * 0.75)
    walk(page, points[:offline_from])

    # The connection drops: said at once, shown, and the device goes on guiding from the route it holds.
    page.context.set_offline(True)
    wait_said(page, "Offline – Führung läuft auf dem Gerät weiter", politeness="assertive")
    assert page.get_attribute("#connection", "data-state") == "offline"
    assert page.inner_text("#connection") == "Offline – Führung läuft auf dem Gerät weiter"
    offline_at = len(said(page))
    walk(page, points[offline_from:online_from])
    device = [s["text"] for s in _said_texts(page, offline_at)]
    # The maneuvers between the two positions were announced by distance ("In 30 Metern: …") and at the spot.
    reached = points[online_from - 1][2]
    expected = [i for i in route["instructions"][1:]
                if points[offline_from][2] + 10 < i["distance_m"] < reached - 10 and i["type"] not in ("arrive",)]
    assert expected, "the offline stretch should contain at least one instruction"
    for instruction in expected:
        assert instruction["text"] in device, (instruction["text"], device)
    for instruction in expected:
        if instruction["type"] != "landmark" and instruction["distance_m"] > points[offline_from][2] + 40:
            # Far enough from where the network dropped to be prepared on the device, too.
            assert any(text.startswith("In ") and text.endswith(instruction["text"]) for text in device), device

    # "Where am I?" works offline too.
    page.click("#btn-where")
    wait_said(page, "Offline. ")

    # The network returns: the server session is resumed, and it guides to the arrival.
    page.context.set_offline(False)
    online_at = len(said(page))
    wait_said(page, "Wieder online", timeout=20_000)
    page.wait_for_function("document.getElementById('connection').dataset.state === 'online'")
    walk(page, points[online_from:])
    wait_said(page, route["instructions"][-1]["text"], politeness="assertive")
    # Nothing the device said offline is said again once the server guides (the phone sent what it had said).
    texts = [i["text"] for i in route["instructions"]]
    again = [s["text"] for s in _said_texts(page, online_at)]
    assert not [i["text"] for i in expected if texts.count(i["text"]) == 1 and i["text"] in again], again
    assert not page.errors


def test_a_walk_resumes_after_the_server_forgot_its_route(open_app, live_server):
    page = open_app("de")
    route, points = _guide_online(page)
    walk(page, points[: len(points) // 3])
    page.context.set_offline(True)
    wait_said(page, "Offline – Führung läuft auf dem Gerät weiter", politeness="assertive")

    # Meanwhile a flood of routes from the walker's own address evicts the route from the server's store.
    forget_by_flood(live_server, route)

    # Back online the phone's start carries the destination: the server plans on from the walker, the walk goes on.
    page.context.set_offline(False)
    online_at = len(said(page))
    wait_said(page, "Wieder online", timeout=20_000)
    page.wait_for_function("document.getElementById('connection').dataset.state === 'online'")
    walk(page, points[len(points) // 3:])
    wait_said(page, route["instructions"][-1]["text"], politeness="assertive")
    texts = [s["text"] for s in _said_texts(page, online_at)]
    assert route["instructions"][0]["text"] not in texts  # the departure is not said again
    assert not [text for text in texts if "Fehler" in text or "nicht mehr bekannt" in text], texts
    assert not page.errors


def test_app_shell_is_cached_and_a_guidance_survives_a_reload_offline(open_app):
    page = open_app("en", service_workers="allow")
    page.wait_for_function("navigator.serviceWorker.controller !== null || navigator.serviceWorker.ready.then(() => true)")
    page.evaluate("navigator.serviceWorker.ready")
    cached = page.evaluate("""async () => {
        const names = ['/', '/static/js/app.js', '/static/js/guidance.js', '/static/app.css', '/static/i18n/en.json',
                       '/static/i18n/de.json', '/manifest.webmanifest', '/static/icons/icon-192.png'];
        const found = await Promise.all(names.map(n => caches.match(n).then(r => !!r)));
        return Object.fromEntries(names.map((n, i) => [n, found[i]]));
    }""")
    assert all(cached.values()), cached

    choose_destination(page)
    route = plan(page)
    page.click("#start-guidance")
    wait_said(page, route["instructions"][0]["text"], politeness="assertive")
    points = route_points(route)
    walk(page, points[: len(points) // 4])

    # Offline, the page is reloaded (the app shell comes from the cache) and the guidance is offered again.
    page.context.set_offline(True)
    page.reload()
    page.wait_for_selector("#resume-box:not([hidden])")
    assert "Pfalztheater" in page.inner_text("#resume-text")
    page.click("#resume-guidance")
    page.wait_for_selector("#screen-guide:not([hidden])")
    wait_said(page, "Offline – guidance continues on the device")
    walk(page, points[len(points) // 4:])
    wait_said(page, route["instructions"][-1]["text"], politeness="assertive")


def test_the_device_announces_by_the_rules_sent_with_the_route(open_app):
    page = open_app("de")

    def widen(request_route):
        response = request_route.fetch()
        body = response.json()
        body["tracking"]["prepare"] = WIDE_PREPARE
        body["tracking"]["phrases"]["prepare"] = MARKED_PREPARE
        request_route.fulfill(response=response, body=json.dumps(body))

    page.route("**/api/route", widen)
    choose_destination(page)
    route = plan(page)
    assert route["tracking"]["prepare"] == WIDE_PREPARE

    # Without network from the start, the device guides alone, by the rules the route carried.
    page.context.set_offline(True)
    page.click("#start-guidance")
    wait_said(page, "Offline – Führung läuft auf dem Gerät weiter", politeness="assertive")
    points = route_points(route)
    walk(page, points[: len(points) // 2])
    texts = [s["text"] for s in said(page)]
    prepared = [re.fullmatch(r"In (\d+) Metern vorbereiten: (.*)", text) for text in texts]
    prepared = {match.group(2): int(match.group(1)) for match in prepared if match}
    reached = points[len(points) // 2 - 1][2]
    expected = [i for i in route["instructions"][1:] if 100 < i["distance_m"] < reached
                and i["type"] not in ("landmark", "arrive")]
    assert expected, "the walked half should contain an instruction more than 100 m from the start"
    for instruction in expected:
        # Said about 80 m ahead (distances are said in 5 m steps), where the server's rules would say 30 to 45 m.
        assert prepared.get(instruction["text"], 0) >= 70, (instruction["text"], texts)
    assert not any(text.startswith("In ") and ": " in text and "vorbereiten" not in text for text in texts), texts
    assert not page.errors


def test_a_forgotten_route_planned_anew_says_nothing_twice(open_app, live_server):
    """Back online within "prepare" distance of a turn the phone has prepared, on a route the server has forgotten:
    the server plans anew from the walker and does not prepare the turn again (routing.tracking.resume_replanned),
    and the phone counts what it said on the old route as said on the new one (carryOverSaid), so the walker hears
    the turn's "In … Metern" once and its "now" once."""
    page = open_app("de")
    route, points = _guide_online(page)
    steps = [i for i in route["instructions"][1:] if i["type"] not in ("landmark", "arrive")]
    turn = next(i for before, i in zip([route["instructions"][0], *steps], steps, strict=False)
                if i["distance_m"] - before["distance_m"] > 60 and texts_unique(route, i["text"]))
    near = [p for p in points if p[2] <= turn["distance_m"] - 20]
    walk(page, near)
    page.wait_for_function("text => window.__said.some(s => s.text.startsWith('In ') && s.text.endsWith(text))",
                           arg=turn["text"])

    page.context.set_offline(True)
    wait_said(page, "Offline – Führung läuft auf dem Gerät weiter", politeness="assertive")
    forget_by_flood(live_server, route)

    page.context.set_offline(False)
    wait_said(page, "Wieder online", timeout=20_000)
    page.wait_for_function("document.getElementById('connection').dataset.state === 'online'")
    walk(page, points[len(near):])
    wait_said(page, route["instructions"][-1]["text"], politeness="assertive")
    texts = [s["text"] for s in said(page)]
    prepared = [text for text in texts if text.startswith("In ") and text.endswith(turn["text"])]
    assert len(prepared) == 1, texts
    assert texts.count(turn["text"]) == 1, texts
    assert not page.errors


def forget_by_flood(live_server: str, route: dict) -> None:
    """Plan 25 routes from the walker's own address, so the server's store (20 per address) forgets `route`; check
    that a start with its id is now answered `unknown_route`."""
    flood = {"from": route["instructions"][0], "to": route["instructions"][-1]}
    flood = {key: {"lat": value["lat"], "lon": value["lon"]} for key, value in flood.items()}
    for _ in range(25):
        assert requests.post(f"{live_server}/api/route", json=flood, timeout=30).ok
    probe = Client.connect(live_server.replace("http", "ws", 1) + "/ws/guide")
    probe.send(json.dumps({"type": "start", "route_id": route["route_id"]}))
    assert json.loads(probe.receive(timeout=10))["code"] == "unknown_route"
    probe.close()


def texts_unique(route: dict, text: str) -> bool:
    """Whether no other instruction of the route has this text (so counting what was heard counts this one)."""
    return [i["text"] for i in route["instructions"]].count(text) == 1
