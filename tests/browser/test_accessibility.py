"""WCAG 2.x A/AA with axe-core on every screen, in German and English, light and dark; 44 px targets; 200 % text
without horizontal scrolling; screenshots of each screen saved to test-artifacts/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.helpers import choose_destination, plan, route_points, run_axe, screenshot, walk

MIN_TARGET_PX = 44

# Every interactive element that is visible: its own box, or for radio buttons and checkboxes the label around them.
TARGET_SIZES = """() => {
    const small = [];
    for (const element of document.querySelectorAll('a[href], button, input, select, summary, [role=option]')) {
        if (!element.checkVisibility || !element.checkVisibility()) continue;
        const target = ['radio', 'checkbox'].includes(element.type) ? element.closest('label') : element;
        const box = target.getBoundingClientRect();
        if (box.width < MIN - 0.5 || box.height < MIN - 0.5) {
            small.push(`${element.tagName.toLowerCase()}#${element.id || ''}.${element.className || ''} `
                       + `"${(element.textContent || element.value || '').trim().slice(0, 30)}" ${box.width}x${box.height}`);
        }
    }
    return small;
}""".replace("MIN", str(MIN_TARGET_PX))


def _check(page: Any, screen: str, name: str, problems: list[str]) -> None:
    violations = run_axe(page)
    problems.extend(f"{screen}: {v['id']} ({v['impact']}): {v['help']} {v['nodes']}" for v in violations)
    problems.extend(f"{screen}: target smaller than 44 px: {t}" for t in page.evaluate(TARGET_SIZES))
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    if overflow > 0:
        problems.append(f"{screen}: scrolls sideways by {overflow} px")
    screenshot(page, f"{name}-{screen}")


def _show(page: Any, link: str) -> None:
    page.click(f"[data-screen-link={link}]")
    page.wait_for_selector(f"#screen-{link}:not([hidden])")


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("text_size", [100, 200])
def test_every_screen_passes_axe_and_target_sizes(open_app, lang, scheme, text_size):
    page = open_app(lang, scheme=scheme)
    if text_size != 100:  # the system text size: the app sizes everything in rem
        page.add_style_tag(content=f"html {{ font-size: {text_size}% !important; }}")
    name = f"{lang}-{scheme}-{text_size}"
    problems: list[str] = []

    _check(page, "destination", name, problems)
    page.click("#plan-route")  # without a destination: the error state
    page.wait_for_selector("#destination-error:not([hidden])")
    _check(page, "destination-error", name, problems)
    choose_destination(page)
    page.fill("#dest-input", "Fackelstr")  # the suggestion list open
    page.wait_for_selector("#dest-list [role=option]")
    page.keyboard.press("ArrowDown")
    _check(page, "suggestions", name, problems)
    page.keyboard.press("Enter")
    page.click("#fav-toggle")

    route = plan(page)
    _check(page, "preview", name, problems)

    page.click("#start-guidance")
    page.wait_for_selector("#screen-guide:not([hidden])")
    page.wait_for_function("document.getElementById('current-text').textContent.length > 0")
    walk(page, route_points(route)[:8])
    page.click("details.said summary")  # open "said so far"
    _check(page, "guidance", name, problems)

    _show(page, "settings")
    page.check("input[name=units][value=steps]")
    _check(page, "settings", name, problems)

    _show(page, "destination")
    _check(page, "destination-lists", name, problems)
    assert not problems, "\n".join(problems)
    assert not page.errors
