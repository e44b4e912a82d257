"""Browser tests of the PWA: the real app on a free port, driven by Playwright with Debian's Chromium.

Chromium comes from the Debian package (`apt-get install chromium`, done by .ci/run); Playwright's own browser
download is never used. axe-core is vendored in tests/browser/vendor (see README there). Without Chromium or the
playwright package the tests are skipped on a developer's machine and fail in CI (CI=true).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from app import create_app
from app.walker.simulate import serve_in_thread
from tests.browser.helpers import START
from tests.conftest import file_database

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

# Records what reaches the live regions (new nodes are what a screen reader announces), in order.
RECORD_ANNOUNCEMENTS = """
window.__said = [];
document.addEventListener('DOMContentLoaded', () => {
  for (const [id, politeness] of [['live-polite', 'polite'], ['live-assertive', 'assertive']]) {
    const region = document.getElementById(id);
    if (!region) continue;
    new MutationObserver((records) => {
      for (const record of records) for (const node of record.addedNodes) {
        window.__said.push({politeness, text: node.textContent, at: Date.now()});
      }
    }).observe(region, {childList: true});
  }
});
"""


def _chromium() -> str | None:
    configured = os.environ.get("LOTSE_CHROMIUM")
    if configured:
        return configured
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def live_server(city_graph, tmp_path_factory) -> Iterator[str]:
    """The real app with the Kaiserslautern graph, served over HTTP and WebSocket on a free local port."""
    app = create_app({"TESTING": True, "DATABASE_URL": file_database(tmp_path_factory),
                      "LIVE_FRAMES_PER_SECOND": 1000, "SPEECH_ENGINES": "espeak",
                      "SPEECH_CACHE_DIR": str(tmp_path_factory.mktemp("speech"))}, graph=city_graph)
    ws_base, stop = serve_in_thread(app)
    yield "http" + ws_base[len("ws"):]
    stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is missing: pip install -e '.[test]'")
    executable = _chromium()
    if executable is None:
        _unavailable("Chromium is missing: apt-get install chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture()
def open_app(browser, live_server) -> Iterator[Callable[..., Any]]:
    """open_app(lang="de", scheme="light", service_workers="block") → a page on the app's start screen, in a
    phone-sized context with geolocation granted at START."""
    contexts = []

    def open_page(lang: str = "de", scheme: str = "light", service_workers: str = "block", path: str = "/") -> Any:
        context = browser.new_context(
            bypass_csp=True,  # the harness's own probes are inline scripts; the pages' CSP: tests/browser/test_csp.py
            locale="de-DE" if lang == "de" else "en-GB",
            color_scheme=scheme,
            reduced_motion="reduce",
            geolocation=START,
            permissions=["geolocation"],
            viewport={"width": 412, "height": 915},
            service_workers=service_workers,
        )
        context.set_default_timeout(15_000)
        context.add_init_script(RECORD_ANNOUNCEMENTS)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.goto(live_server + path)
        # The page starts in German markup; wait until the chosen language's texts are applied.
        page.wait_for_function(f"document.documentElement.lang === '{lang}' && document.title.includes('Lotse')")
        page.wait_for_function("document.querySelector('[data-i18n=plan_route]').textContent.length > 0")
        return page

    yield open_page
    for context in contexts:
        context.close()
