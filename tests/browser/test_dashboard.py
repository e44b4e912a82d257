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
from tests.conftest import file_database

PAGES = ("/staff/", "/staff/gaps", "/staff/map", "/staff/reports", "/staff/reports/1", "/staff/map?cell=H3")


@pytest.fixture(scope="module")
def staff_server(city_graph, tmp_path_factory) -> Iterator[str]:
    """The app on the city with a staff account, a volunteer's reports and some route counts, on a free port."""
    app = create_app({"TESTING": True, "DATABASE_URL": file_database(tmp_path_factory),
                      # one address logs in for every test
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


def web_map_drawn(page: Any) -> None:
    """Wait until the web map drew the graph, the gaps and the reports of its view."""
    for layer in ("graph", "gaps", "reports"):
        page.wait_for_selector(f"#web-map[data-{layer}-drawn=true]")


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
        if path.startswith("/staff/map"):
            web_map_drawn(page)
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


def test_the_map_and_charts_have_text_and_tables(staff_page, browser, staff_server):
    page = staff_page("en")
    page.goto(f"{page.base}/staff/map?lang=en")
    web_map_drawn(page)
    caption = page.inner_text("#map-caption")
    assert "gaps" in caption and "open reports" in caption
    assert page.locator("#map-caption a").count() == 2  # to the tables with the same information
    assert page.locator("#web-map").bounding_box()["width"] > 600
    assert page.locator("svg.city-map").is_hidden()  # the web map took the drawn map's place
    # Without JavaScript the drawn map of the city is there instead.
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    plain = context.new_page()
    plain.goto(f"{staff_server}/staff/login?lang=en")
    plain.fill("#email", "sam@example.org")
    plain.fill("#password", PASSWORD)
    with plain.expect_navigation():
        plain.press("#password", "Enter")
    plain.goto(f"{staff_server}/staff/map?lang=en")
    svg = plain.locator("svg.city-map")
    assert svg.get_attribute("role") == "img" and svg.bounding_box()["width"] > 600
    assert plain.locator("#web-map").is_hidden()
    context.close()
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


# ------------------------------------------------------------------------------------------------ the web map
def test_the_gap_map_has_a_layer_per_kind_clusters_and_popups_to_the_table(staff_page):
    page = staff_page()
    page.goto(f"{page.base}/staff/map")
    web_map_drawn(page)
    layers = page.locator("#web-map .leaflet-control-layers-overlays label")
    names = [text.strip() for text in layers.all_inner_texts()]
    assert names == ["Wegenetz", "Bodenindikatoren", "Akustisches Signal", "Handlauf", "Stufenzahl", "Gehweg",
                     "Offene Meldungen"]
    # The whole city: gaps grouped; a group's popup links to exactly those gaps in the table.
    assert page.get_attribute("#web-map", "data-clustered") == "true"
    sidewalks = page.locator("#web-map .map-marker.sidewalk.cluster")
    assert sidewalks.count() > 0
    shown = page.locator("#web-map .map-marker").count()
    page.locator("#web-map .leaflet-control-layers-overlays label", has_text="Gehweg").locator("input").uncheck()
    assert page.locator("#web-map .map-marker.sidewalk").count() == 0
    assert page.locator("#web-map .map-marker").count() < shown
    page.locator("#web-map .leaflet-control-layers-overlays label", has_text="Gehweg").locator("input").check()
    cluster = page.locator("#web-map .map-marker.sidewalk.cluster").first
    count = int(cluster.inner_text().split()[-1])  # the kind's glyph, then how many
    assert "Lücken: Gehweg" in cluster.get_attribute("aria-label")
    cluster.focus()
    page.keyboard.press("Enter")  # a marker is a button: its popup opens from the keyboard too
    popup_link = page.locator("#web-map .leaflet-popup a", has_text="Diese Lücken in der Tabelle")
    with page.expect_navigation():
        popup_link.click()
    assert page.url.startswith(f"{page.base}/staff/gaps?")
    assert int(page.locator("#gaps-table tbody tr").count()) >= min(count, 100)
    assert page.inner_text("#gaps-table tbody tr:first-child td:nth-child(2)") == "Gehweg"

    # One cell, zoomed in: every gap its own marker, its popup links to its row in the table.
    page.goto(f"{page.base}/staff/map?cell=H3&kind=crossing_tactile_paving")
    web_map_drawn(page)
    for _ in range(2):
        with page.expect_response("**/api/gaps/map**"):
            page.click("#web-map .leaflet-control-zoom-in")
    page.wait_for_selector("#web-map[data-clustered=false]")
    marker = page.locator("#web-map .map-marker.crossing_tactile_paving:not(.cluster)").first
    marker.click()
    row_link = page.locator("#web-map .leaflet-popup a", has_text="Zeile in der Tabelle")
    href = row_link.get_attribute("href")
    gap_id = href.split("#gap-")[1]
    with page.expect_navigation():
        row_link.click()
    assert page.locator(f'#gaps-table tr[id="gap-{gap_id}"]').count() == 1
    assert page.errors == []


def test_report_markers_open_the_report(staff_page):
    page = staff_page()
    page.goto(f"{page.base}/staff/map?cell=H3")
    web_map_drawn(page)
    marker = page.locator("#web-map .map-marker.report").first
    marker.click()
    link = page.locator("#web-map .leaflet-popup a", has_text="Meldung")
    with page.expect_navigation():
        link.click()
    assert page.inner_text("h1").startswith("Meldung ")


@pytest.mark.parametrize("width", [1280, 412])
def test_the_gap_map_draws_with_the_network_cut_off(staff_page, width):
    page = staff_page(width=width)
    cut_off: list[str] = []

    def only_localhost(route: Any) -> None:
        if route.request.url.startswith(page.base):
            route.continue_()
        else:
            cut_off.append(route.request.url)
            route.abort("internetdisconnected")

    page.context.route("**/*", only_localhost)
    page.goto(f"{page.base}/staff/map?cell=H3")
    web_map_drawn(page)
    assert page.locator("#web-map path.map-road").count() > 20
    assert page.locator("#web-map .map-marker").count() > 5
    assert run_axe(page) == []
    assert page.errors == []


# ------------------------------------------------------------------------------------------------ tables
TABLE_PAGES = ("/staff/", "/staff/gaps", "/staff/reports?status=all", "/staff/reports/1")


@pytest.mark.parametrize("width", [1280, 412])
def test_tables_fit_without_sideways_scrolling_and_have_captions(staff_page, width):
    page = staff_page(width=width)
    for path in TABLE_PAGES:
        page.goto(f"{page.base}{path}")
        for details in page.locator("details").all():
            details.evaluate("element => element.open = true")
        tables = page.evaluate("""() => [...document.querySelectorAll('table')].map(t => ({
            id: t.id, caption: t.caption ? t.caption.textContent.trim() : '',
            wide: t.getBoundingClientRect().width - t.parentElement.clientWidth,
            cut: [...t.querySelectorAll('td, th')].filter(c => c.scrollWidth > c.clientWidth + 1).length}))""")
        assert tables, path
        for table in tables:
            assert table["caption"], (path, table)
            assert table["wide"] <= 1 and table["cut"] == 0, (path, width, table)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, (path, width, overflow)
    page.goto(f"{page.base}/staff/gaps")
    assert "Wohnstraße" in page.inner_text("#gaps-table") or "Kreisstraße" in page.inner_text("#gaps-table")
    assert page.errors == []


def test_a_failed_login_keeps_the_email(staff_page):
    page = staff_page(login=False)
    page.goto(f"{page.base}/staff/login")
    page.fill("#email", "sam@example.org")
    page.fill("#password", "falsch")
    with page.expect_navigation():
        page.press("#password", "Enter")
    assert page.locator("#login-error").is_visible()
    assert page.input_value("#email") == "sam@example.org"
    assert page.evaluate("document.activeElement.id") == "password"  # the email stays, the password is retyped
