"""The volunteer screens (static/volunteer.html) in a real browser: accounts, reporting an obstacle with the keyboard
only, confirming it as a second volunteer, two volunteers agreeing on a quest, the server's errors read out, and
axe-core on every screen in German and English, light and dark.

The volunteer screens get a server of their own: obstacle reports and accepted quest facts change the routes every
walker gets, so they must not leak into the walker tests that share `live_server`. Its report limit is low, so the
rate limit can be shown without filing thirty reports.
"""

from __future__ import annotations

import json
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

PASSWORD = "lange genug und sicher"
MESSAGES = {lang: json.loads((REPO / "data" / "messages" / f"{lang}.json").read_text(encoding="utf-8"))
            for lang in ("de", "en")}


@pytest.fixture(scope="module")
def volunteer_server(city_graph) -> Iterator[str]:
    app = create_app({"TESTING": True, "RATE_LIMIT_REPORTS": "2/hour", "RATE_LIMIT_REGISTER": "1000/hour",
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
