"""The volunteer screens (static/volunteer.html) in a real browser: accounts, reporting an obstacle with the keyboard
only, confirming it as a second volunteer, two volunteers agreeing on a quest, the server's errors read out, and
axe-core on every screen in German and English, light and dark.

The volunteer screens get a server of their own: obstacle reports and accepted quest facts change the routes every
walker gets, so they must not leak into the walker tests that share `live_server`. Its report limit is low, so the
rate limit can be shown without filing thirty reports.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests

from app import create_app
from app.walker.simulate import serve_in_thread
from routing.obstacles import REPORT_TYPES
from tests.browser.conftest import RECORD_ANNOUNCEMENTS
from tests.browser.helpers import REPO, START, focused_id, run_axe, screenshot, wait_said
from tests.conftest import file_database

PASSWORD = "lange genug und sicher"
MESSAGES = {lang: json.loads((REPO / "data" / "messages" / f"{lang}.json").read_text(encoding="utf-8"))
            for lang in ("de", "en")}


@pytest.fixture(scope="module")
def volunteer_server(city_graph, tmp_path_factory) -> Iterator[str]:
    app = create_app({"TESTING": True, "DATABASE_URL": file_database(tmp_path_factory), "RATE_LIMIT_REPORTS": "2/hour",
                      "RATE_LIMIT_REGISTER": "1000/hour",
                      "RATE_LIMIT_LOGIN": "1000/minute", "RATE_LIMIT_LOGIN_IP": "1000/minute",
                      "OVERLAY_REBUILD_INTERVAL_S": 0}, graph=city_graph)
    ws_base, stop = serve_in_thread(app)
    yield "http" + ws_base[len("ws"):]
    stop()
    app.extensions["lotse.db"].engine.dispose()


@pytest.fixture()
def open_volunteer(browser, volunteer_server) -> Iterator[Callable[..., Any]]:
    """open_volunteer(lang, scheme, screen) → the volunteer page in a phone-sized context, geolocation at START."""
    contexts = []

    def open_page(lang: str = "de", scheme: str = "light", screen: str = "account") -> Any:
        context = browser.new_context(
            bypass_csp=True,  # the harness's own probes are inline scripts; the pages' CSP: tests/browser/test_csp.py
            locale="de-DE" if lang == "de" else "en-GB", color_scheme=scheme, reduced_motion="reduce",
            geolocation=START, permissions=["geolocation"], viewport={"width": 412, "height": 915},
            service_workers="block",
        )
        context.set_default_timeout(15_000)
        context.add_init_script(RECORD_ANNOUNCEMENTS)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.goto(f"{volunteer_server}/static/volunteer.html#/{screen}")
        page.wait_for_selector("body[data-ready=true]")
        assert page.evaluate("document.documentElement.lang") == lang
        return page

    yield open_page
    for context in contexts:
        context.close()


# ------------------------------------------------------------------------------------------------ helpers
def api(base: str, path: str, **params: Any) -> dict[str, Any]:
    response = requests.get(base + path, params=params, timeout=10)
    assert response.ok, response.text
    return response.json()


def register(page: Any, name: str) -> None:
    if page.is_hidden("#screen-account"):
        page.click("a[data-screen-link=account]")
    page.fill("#register-name", name)
    page.fill("#register-email", f"{name.lower()}@example.org")
    page.fill("#register-password", PASSWORD)
    page.press("#register-password", "Enter")
    page.wait_for_selector("#whoami[data-state=in]")
    page.wait_for_selector("#screen-report:not([hidden])")


def go(page: Any, screen: str) -> None:
    page.click(f"a[data-screen-link={screen}]")
    page.wait_for_selector(f"#screen-{screen}:not([hidden])")
    assert focused_id(page) == f"h-{screen}"


def message_pattern(lang: str, code: str) -> re.Pattern[str]:
    """The server's message for `code` with any values in its {slots}."""
    parts = re.split(r"\{\w+\}", MESSAGES[lang][code])
    return re.compile(".+?".join(re.escape(part) for part in parts))


def assert_error(page: Any, screen: str, pattern: re.Pattern[str] | str) -> str:
    """The screen's error box shows the text, and the assertive live region received it."""
    box = page.locator(f"#{screen}-error")
    box.wait_for(state="visible")
    text = box.inner_text()
    assert (pattern.fullmatch(text) if isinstance(pattern, re.Pattern) else text == pattern), text
    wait_said(page, text, politeness="assertive")
    return text


def tab_to(page: Any, element_id: str, limit: int = 40) -> None:
    for _ in range(limit):
        if focused_id(page) == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached #{element_id}")


# -------------------------------------------------------------------------------------------------- tests
def test_default_validities_and_texts_agree_with_the_server():
    source = (REPO / "static" / "js" / "volunteer" / "report.js").read_text(encoding="utf-8")
    table = dict(re.findall(r"^\s+(\w+): \{ (\w+: \d+) \},$", source, re.M))
    shown = {name: timedelta(**{unit: int(n) for unit, n in [value.split(": ")]}) for name, value in table.items()}
    assert shown == {name: kind.default_validity for name, kind in REPORT_TYPES.items()}
    texts = {lang: json.loads((REPO / "static" / "i18n" / f"volunteer.{lang}.json").read_text(encoding="utf-8"))
             for lang in ("de", "en")}
    assert texts["de"].keys() == texts["en"].keys()
    assert all(f"type_{name}" in texts["de"] for name in REPORT_TYPES)


def test_the_service_worker_keeps_the_volunteer_page(volunteer_server):
    source = (REPO / "static" / "sw.js").read_text(encoding="utf-8")
    shell = re.findall(r'^  "(/[^"]*)",$', source, re.M)
    mine = [path for path in shell if "volunteer" in path]
    pages = {f"/static/{path.relative_to(REPO / 'static')}" for path in (REPO / "static").rglob("*volunteer*")
             if path.is_file()} | {f"/static/js/volunteer/{path.name}" for path in
                                    (REPO / "static" / "js" / "volunteer").glob("*.js")}
    assert set(mine) == pages
    for path in shell:  # one missing file and the worker never installs
        assert requests.get(volunteer_server + path, timeout=10).status_code == 200, path


def test_register_login_report_by_keyboard_and_a_second_volunteer_confirms(open_volunteer, volunteer_server):
    anna = open_volunteer("de")
    assert anna.inner_text("#whoami") == "Nicht angemeldet"
    register(anna, "Anna")
    assert focused_id(anna) == "h-report"
    assert anna.inner_text("#whoami") == "Angemeldet als Anna"
    wait_said(anna, "Sie sind angemeldet als Anna", politeness="polite")

    # Sign out and in again, through the account screen.
    go(anna, "account")
    assert "anna@example.org" in anna.inner_text("#signed-in-as")
    anna.click("#logout")
    anna.wait_for_selector("#whoami[data-state=out]")
    assert focused_id(anna) == "h-login"
    anna.fill("#login-email", "anna@example.org")
    anna.fill("#login-password", PASSWORD)
    anna.press("#login-password", "Enter")
    anna.wait_for_selector("#screen-report:not([hidden])")
    assert anna.inner_text("#whoami") == "Angemeldet als Anna"

    # File a report with the keyboard alone: the position is prefilled from the device.
    anna.wait_for_function("document.getElementById('report-lat').value !== ''")
    assert abs(float(anna.input_value("#report-lat")) - START["latitude"]) < 1e-5
    assert "30 Tage" in anna.inner_text("label[for=type-construction]")
    assert focused_id(anna) == "h-report"
    anna.keyboard.press("Tab")
    assert focused_id(anna) == "type-construction"
    anna.keyboard.press("Space")
    assert "30 Tage" in anna.inner_text("#report-valid-until-hint")
    anna.keyboard.press("Tab")
    assert focused_id(anna) == "severity-medium"
    anna.keyboard.press("ArrowDown")
    assert anna.is_checked("#severity-high")
    anna.keyboard.press("Tab")
    assert focused_id(anna) == "report-description"
    anna.keyboard.type("Gerüst über den ganzen Gehweg")
    tab_to(anna, "report-submit")
    anna.keyboard.press("Enter")
    anna.wait_for_selector("#report-done:not([hidden])")
    assert focused_id(anna) == "h-report-done"
    wait_said(anna, "Danke! Ihre Meldung „Baustelle“ (Schwere: Hoch)", politeness="polite")
    report_id = int(anna.get_attribute("#report-done", "data-report-id"))

    report = api(volunteer_server, f"/api/reports/{report_id}")["report"]
    assert (report["type"], report["severity"], report["status"]) == ("construction", "high", "new")
    assert report["description"] == "Gerüst über den ganzen Gehweg"
    assert abs(report["lat"] - START["latitude"]) < 5e-4 and abs(report["lon"] - START["longitude"]) < 5e-4
    until = datetime.fromisoformat(report["valid_until"].replace("Z", "+00:00"))
    assert abs(until - datetime.now(timezone.utc) - timedelta(days=30)) < timedelta(minutes=5)

    # A second volunteer, in English and dark mode, confirms it from the nearby list.
    bob = open_volunteer("en", "dark")
    register(bob, "Bob")
    go(bob, "reports")
    card = bob.locator(f'li[data-report-id="{report_id}"]')
    card.wait_for()
    assert card.locator("h2").inner_text() == "Construction site"
    assert re.search(r"Here, less than 5 metres away|about \d+ metres to the (north|south|east|west)",
                     card.inner_text())
    assert card.locator('[data-field="status"]').inner_text() == "New, not confirmed yet"
    group = card.get_by_role("group", name="Is the obstacle still there? Construction site")
    group.get_by_role("button", name="Yes").click()
    bob.wait_for_function(
        f"""document.querySelector('li[data-report-id="{report_id}"] [data-field=status]').textContent
            === 'Confirmed'""")
    wait_said(bob, "Status: Confirmed", politeness="polite")
    assert card.get_by_role("button", name="Yes").get_attribute("aria-pressed") == "true"
    report = api(volunteer_server, f"/api/reports/{report_id}")["report"]
    assert report["status"] == "confirmed" and report["votes"] == {"yes": 1, "no": 0, "unsure": 0}

    # The reporter sees her own report without vote buttons.
    go(anna, "reports")
    own = anna.locator(f'li[data-report-id="{report_id}"]')
    own.wait_for()
    assert "Ihre eigene Meldung" in own.inner_text()
    assert own.locator("button").count() == 0
    assert not anna.errors and not bob.errors


def test_a_quest_answered_alike_by_two_volunteers_is_accepted(open_volunteer, volunteer_server):
    carla = open_volunteer("de", screen="quests")
    register(carla, "Carla")
    go(carla, "quests")
    first = carla.locator("#quest-list li:has(button[data-answer])").first
    first.wait_for()
    quest_id = first.get_attribute("data-quest-id")
    button = first.locator("button[data-answer]").first
    answer = button.get_attribute("data-answer")
    with carla.expect_response("**/api/quests/answer**") as response:
        button.click()
    assert response.value.json() == {"quest": quest_id, "answer": answer, "accepted": False}
    wait_said(carla, "Danke, Ihre Antwort ist gespeichert", politeness="polite")
    assert carla.locator(f'li[data-quest-id="{quest_id}"]').count() == 0
    assert carla.evaluate("document.activeElement.tagName") in ("H1", "H2")  # the next question, or the list

    dora = open_volunteer("en")
    register(dora, "Dora")
    go(dora, "quests")
    same = dora.locator(f'li[data-quest-id="{quest_id}"]')
    same.wait_for()
    with dora.expect_response("**/api/quests/answer**") as response:
        same.locator(f'button[data-answer="{answer}"]').click()
    assert response.value.json()["accepted"] is True
    wait_said(dora, "Two volunteers gave the same answer", politeness="polite")
    nearby = api(volunteer_server, "/api/quests", lat=START["latitude"], lon=START["longitude"], radius=250)
    assert quest_id not in {quest["id"] for quest in nearby["quests"]}
    assert not carla.errors and not dora.errors


def test_errors_are_shown_and_announced_in_plain_words(open_volunteer):
    page = open_volunteer("de")
    # Empty fields are said by the page itself, on the field.
    page.press("#register-name", "Enter")
    assert_error(page, "account", "Bitte geben Sie einen Namen ein.")
    assert focused_id(page) == "register-name"
    # The server refuses a short password: its German message, announced, on the password field.
    page.fill("#register-name", "Emil")
    page.fill("#register-email", "emil@example.org")
    page.fill("#register-password", "kurz")
    page.press("#register-password", "Enter")
    assert_error(page, "account", message_pattern("de", "weak_password"))
    assert focused_id(page) == "register-password"
    assert page.get_attribute("#register-password", "aria-invalid") == "true"
    assert "account-error" in page.get_attribute("#register-password", "aria-describedby")
    page.fill("#register-password", PASSWORD)
    page.press("#register-password", "Enter")
    page.wait_for_selector("#whoami[data-state=in]")
    assert page.is_hidden("#account-error")
    assert page.get_attribute("#register-password", "aria-invalid") is None

    # Switch to English: the server's messages follow.
    page.click("#lang-toggle")
    page.wait_for_function("document.documentElement.lang === 'en'")
    wait_said(page, "Language: English.")
    assert page.inner_text("#h-report") == "Report an obstacle"
    page.wait_for_function("document.getElementById('report-lat').value !== ''")

    # Nothing chosen: said by the page itself, focus on the first choice.
    page.click("#report-submit")
    assert_error(page, "report", "Please choose what is in the way.")
    assert focused_id(page) == "type-construction"

    # No position: the server's message.
    page.check("#type-parked_vehicle")
    page.fill("#report-lat", "")
    page.fill("#report-lon", "")
    page.click("#report-submit")
    assert_error(page, "report", message_pattern("en", "bad_coordinate"))
    assert focused_id(page) == "report-lat"

    # A second report goes through (the limit in this server is two an hour), the third is refused.
    page.click("#use-position")
    wait_said(page, "Current position filled in", politeness="polite")
    page.click("#report-submit")
    page.wait_for_selector("#report-done:not([hidden])")
    assert page.is_hidden("#report-error")
    page.click("#report-another")
    assert focused_id(page) == "type-construction"
    page.check("#type-other")
    page.click("#report-submit")
    text = assert_error(page, "report", message_pattern("en", "rate_limited"))
    assert "Too many requests" in text
    assert not page.errors


SCREEN_NAMES = ("account", "report", "reports", "quests")


@pytest.mark.parametrize(("lang", "scheme"), [("de", "light"), ("en", "dark")])
def test_every_screen_passes_axe_and_looks_right(open_volunteer, lang, scheme):
    page = open_volunteer(lang, scheme)
    problems: dict[str, Any] = {}

    def check(name: str) -> None:
        page.wait_for_timeout(50)
        violations = run_axe(page)
        if violations:
            problems[name] = violations
        targets = page.evaluate("""() => [...document.querySelectorAll(
                'button, a, input:not([type=radio]):not([type=checkbox]), select, textarea, .choice label')]
            .filter(e => e.offsetParent !== null && !e.classList.contains('skip-link'))
            .map(e => { const r = e.getBoundingClientRect();
                        return {what: e.id || e.textContent.trim().slice(0, 30), w: r.width, h: r.height}; })
            .filter(r => r.w < 44 || r.h < 44)""")
        assert not targets, (name, targets)
        assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1"), name
        screenshot(page, f"volunteer-{name}-{lang}-{scheme}")

    check("account-signed-out")
    register(page, f"Axe{lang}")
    check("report")
    page.check(f"#type-{'head_height_object' if lang == 'de' else 'temporary_event'}")
    page.fill("#report-description", "Ein Schild in Kopfhöhe" if lang == "de" else "A street festival")
    page.click("#report-submit")
    page.wait_for_selector("#report-done:not([hidden])")
    check("report-sent")
    go(page, "reports")
    page.wait_for_selector("#report-list li")
    check("reports")
    go(page, "quests")
    page.wait_for_selector("#quest-list li button")
    check("quests")
    go(page, "account")
    check("account-signed-in")

    # 200 % text: nothing is cut off or needs sideways scrolling.
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    for screen in ("report", "reports", "quests"):
        go(page, screen)
        page.wait_for_timeout(50)
        assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1"), screen
        screenshot(page, f"volunteer-{screen}-{lang}-{scheme}-200")
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)
    assert not page.errors


# ---------------------------------------------------------------------------------------------------- the map
MAP_ZOOM = 17  # static/js/volunteer/map.js START_ZOOM: the map opens at this zoom


def pixel_to_latlon(lat: float, lon: float, dx: float, dy: float, zoom: int = MAP_ZOOM) -> tuple[float, float]:
    """The point `dx`, `dy` screen pixels east and south of `lat`, `lon` on a web-mercator map at `zoom`."""
    world = 256 * 2 ** zoom
    x = (lon + 180) / 360 * world + dx
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * world + dy
    return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / world)))), x / world * 360 - 180


def place_marker_centre(page: Any) -> tuple[float, float]:
    """Where the place marker is on the screen (the map scrolled into view; no scrolling by a later click)."""
    page.locator("#report-map").scroll_into_view_if_needed()
    box = page.locator("#report-map .map-marker-place").bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def report_map_ready(page: Any) -> None:
    page.wait_for_selector("#report-map[data-graph-drawn=true] path.map-road")
    page.wait_for_selector("#report-map .map-marker-place")


def test_place_a_report_by_clicking_the_map_in_three_actions(open_volunteer, volunteer_server):
    page = open_volunteer("de")
    register(page, "Mara")
    report_map_ready(page)
    lat0, lon0 = float(page.input_value("#report-lat")), float(page.input_value("#report-lon"))
    page.click("label[for=type-construction]")  # 1: what
    x0, y0 = place_marker_centre(page)
    dx, dy = 70, -40  # about 55 m east and 30 m north of the device's position
    clicked = pixel_to_latlon(lat0, lon0, dx, dy)
    expected = api(volunteer_server, "/api/snap", lat=clicked[0], lon=clicked[1])
    with page.expect_response("**/api/snap**"):
        page.mouse.click(x0 + dx, y0 + dy)  # 2: where
    street = expected["edge"]["name"]
    page.wait_for_function("(street) => document.getElementById('position-state').textContent.includes(street)",
                           arg=street)
    assert abs(float(page.input_value("#report-lat")) - expected["snap"]["lat"]) < 2e-6
    assert abs(float(page.input_value("#report-lon")) - expected["snap"]["lon"]) < 2e-6
    wait_said(page, f"Ort auf der Karte gesetzt: {street}", politeness="polite")
    # The marker moved to the snapped point: a few pixels from where the map was clicked at most.
    x1, y1 = place_marker_centre(page)
    assert math.hypot(x1 - (x0 + dx), y1 - (y0 + dy)) <= expected["snap"]["distance_m"] / 0.7 + 3
    page.click("#report-submit")  # 3: send
    page.wait_for_selector("#report-done:not([hidden])")
    report = api(volunteer_server, f"/api/reports/{page.get_attribute('#report-done', 'data-report-id')}")["report"]
    assert abs(report["lat"] - expected["snap"]["lat"]) < 1e-5 and abs(report["lon"] - expected["snap"]["lon"]) < 1e-5
    assert report["type"] == "construction"
    assert not page.errors


def test_dragging_the_marker_moves_the_place_and_the_fields(open_volunteer, volunteer_server):
    page = open_volunteer("en")
    register(page, "Drago")
    report_map_ready(page)
    lat0, lon0 = float(page.input_value("#report-lat")), float(page.input_value("#report-lon"))
    x0, y0 = place_marker_centre(page)
    dropped = pixel_to_latlon(lat0, lon0, -60, 50)
    expected = api(volunteer_server, "/api/snap", lat=dropped[0], lon=dropped[1])
    page.mouse.move(x0, y0)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x0 - 6 * step, y0 + 5 * step)
    with page.expect_response("**/api/snap**"):
        page.mouse.up()
    page.wait_for_function("document.getElementById('position-state').textContent.startsWith('Place set on the map')")
    # Where the drag ends is known to a pixel or two (under a metre here).
    assert abs(float(page.input_value("#report-lat")) - expected["snap"]["lat"]) < 2e-5
    assert abs(float(page.input_value("#report-lon")) - expected["snap"]["lon"]) < 2e-5
    assert expected["edge"]["name"] in page.inner_text("#position-state") or expected["edge"]["name"] == ""
    # Typing a position moves the marker back: the fields are the place, the map shows them.
    page.fill("#report-lat", f"{lat0:.6f}")
    page.fill("#report-lon", f"{lon0:.6f}")
    page.press("#report-lon", "Tab")
    x2, y2 = place_marker_centre(page)
    assert math.hypot(x2 - x0, y2 - y0) < 3
    assert page.inner_text("#position-state") == "The position you entered is used."
    assert not page.errors


def test_place_a_report_by_keyboard_without_the_map_in_three_key_presses(open_volunteer, volunteer_server):
    page = open_volunteer("de")
    register(page, "Kai")
    page.wait_for_function("document.getElementById('report-lat').value !== ''")
    assert focused_id(page) == "h-report"
    page.keyboard.press("Tab")  # 1: to the first kind of obstacle
    page.keyboard.press("Space")  # 2: choose it
    page.keyboard.press("Enter")  # 3: send (the device's position is filled in)
    page.wait_for_selector("#report-done:not([hidden])")
    report = api(volunteer_server, f"/api/reports/{page.get_attribute('#report-done', 'data-report-id')}")["report"]
    assert report["type"] == "construction"
    assert abs(report["lat"] - START["latitude"]) < 5e-4 and abs(report["lon"] - START["longitude"]) < 5e-4
    assert not page.errors


def test_current_position_uses_the_known_fix_at_once_and_says_when_it_waits(open_volunteer):
    page = open_volunteer("de")
    register(page, "Uwe")
    page.wait_for_function("document.getElementById('report-lat').value !== ''")
    page.fill("#report-lat", "49.4")
    page.fill("#report-lon", "7.7")
    started = page.evaluate("Date.now()")
    page.click("#use-position")
    wait_said(page, "Aktueller Standort eingetragen", politeness="polite", timeout=1000)
    assert page.evaluate("Date.now()") - started < 1000
    assert abs(float(page.input_value("#report-lat")) - START["latitude"]) < 1e-5
    assert not page.errors


def test_current_position_without_a_fix_says_at_once_that_it_waits(browser, volunteer_server):
    context = browser.new_context(locale="de-DE", viewport={"width": 412, "height": 915}, service_workers="block")
    context.add_init_script(RECORD_ANNOUNCEMENTS)
    page = context.new_page()
    page.goto(f"{volunteer_server}/static/volunteer.html#/account")
    page.wait_for_selector("body[data-ready=true]")
    register(page, "Ida")
    page.click("#use-position")  # no permission for the position: nothing is known
    said_now = page.evaluate("window.__said.map(s => s.text)")
    assert "Ihr Standort wird gesucht, bitte warten …" in said_now  # at once, before any answer of the device
    assert_error(page, "report", "Lotse darf Ihren Standort nicht verwenden. Erlauben Sie den Zugriff in den "
                                 "Einstellungen des Browsers, oder tragen Sie Breite und Länge selbst ein.")
    context.close()


def test_markers_lead_to_the_same_cards_as_the_lists(open_volunteer, volunteer_server):
    reporter = open_volunteer("de")
    register(reporter, "Rita")
    reporter.check("#type-damaged_surface")
    reporter.click("#report-submit")
    reporter.wait_for_selector("#report-done:not([hidden])")
    report_id = reporter.get_attribute("#report-done", "data-report-id")

    page = open_volunteer("de")
    register(page, "Mats")
    go(page, "reports")
    page.wait_for_selector(f'li[data-report-id="{report_id}"]')
    names = page.eval_on_selector_all("#reports-map .map-marker[role=button]",
                                      "els => els.map(e => e.getAttribute('aria-label'))")
    assert any("Beschädigter Belag" in name for name in names), names
    page.locator("#reports-map .map-marker[role=button][aria-label*='Beschädigter Belag']").first.focus()
    page.keyboard.press("Enter")  # a marker is a button: Enter opens its card as a click does
    page.wait_for_function("document.activeElement.closest('li[data-report-id]') !== null")
    card = page.evaluate("document.activeElement.closest('li[data-report-id]').dataset.reportId")
    assert page.locator(f'li[data-report-id="{card}"] button[data-vote]').count() == 3  # the answer buttons

    go(page, "quests")
    page.wait_for_selector("#quest-list li button[data-answer]")
    page.locator("#quests-map .map-marker-quest[role=button]").first.click()
    page.wait_for_function("document.activeElement.closest('li[data-quest-id]') !== null")
    assert page.evaluate("document.activeElement.tagName") == "H2"
    assert not page.errors and not reporter.errors


@pytest.fixture(scope="module")
def tiled_server(city_graph, tmp_path_factory) -> Iterator[str]:
    """A server that names a tile server on the internet (which the offline test cuts off)."""
    app = create_app({"TESTING": True, "DATABASE_URL": file_database(tmp_path_factory),
                      "TILE_URL": "https://tiles.example.org/{z}/{x}/{y}.png",
                      "TILE_ATTRIBUTION": "Kacheln: Beispiel"}, graph=city_graph)
    ws_base, stop = serve_in_thread(app)
    yield "http" + ws_base[len("ws"):]
    stop()
    app.extensions["lotse.db"].engine.dispose()


def test_the_map_draws_from_the_apps_own_data_with_the_network_cut_off(browser, tiled_server):
    context = browser.new_context(locale="de-DE", geolocation=START, permissions=["geolocation"],
                                  viewport={"width": 412, "height": 915}, service_workers="block")
    context.add_init_script(RECORD_ANNOUNCEMENTS)
    cut_off: list[str] = []

    def only_localhost(route: Any) -> None:
        if route.request.url.startswith(tiled_server):
            route.continue_()
        else:
            cut_off.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", only_localhost)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{tiled_server}/static/volunteer.html#/account")
    page.wait_for_selector("body[data-ready=true]")
    register(page, "Olaf")
    report_map_ready(page)
    assert page.locator("#report-map path.map-road").count() > 20
    assert page.locator("#report-map path.map-path").count() > 20
    assert any(url.startswith("https://tiles.example.org/") for url in cut_off)  # it tried, and drew without
    assert page.inner_text("#screen-report .map-attribution") == "Kacheln: Beispiel"
    assert run_axe(page) == []
    go(page, "reports")
    page.wait_for_selector("#reports-map[data-graph-drawn=true] path.map-road")
    assert not errors
    context.close()
