"""The walker's whole flow in a real browser: search, preview, guidance with a moving geolocation, arrival."""

from __future__ import annotations

from tests.browser.helpers import (
    DESTINATION_NAME,
    choose_destination,
    focused_id,
    plan,
    route_points,
    said,
    wait_said,
    walk,
)

ANNOUNCED_TYPES_SKIPPED = {"landmark", "arrive"}  # landmarks are "info" (polite); arrival comes as `arrived`


def _in_order(texts: list[str], expected: list[str]) -> list[str]:
    """The expected texts that are missing from `texts` in this order (each found after the previous one)."""
    missing, position = [], 0
    for text in expected:
        try:
            position = texts.index(text, position) + 1
        except ValueError:
            missing.append(text)
    return missing


def test_full_flow_announces_instructions_in_order_and_arrival(open_app):
    page = open_app("de")
    choose_destination(page)
    wait_said(page, "Vorschl", politeness="polite")  # the number of suggestions was announced
    route = plan(page)
    instructions = route["instructions"]

    # Route preview: focus on its heading; instructions, crossings, gaps and the explanation in plain lists.
    assert focused_id(page) == "h-preview"
    assert DESTINATION_NAME in page.inner_text("#h-preview")
    assert page.locator("#instruction-list li").count() == len(instructions)
    assert page.locator("#crossing-list li").count() == len(route["crossings"])
    assert page.locator("#gap-list li").count() == len(route["data_gaps"])
    assert page.inner_text("#explanation") == route["explanation"]["text"]
    assert all("Meter" in text or text.startswith("Am Start") for text in page.locator(".at").all_inner_texts())

    # Step-through preview: next and previous, each said politely.
    assert page.inner_text("#step-text") == instructions[0]["text"]
    page.click("#step-next")
    assert page.inner_text("#step-text") == instructions[1]["text"]
    wait_said(page, instructions[1]["text"], politeness="polite")
    page.click("#step-prev")
    assert page.inner_text("#step-text") == instructions[0]["text"]
    page.click("#step-prev")
    wait_said(page, "erste Anweisung")

    # Guidance: the departure at once, then every maneuver at the spot in route order, then the arrival.
    started = len(said(page))
    page.click("#start-guidance")
    page.wait_for_selector("#screen-guide:not([hidden])")
    assert focused_id(page) == "h-guide"
    wait_said(page, instructions[0]["text"], politeness="assertive")
    walk(page, route_points(route))
    arrival = instructions[-1]["text"]
    wait_said(page, arrival, politeness="assertive")

    spoken = said(page)[started:]
    assertive = [s["text"] for s in spoken if s["politeness"] == "assertive"]
    maneuvers = [i["text"] for i in instructions[1:] if i["type"] not in ANNOUNCED_TYPES_SKIPPED]
    assert not _in_order(assertive, [instructions[0]["text"], *maneuvers, arrival]), assertive
    assert assertive[-1] == arrival
    # Early warnings ("prepare") go to the polite region, with the distance first.
    prepared = [s["text"] for s in spoken if s["politeness"] == "polite" and s["text"].startswith("In ")]
    assert prepared and all(": " in text for text in prepared)
    # Arrival moves focus to the arrival heading (the focused buttons are hidden); nothing is said afterwards.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'h-arrived'")
    after_arrival = len(said(page))
    page.wait_for_timeout(1500)
    assert said(page)[after_arrival:] == []
    # The big region shows the arrival, the log holds everything said.
    assert page.inner_text("#current-text") == arrival
    assert page.locator("#said-log li").count() >= len(maneuvers) + 2
    assert page.inner_text("#btn-stop") == "Fertig"
    page.click("#btn-stop")
    page.wait_for_selector("#screen-destination:not([hidden])")
    assert focused_id(page) == "h-destination"
    assert DESTINATION_NAME in page.inner_text("#recent")
    assert not page.errors


def test_server_errors_are_read_out_in_plain_words(open_app):
    page = open_app("en")
    page.context.set_geolocation({"latitude": 52.52, "longitude": 13.40, "accuracy": 5})  # Berlin: off the map
    choose_destination(page)
    with page.expect_response("**/api/route") as response:
        page.click("#plan-route")
    message = response.value.json()["error"]["message"]
    assert response.value.status == 400 and "metres" in message
    page.wait_for_selector("#destination-error:not([hidden])")
    assert page.inner_text("#destination-error") == message
    wait_said(page, message, politeness="assertive")


def test_a_destination_must_be_chosen_from_the_suggestions(open_app):
    page = open_app("de")
    page.click("#plan-route")
    page.wait_for_selector("#destination-error:not([hidden])")
    wait_said(page, "Bitte geben Sie ein Ziel ein", politeness="assertive")
    assert focused_id(page) == "dest-input"
    page.fill("#dest-input", "zzzzqqq")
    wait_said(page, "Keine Vorschläge", politeness="polite")


def test_favourites_and_recent_destinations_stay_on_the_device(open_app):
    page = open_app("de")
    choose_destination(page)
    page.click("#fav-toggle")
    assert page.get_attribute("#fav-toggle", "aria-pressed") == "true"
    wait_said(page, "ist jetzt ein Favorit")
    plan(page)
    page.reload()
    page.wait_for_selector("#favourites li")
    assert DESTINATION_NAME in page.inner_text("#favourites")
    assert DESTINATION_NAME in page.inner_text("#recent")
    # A favourite plans its route in one press.
    with page.expect_response("**/api/route"):
        page.locator("#favourites button.place").first.click()
    page.wait_for_selector("#screen-preview:not([hidden])")
    page.click("[data-screen-link=destination]")
    page.locator("#favourites li button").nth(1).click()  # "Entfernen: Pfalztheater"
    page.wait_for_selector("#favourites-empty:not([hidden])")
