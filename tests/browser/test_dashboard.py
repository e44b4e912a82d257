"""The city staff dashboard in a real browser: login and navigation by keyboard, axe-core without violations on every
page (German and English, light and dark), sortable tables with aria-sort, 44 px targets, 200 % zoom, the report
workflow, and an export downloaded and parsed.

Uses the shared `browser` fixture (tests/browser/conftest.py); the dashboard needs a staff account and data in the
database, so it runs on a server of its own (`staff_server`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from app import create_app
from app.core import db
from app.core.models import RouteUsage
from app.walker.simulate import serve_in_thread
from routing.graph import edge_keys
from tests.app.volunteer_helpers import PASSWORD, client_of, make_user
from tests.browser.helpers import run_axe, screenshot

PAGES = ("/staff/", "/staff/gaps", "/staff/map", "/staff/reports", "/staff/reports/1", "/staff/map?cell=H3")


@pytest.fixture(scope="module")
def staff_server(city_graph, tmp_path_factory) -> Iterator[str]:
    """The app on the city with a staff account, a volunteer's reports and some route counts, on a free port."""
    database = tmp_path_factory.mktemp("staff-db") / "lotse.db"
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{database}",  # one address logs in for every test
                      "RATE_LIMIT_LOGIN": "1000/minute", "RATE_LIMIT_LOGIN_IP": "1000/minute"}, graph=city_graph)
    make_user(app, "Sam", "staff")
    reporter = client_of(app, make_user(app, "Vera"))
    for report_type, lat, lon in (("construction", 49.4447, 7.7690), ("damaged_surface", 49.4450, 7.7700),
                                  ("acoustic_signal_broken", 49.4441, 7.7712)):
        response = reporter.post("/api/reports", json={"type": report_type, "lat": lat, "lon": lon,
                                                       "description": f"Test: {report_type}"})
        assert response.status_code == 201, response.get_data(as_text=True)
    keys = list(dict.fromkeys(edge_keys(city_graph)))
    with db.app_session(app, write=True) as session:
        session.add_all([RouteUsage(kind="edge", key=key, count=(i * 7) % 40) for i, key in enumerate(keys[:3000])])
        session.add(RouteUsage(kind="total", key="routes", count=250))
    ws_base, stop = serve_in_thread(app)
    yield "http" + ws_base[len("ws"):]
    stop()
    app.extensions["lotse.db"].engine.dispose()


@pytest.fixture()
def staff_page(browser, staff_server) -> Iterator[Callable[..., Any]]:
    """staff_page(lang, scheme, width) → a logged-in page; login is typed in the form like a person would."""
    contexts = []

    def open_page(lang: str = "de", scheme: str = "light", width: int = 1280, login: bool = True) -> Any:
        context = browser.new_context(bypass_csp=True,  # the harness's own probes are inline scripts; the pages' CSP: tests/browser/test_csp.py
                                      locale="de-DE" if lang == "de" else "en-GB", color_scheme=scheme,
                                      reduced_motion="reduce", viewport={"width": width, "height": 900},
                                      accept_downloads=True)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.base = staff_server
        if login:
            page.goto(f"{staff_server}/staff/login?lang={lang}")
            page.fill("#email", "sam@example.org")
            page.fill("#password", PASSWORD)
            with page.expect_navigation():
                page.press("#password", "Enter")
        return page

    yield open_page
    for context in contexts:
        context.close()


def active(page: Any) -> dict[str, str]:
    return page.evaluate("""() => { const e = document.activeElement;
        return {tag: e.tagName.toLowerCase(), id: e.id, cls: e.className || '',
                text: (e.textContent || '').trim()}; }""")


# ------------------------------------------------------------------------------------------------ keyboard
def test_login_and_navigation_by_keyboard(staff_page):
    page = staff_page(login=False)
    page.goto(f"{page.base}/staff/gaps")
    assert "/staff/login" in page.url  # not logged in: the login form, then back to where they wanted to go
    page.keyboard.press("Tab")
    assert active(page)["cls"] == "skip-link"
    for _ in range(10):
        page.keyboard.press("Tab")
        if active(page)["id"] == "email":
            break
    assert active(page)["id"] == "email"
    page.keyboard.type("sam@example.org")
    page.keyboard.press("Tab")
    assert active(page)["id"] == "password"
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.startswith(f"{page.base}/staff/gaps")
    assert page.inner_text("h1") == "Lücken"
    # Skip link: the first Tab, and Enter moves focus to the main content.
    page.keyboard.press("Tab")
    assert active(page)["cls"] == "skip-link"
    page.keyboard.press("Enter")
    assert active(page)["id"] == "main"
    # The navigation marks the current page, and its links work from the keyboard.
    assert page.get_attribute("nav a[aria-current=page]", "href").startswith("/staff/gaps")
    page.focus("nav a[href^='/staff/reports']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.inner_text("h1") == "Meldungen"
    assert page.errors == []


def test_sorting_a_table_with_buttons_in_its_headers(staff_page):
    page = staff_page()
    page.goto(f"{page.base}/staff/gaps?kind=sidewalk")
    table = page.locator("#gaps-table")
    header = table.locator("th", has=page.locator("button", has_text="Straße")).first
    assert header.get_attribute("aria-sort") is None
    assert table.locator("th").first.get_attribute("aria-sort") == "ascending"  # rank, as served
    header.locator("button").focus()
    page.keyboard.press("Enter")
    assert header.get_attribute("aria-sort") == "ascending"
    assert table.locator("th").first.get_attribute("aria-sort") is None
    column = page.evaluate("""() => [...document.querySelectorAll('#gaps-table tbody tr')].map(
        r => r.cells[3].textContent.trim())""")
    collated = page.evaluate("(names) => [...names].sort(new Intl.Collator('de', {numeric: true}).compare)", column)
    assert column == collated
    assert page.inner_text("#sort-status") == "Sortiert nach Straße, aufsteigend"
    page.keyboard.press("Space")
    assert header.get_attribute("aria-sort") == "descending"
    assert page.inner_text("#sort-status") == "Sortiert nach Straße, absteigend"
    # Numbers sort as numbers.
    routes = table.locator("th", has=page.locator("button", has_text="Routen")).first
    routes.locator("button").click()
    routes.locator("button").click()
    values = page.evaluate("""() => [...document.querySelectorAll('#gaps-table tbody tr')].map(
        r => Number(r.cells[7].dataset.value))""")
    assert values == sorted(values, reverse=True) and values[0] > 0
    assert page.errors == []


def test_report_workflow_in_the_browser(staff_page):
    page = staff_page()
    page.goto(f"{page.base}/staff/reports")
    page.click("#reports-table a[aria-label='Meldung 1 öffnen']")
    assert page.inner_text("h1").startswith("Meldung 1")
    page.select_option("#work_status", "in_progress")
    page.select_option("#assignee_id", label="Sam")
    page.focus("#note")
    page.keyboard.type("Bauhof ist informiert")
    with page.expect_navigation():
        page.click("form.stack button[type=submit]")
    assert page.inner_text("p.saved[role=status]") == "Gespeichert."
    assert "in Arbeit" in page.inner_text("dl.facts")
    assert "Bauhof ist informiert" in page.inner_text("#audit-table")
    page.select_option("#work_status", "fixed")
    with page.expect_navigation():
        page.click("form.stack button[type=submit]")
    assert "behoben" in page.inner_text("dl.facts")
    assert page.locator("form.stack").count() == 0  # closed: no more changes
    assert page.errors == []


# ------------------------------------------------------------------------------------------- accessibility
@pytest.mark.parametrize("lang,scheme", [("de", "light"), ("en", "dark")])
def test_axe_finds_no_violations_on_any_page(staff_page, lang, scheme):
    page = staff_page(lang, scheme)
    for path in PAGES:
        separator = "&" if "?" in path else "?"
        page.goto(f"{page.base}{path}{separator}lang={lang}")
        assert page.get_attribute("html", "lang") == lang
        for details in page.locator("details").all():  # the chart tables too
            details.evaluate("element => element.open = true")
        violations = run_axe(page)
        assert violations == [], (path, violations)
    screenshot(page, f"staff-overview-{lang}-{scheme}")
    login = staff_page(lang, scheme, login=False)
    login.goto(f"{login.base}/staff/login?lang={lang}")
    assert run_axe(login) == []
    assert page.errors == [] and login.errors == []


def test_targets_are_at_least_44_px(staff_page):
    page = staff_page()
    for path in ("/staff/", "/staff/gaps", "/staff/reports/2"):
        page.goto(f"{page.base}{path}")
        small = page.evaluate("""() => [...document.querySelectorAll(
                'button, select, input:not([type=hidden]), textarea, summary, nav a, td a, .exports a, .pager a')]
            .filter(e => e.offsetParent !== null)
            .map(e => ({e: e.outerHTML.slice(0, 80), r: e.getBoundingClientRect()}))
            .filter(x => x.r.width < 44 || x.r.height < 44).map(x => x.e)""")
        assert small == [], (path, small)


def test_works_at_200_percent_zoom(staff_page):
    """A 640 px wide window is what a 1280 px screen shows at 200 %: nothing may need sideways scrolling but the
    wide tables and the map, which scroll or shrink in their own boxes."""
    page = staff_page(width=640)
    for path in PAGES:
        page.goto(f"{page.base}{path}")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, (path, overflow)
        assert page.locator("h1").is_visible()
    page.goto(f"{page.base}/staff/")
    screenshot(page, "staff-overview-zoom-200")


def test_the_map_and_charts_have_text_and_tables(staff_page):
    page = staff_page("en")
    page.goto(f"{page.base}/staff/map?lang=en")
    svg = page.locator("svg.city-map")
    assert svg.get_attribute("role") == "img"
    caption = page.inner_text("#map-caption")
    assert "gaps" in caption and "open reports" in caption
    assert page.locator("#map-caption a").count() == 2  # to the tables with the same information
    assert svg.bounding_box()["width"] > 600
    page.goto(f"{page.base}/staff/?lang=en")
    for chart in ("chart-coverage-title", "chart-reports-title"):
        assert page.locator(f"svg[aria-labelledby={chart}]").count() == 1
    assert page.locator("#reports-weekly-table tbody tr").count() == 26
    assert page.locator("#coverage-weekly-table tbody tr").count() == 26


def test_an_export_downloads_and_parses(staff_page):
    page = staff_page()
    page.goto(f"{page.base}/staff/reports?status=all")
    with page.expect_download() as download:
        page.click("text=Meldungen als CSV")
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert {row["type"] for row in rows} >= {"construction", "damaged_surface"}
    assert download.value.suggested_filename == "lotse-reports.csv"
