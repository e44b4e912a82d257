"""Security headers (app.core.headers) on every HTML page, and pages the CSP can allow: no inline script, handler
or style in the templates and static pages."""

from __future__ import annotations

import re

import pytest

from app import create_app
from app.core.headers import content_security_policy
from tests.app.volunteer_helpers import client_of, volunteer
from tests.conftest import REPO

STAFF_PAGES = ("/staff/", "/staff/gaps", "/staff/map", "/staff/reports")


def assert_html_headers(response) -> None:
    assert response.mimetype == "text/html"
    policy = content_security_policy()
    assert response.headers["Content-Security-Policy"] == policy
    assert "frame-ancestors 'none'" in policy and "'unsafe-inline'" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_map_tiles_of_the_configured_server_are_allowed_as_images(mini_graph):
    app = create_app({"TESTING": True, "TILE_URL": "https://{s}.tiles.example.org/{z}/{x}/{y}.png"}, graph=mini_graph)
    policy = app.test_client().get("/static/volunteer.html").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://*.tiles.example.org;" in policy
    assert "script-src 'self';" in policy and "connect-src 'self';" in policy


def test_every_html_page_sends_the_headers(vapp):
    anonymous = client_of(vapp)
    for path in ("/", "/static/index.html", "/static/volunteer.html", "/staff/login"):
        assert_html_headers(anonymous.get(path))
    staff = volunteer(vapp, "Sam", role="staff")
    for path in STAFF_PAGES:
        response = staff.get(path)
        assert response.status_code == 200, path
        assert_html_headers(response)
        assert not re.search(r"\sstyle=", response.get_data(as_text=True)), path  # the SVG map included
    assert client_of(vapp).get("/api/health").headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", sorted([*REPO.glob("templates/**/*.html"), *REPO.glob("static/**/*.html")]),
                         ids=lambda path: str(path.relative_to(REPO)))
def test_no_inline_scripts_handlers_or_styles(path):
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", text), "inline script"
    assert not re.search(r"\son[a-z]+\s*=", text), "inline event handler"
    assert not re.search(r"<style|\sstyle\s*=", text), "inline style"
    assert "javascript:" not in text
