"""The whole flow with the keyboard alone: no click, no tap, no fill."""

from __future__ import annotations

from typing import Any

from tests.browser.helpers import DESTINATION_QUERY, focused_id, wait_said

MAX_TABS = 40


def tab_to(page: Any, element_id: str, backwards: bool = False) -> int:
    """Press Tab (or Shift+Tab) until the element has the focus; returns how many presses it took."""
    for presses in range(1, MAX_TABS + 1):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if focused_id(page) == element_id:
            return presses
    raise AssertionError(f"#{element_id} cannot be reached with the keyboard (focus is on #{focused_id(page)})")


def test_whole_flow_with_the_keyboard_only(open_app):
    page = open_app("en")

    # The skip link comes first and leads into the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"

    # Destination: type, hear the number of suggestions, arrow down, Enter; Escape closes the list.
    tab_to(page, "dest-input")
    page.keyboard.type(DESTINATION_QUERY, delay=20)
    page.wait_for_selector("#dest-list [role=option]")
    wait_said(page, "suggestion", politeness="polite")
    assert page.get_attribute("#dest-input", "aria-expanded") == "true"
    page.keyboard.press("Escape")
    assert page.get_attribute("#dest-input", "aria-expanded") == "false"
    page.keyboard.press("ArrowDown")
    assert page.get_attribute("#dest-input", "aria-activedescendant") == "dest-list-0"
    assert page.get_attribute("#dest-list-0", "aria-selected") == "true"
    page.keyboard.press("Enter")
    page.wait_for_selector("#chosen:not([hidden])")
    wait_said(page, "Destination: Pfalztheater")

    # Plan with Enter on the button; the preview's heading takes the focus.
    tab_to(page, "plan-route")
    page.keyboard.press("Enter")
    page.wait_for_selector("#screen-preview:not([hidden])")
    page.wait_for_function("document.activeElement.id === 'h-preview'")

    # Step through the route with Space on the buttons.
    first = page.inner_text("#step-text")
    tab_to(page, "step-next")
    page.keyboard.press("Space")
    assert page.inner_text("#step-text") != first
    tab_to(page, "step-prev", backwards=True)
    page.keyboard.press("Enter")
    assert page.inner_text("#step-text") == first

    # Start guidance; the guidance heading takes the focus; every button works from the keyboard.
    tab_to(page, "start-guidance", backwards=True)
    page.keyboard.press("Enter")
    page.wait_for_selector("#screen-guide:not([hidden])")
    page.wait_for_function("document.activeElement.id === 'h-guide'")
    wait_said(page, first, politeness="assertive")
    page.wait_for_function("document.getElementById('connection').textContent.startsWith('Connected')")
    tab_to(page, "btn-repeat")
    count = page.evaluate("window.__said.length")
    page.keyboard.press("Enter")
    page.wait_for_function("n => window.__said.length > n", arg=count)
    tab_to(page, "btn-where")
    page.keyboard.press("Enter")
    wait_said(page, "destination")
    tab_to(page, "btn-pause")
    page.keyboard.press("Space")
    wait_said(page, "Guidance paused.")
    assert page.inner_text("#btn-pause") == "Resume"
    page.keyboard.press("Space")
    wait_said(page, "Guidance resumed.")
    tab_to(page, "btn-stop")
    page.keyboard.press("Enter")
    wait_said(page, "Guidance ended.")
    page.wait_for_selector("#screen-destination:not([hidden])")
    page.wait_for_function("document.activeElement.id === 'h-destination'")

    # Settings through the menu; arrow keys in the language group switch the whole UI to German.
    page.keyboard.press("Shift+Tab")  # from the heading back into the menu
    for _ in range(MAX_TABS):
        if page.evaluate("document.activeElement.dataset.screenLink") == "settings":
            break
        page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement.id === 'h-settings'")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "lang"
    page.keyboard.press("ArrowUp")  # English → Deutsch
    page.wait_for_function("document.documentElement.lang === 'de'")
    assert page.inner_text("#h-settings") == "Einstellungen"
    assert not page.errors
