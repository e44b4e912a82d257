"""Settings that change what the walker hears, and the installable app (manifest, icons, service worker)."""

from __future__ import annotations

import re
import struct

import requests

from tests.browser.helpers import REPO, choose_destination, plan, wait_said

STATIC = REPO / "static"


def test_settings_shape_the_route_and_stay_on_the_device(open_app):
    page = open_app("de")
    page.click("[data-screen-link=settings]")
    page.wait_for_function("document.activeElement.id === 'h-settings'")
    page.check("input[name=units][value=steps]")
    page.fill("#set-step-length", "0.8")
    page.dispatch_event("#set-step-length", "change")
    page.check("input[name=clock_face]")
    page.check("input[name=verbosity][value=brief]")
    page.select_option("#set-profile", "guide_dog")
    page.select_option("#pref-steps", '"never"')
    page.reload()
    page.wait_for_selector("#pref-steps")
    assert page.is_checked("input[name=units][value=steps]") and page.is_checked("input[name=clock_face]")
    assert page.input_value("#pref-steps") == '"never"'

    page.click("[data-screen-link=destination]")
    choose_destination(page)
    with page.expect_request("**/api/route") as request:
        page.click("#plan-route")
    body = request.value.post_data_json
    assert body["guidance"] == {"verbosity": "brief", "clock_face": True, "step_length_m": 0.8}
    assert body["profile"] == "guide_dog" and body["prefs"] == {"steps": "never"} and body["lang"] == "de"
    page.wait_for_selector("#screen-preview:not([hidden])")
    assert "Schritte" in page.inner_text("#preview-summary")  # distances in steps in the app's own texts too

    # A changed setting plans the previewed route again, in the new language.
    page.click("[data-screen-link=settings]")
    page.check("input[name=lang][value=en]")
    page.wait_for_function("document.documentElement.lang === 'en'")
    wait_said(page, "Language: English.")
    with page.expect_request("**/api/route") as request:
        page.go_back()
    assert request.value.post_data_json["lang"] == "en"
    page.wait_for_function("document.getElementById('h-preview').textContent.startsWith('Route to')")


def _option_values(page, select: str) -> list[str]:
    return page.eval_on_selector_all(f"{select} option", "options => options.map(o => o.value)")


def test_the_profiles_offered_are_the_servers_and_stay_offline(live_server, open_app):
    served = requests.get(f"{live_server}/api/health", timeout=10).json()["profiles"]
    steps = ["", *(f'"{value}"' for value in served["preferences"]["steps"])]  # "" is "as in the profile"
    page = open_app("en", service_workers="allow")
    page.evaluate("navigator.serviceWorker.ready")
    page.click("[data-screen-link=settings]")
    page.wait_for_function(f"document.querySelectorAll('#set-profile option').length === {len(served['names'])}")
    assert _option_values(page, "#set-profile") == served["names"]
    assert _option_values(page, "#pref-steps") == steps
    assert page.inner_text("#set-profile option[value=guide_dog]") == "With a guide dog"

    # Without network the app comes from the cache and offers the profiles it kept.
    page.context.set_offline(True)
    page.reload()
    page.wait_for_selector("#pref-steps")
    assert _option_values(page, "#set-profile") == served["names"]
    assert _option_values(page, "#pref-steps") == steps


def test_server_voice_plays_the_servers_audio(open_app):
    page = open_app("en")
    page.click("[data-screen-link=settings]")
    page.check("input[name=output][value=server]")
    with page.expect_request("**/api/speech?**") as request:
        page.click("#test-voice")
    assert "lang=en" in request.value.url and "text=This+is+how" in request.value.url


def test_installable_app(live_server, open_app):
    manifest = requests.get(f"{live_server}/manifest.webmanifest", timeout=10)
    assert manifest.status_code == 200
    assert manifest.headers["Content-Type"].startswith("application/manifest+json")
    data = manifest.json()
    assert data["start_url"] == "/" and data["scope"] == "/" and data["display"] == "standalone"
    sizes = set()
    for icon in data["icons"]:
        response = requests.get(live_server + icon["src"], timeout=10)
        assert response.status_code == 200, icon["src"]
        if icon["type"] == "image/png":
            width, height = struct.unpack(">II", response.content[16:24])  # the PNG header's IHDR
            assert f"{width}x{height}" == icon["sizes"]
            sizes.add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes
    assert any(icon.get("purpose") == "maskable" for icon in data["icons"])
    worker = requests.get(f"{live_server}/sw.js", timeout=10)
    assert worker.status_code == 200 and "javascript" in worker.headers["Content-Type"]

    page = open_app("de", service_workers="allow")
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == f"{live_server}/"
    assert page.evaluate("document.querySelector('link[rel=manifest]').href") == f"{live_server}/manifest.webmanifest"
    choose_destination(page)
    plan(page)  # the API is never answered from the cache
    assert not page.evaluate("""caches.keys().then(names => Promise.all(names.map(n => caches.open(n).then(c => c.keys()))))
        .then(lists => lists.flat().some(r => r.url.includes('/api/')))""")


def test_the_service_worker_keeps_every_module_and_text_of_the_apps():
    worker = (STATIC / "sw.js").read_text(encoding="utf-8")
    shell = set(re.findall(r'^  "(/[^"]*)",$', worker, flags=re.MULTILINE))
    files = [*(STATIC / "js").rglob("*.js"), *(STATIC / "i18n").glob("*.json")]
    assert len(files) > 20
    names = sorted(f"/static/{path.relative_to(STATIC).as_posix()}" for path in files)
    assert not [name for name in names if name not in shell]
