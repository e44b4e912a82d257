"""The pages under their real Content Security Policy (the other browser tests bypass it for their own inline
probes): every page's scripts run and the browser reports no violation."""

from __future__ import annotations

import time

import pytest


@pytest.mark.parametrize("path", ["/", "/static/volunteer.html", "/staff/login"])
def test_pages_run_under_their_csp_without_a_violation(browser, live_server, path):
    context = browser.new_context(locale="de-DE", service_workers="block")
    try:
        page = context.new_page()
        violations: list[str] = []
        page.on("console", lambda message: violations.append(message.text)
                if "Content Security Policy" in message.text else None)
        response = page.goto(live_server + path)
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        deadline = time.monotonic() + 10
        # The page's own scripts set the language and title; page.evaluate is not subject to the page's CSP.
        while time.monotonic() < deadline and not page.evaluate("document.title.includes('Lotse')"):
            time.sleep(0.1)
        assert page.evaluate("document.title.includes('Lotse')")
        if path != "/staff/login":  # the PWA's scripts fill their texts in
            while time.monotonic() < deadline and not page.evaluate("document.querySelector('[data-i18n]')"
                                                                   "?.textContent.trim().length > 0"):
                time.sleep(0.1)
            assert page.evaluate("document.querySelector('[data-i18n]')?.textContent.trim().length > 0")
        assert violations == []
    finally:
        context.close()
