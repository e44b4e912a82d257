"""Wording of instructions: each maneuver type, each verbosity, both languages, on hand-built maneuvers; then the
rules every route must keep, over the 200 benchmark pairs."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from routing.guidance.maneuvers import SPOT_M, Maneuver, build_maneuvers
from routing.guidance.wording import (
    MAX_CHARS,
    MAX_SPOT_CHARS,
    Instruction,
    WordingOptions,
    instructions,
    say_distance,
    speakable,
)
from routing.phrases import load_table
from routing.plan import plan_route

PAIRS_FILE = Path(__file__).resolve().parents[3] / "bench" / "route_pairs.json"
BRIEF = WordingOptions(verbosity="brief")
NORMAL = WordingOptions()
DETAILED = WordingOptions(verbosity="detailed")
CLOCK = WordingOptions(clock_face=True)
PACES = WordingOptions(step_length_m=0.7)
TIMING = re.compile(r"\b(jetzt|sofort|warten Sie|wait|now|go when|grün|green)\b", re.IGNORECASE)
RAW = ("Str.", "/", "&", "_", "None", "{", "}")


def m(kind: str, at: float = 0.0, **fields: Any) -> Maneuver:
    return Maneuver(kind, at, 49.44, 7.77, **fields)


def say(maneuver: Maneuver, lang: str = "de", options: WordingOptions = NORMAL) -> str:
    said = instructions([maneuver], lang, options)
    assert len(said) == 1
    return said[0].text


def crossing(**facts: Any) -> dict[str, Any]:
    streets = facts.pop("streets", [{"name": "Mainzer Straße", "highway": "primary", "lanes": 4, "maxspeed_kmh": 50.0}])
    base = {"streets": streets, "mapped": True, "control": "traffic_signals", "signals": "yes",
            "acoustic_signal": "unknown", "vibration": "unknown", "button_operated": "unknown",
            "tactile_paving": "unknown", "island": "unknown", "kerb": "unknown"}
    base.update(facts)
    return base


# ---------------------------------------------------------------------------------------------- distances
@pytest.mark.parametrize(
    ("metres", "lang", "form", "options", "expected"),
    [
        (3, "de", "plain", NORMAL, "weniger als 10 Meter"),
        (3, "en", "plain", NORMAL, "less than 10 metres"),
        (9.9, "de", "in", NORMAL, "in weniger als 10 Metern"),
        (10, "de", "plain", NORMAL, "10 Meter"),
        (47, "de", "plain", NORMAL, "45 Meter"),
        (48, "de", "plain", NORMAL, "50 Meter"),
        (123, "de", "plain", NORMAL, "120 Meter"),
        (123, "en", "plain", NORMAL, "120 metres"),
        (30, "de", "in", NORMAL, "in 30 Metern"),
        (31, "en", "in", NORMAL, "in 30 metres"),
        (1234, "de", "plain", NORMAL, "1230 Meter"),
        (120, "de", "plain", PACES, "etwa 170 Schritte"),
        (120, "en", "plain", PACES, "about 170 paces"),
        (21, "de", "in", PACES, "in etwa 30 Schritten"),
        (5, "de", "plain", PACES, "weniger als 10 Schritte"),
        (5, "en", "in", PACES, "in less than 10 paces"),
        (-4, "de", "plain", NORMAL, "weniger als 10 Meter"),
    ],
)
def test_say_distance(metres: float, lang: str, form: str, options: WordingOptions, expected: str) -> None:
    assert say_distance(metres, lang, options, form) == expected


def test_say_distance_defaults_and_bad_form() -> None:
    assert say_distance(47, "de") == "45 Meter"
    with pytest.raises(ValueError):
        say_distance(47, "de", NORMAL, "at")


def test_options_are_checked() -> None:
    with pytest.raises(ValueError):
        WordingOptions(verbosity="chatty")
    with pytest.raises(ValueError):
        WordingOptions(step_length_m=0)


# ---------------------------------------------------------------------------------------------- depart
@pytest.mark.parametrize(
    ("maneuver", "de", "en"),
    [
        (m("depart", street="Eisenbahnstraße", way="secondary", compass="northeast"),
         "Nach Nordosten auf der Eisenbahnstraße gehen.", "Walk northeast along Eisenbahnstraße."),
        (m("depart", street="", way="footway", compass="south"),
         "Nach Süden auf dem Fußweg gehen.", "Walk south along the footway."),
        (m("depart", street="Schillerplatz", way="pedestrian", compass="west"),
         "Nach Westen auf dem Schillerplatz gehen.", "Walk west along Schillerplatz."),
        (m("depart", street="Eisenbahnstraße", way="secondary", compass="north", clock=12, modifier="straight"),
         "Geradeaus auf der Eisenbahnstraße losgehen.", "Walk straight ahead along Eisenbahnstraße."),
        (m("depart", street="Fackelstraße", way="pedestrian", compass="east", clock=3, modifier="right"),
         "Auf 3 Uhr drehen und auf der Fackelstraße losgehen.",
         "Turn to 3 o'clock and walk along Fackelstraße."),
        (m("depart", street="", way="steps", compass="west"),
         "Nach Westen zur Treppe gehen.", "Walk west to the steps."),
    ],
)
def test_depart(maneuver: Maneuver, de: str, en: str) -> None:
    assert say(maneuver, "de") == de
    assert say(maneuver, "en") == en


# ---------------------------------------------------------------------------------------------- turns
@pytest.mark.parametrize(
    ("street", "way", "modifier", "de", "en"),
    [
        ("Fackelstraße", "pedestrian", "left", "Links in die Fackelstraße abbiegen.",
         "Turn left onto Fackelstraße."),
        ("Rosenweg", "residential", "right", "Rechts in den Rosenweg abbiegen.", "Turn right onto Rosenweg."),
        ("Schillerplatz", "pedestrian", "slight_right", "Leicht rechts auf den Schillerplatz abbiegen.",
         "Turn slightly right onto Schillerplatz."),
        ("Mainzer Str.", "primary", "sharp_left", "Scharf links in die Mainzer Straße abbiegen.",
         "Turn sharp left onto Mainzer Straße."),
        ("Lauterufer", "footway", "slight_left", "Leicht links ans Lauterufer abbiegen.",
         "Turn slightly left onto Lauterufer."),
        ("Am Altenhof", "residential", "right", "Rechts in die Straße Am Altenhof abbiegen.",
         "Turn right onto Am Altenhof."),
        ("", "footway", "left", "Links in den Fußweg abbiegen.", "Turn left onto the footway."),
        ("", "steps", "right", "Rechts zur Treppe abbiegen.", "Turn right to the steps."),
        # "in den Weg" names no more than the turn: an unnamed path is not named by its kind.
        ("", "path", "left", "Links abbiegen.", "Turn left."),
        ("", "service", "left", "Links in die Zufahrt abbiegen.", "Turn left onto the access road."),
        ("", "primary_link", "right", "Rechts in die Abbiegespur abbiegen.", "Turn right onto the slip road."),
        ("Fackelstraße", "pedestrian", "uturn", "Umkehren und auf der Fackelstraße weitergehen.",
         "Turn around and continue along Fackelstraße."),
    ],
)
def test_turn(street: str, way: str, modifier: str, de: str, en: str) -> None:
    turn = m("turn", 10, street=street, way=way, modifier=modifier, clock=3)
    assert say(turn, "de") == de
    assert say(turn, "en") == en


def test_turn_keeping_the_street_or_the_way() -> None:
    start = m("depart", street="Fackelstraße", way="pedestrian", compass="north")
    stay = m("turn", 10, street="Fackelstraße", way="pedestrian", modifier="left", clock=9)
    # The street kept is named again only when detailed: it was said when the walker turned into it.
    assert [i.text for i in instructions([start, stay], "de")][1] == "Links abbiegen."
    assert [i.text for i in instructions([start, stay], "en")][1] == "Turn left."
    assert [i.text for i in instructions([start, stay], "de", DETAILED)][1] == \
        "Biegen Sie links ab und bleiben Sie auf der Fackelstraße."
    assert [i.text for i in instructions([start, stay], "en", DETAILED)][1] == "Turn left, staying on Fackelstraße."
    footway = m("depart", street="", way="footway", compass="north")
    turn = m("turn", 10, street="", way="footway", modifier="sharp_right", clock=4)
    assert instructions([footway, turn], "de")[1].text == "Scharf rechts abbiegen."
    assert instructions([footway, turn], "en")[1].text == "Turn sharp right."
    uturn = m("turn", 10, street="", way="footway", modifier="uturn", clock=6)
    assert instructions([footway, uturn], "de")[1].text == "Umkehren."
    assert instructions([footway, uturn], "en")[1].text == "Turn around."


def test_fork() -> None:
    start = m("depart", street="Hohenecker Straße", way="secondary", compass="west")
    stay = m("fork", 50, street="Hohenecker Straße", way="secondary", modifier="keep_right", angle_deg=8.0, clock=12)
    into = m("fork", 50, street="Pirmasenser Straße", way="pedestrian", modifier="keep_left", angle_deg=-12.0,
             clock=12)
    assert instructions([start, stay], "de")[1].text == "Rechts halten."
    assert instructions([start, stay], "en")[1].text == "Keep right."
    assert instructions([start, stay], "de", DETAILED)[1].text == \
        "Halten Sie sich rechts, um auf der Hohenecker Straße zu bleiben."
    assert instructions([start, stay], "en", DETAILED)[1].text == "Keep right to stay on Hohenecker Straße."
    assert instructions([start, into], "de", BRIEF)[1].text == \
        "Links halten und in die Pirmasenser Straße gehen."
    assert instructions([start, into], "en")[1].text == "Keep left onto Pirmasenser Straße."
    footway = m("depart", street="", way="footway", compass="north")
    plain = m("fork", 50, street="", way="footway", modifier="keep_left", angle_deg=-5.0, clock=12)
    assert instructions([footway, plain], "de")[1].text == "Links halten."
    assert instructions([footway, plain], "en")[1].text == "Keep left."


def test_turn_on_a_clock_face() -> None:
    turn = m("turn", 10, street="Fackelstraße", way="pedestrian", modifier="slight_right", clock=2)
    assert say(turn, "de", CLOCK) == "Bei 2 Uhr in die Fackelstraße abbiegen."
    assert say(turn, "en", CLOCK) == "Turn onto Fackelstraße at 2 o'clock."
    assert say(turn, "de") == "Leicht rechts in die Fackelstraße abbiegen."


def test_continue() -> None:
    straight = m("continue", 10, street="Marktstraße", way="pedestrian", modifier="straight", clock=12)
    assert say(straight, "de", DETAILED) == "Gehen Sie geradeaus weiter in die Marktstraße."
    assert say(straight, "en", DETAILED) == "Continue straight onto Marktstraße."
    # At normal a change of name while walking straight on is said only with something else at that spot.
    assert instructions([straight], "de") == []
    assert instructions([straight], "de", BRIEF) == []
    unknown = crossing(streets=[{"name": "Parkstraße", "highway": "residential"}], control="unknown",
                       signals="unknown")
    spot = [straight, m("cross", 13, crossing=unknown)]
    assert [i.text for i in instructions(spot, "de")] == [
        "Geradeaus in die Marktstraße gehen und die Parkstraße überqueren, ohne Angaben."]
    assert [i.text for i in instructions(spot, "en")] == [
        "Continue straight onto Marktstraße and cross Parkstraße, no data."]
    # Left out, it leaves the walk on from the instruction before to the one after.
    route = [m("depart", 0, street="Fackelstraße", way="pedestrian", compass="east"), straight,
             m("arrive", 240, side="ahead", offset_m=0.0)]
    assert [i.text for i in instructions(route, "de")] == [
        "Nach Osten auf der Fackelstraße gehen. Dann 240 Meter weiter.", "Ziel erreicht."]


# ---------------------------------------------------------------------------------------------- crossings
def test_crossing_at_lights_each_verbosity() -> None:
    lights = m("cross", 10, crossing=crossing(
        streets=[{"name": "Lauterstraße", "highway": "primary", "lanes": 2, "maxspeed_kmh": 50.0}],
        acoustic_signal="yes", button_operated="yes", tactile_paving="yes", kerb="lowered"))
    assert say(lights, "de", BRIEF) == "Die Lauterstraße an der Ampel überqueren. Die Ampel hat ein Blindensignal."
    assert say(lights, "en", BRIEF) == "Cross Lauterstraße at the traffic lights. The lights have an acoustic signal."
    # At normal two lanes are not said: they tell nothing the street does not.
    assert say(lights, "de") == (
        "Die Lauterstraße an der Ampel überqueren. Die Ampel hat ein Blindensignal. Es gibt Bodenindikatoren.")
    assert say(lights, "en") == (
        "Cross Lauterstraße at the traffic lights. The lights have an acoustic signal. There is tactile paving.")
    assert say(lights, "de", DETAILED) == (
        "Überqueren Sie die Lauterstraße an der Ampel. Das ist eine Hauptverkehrsstraße mit 2 Fahrstreifen und "
        "Tempo 50. Die Ampel hat ein Blindensignal und einen Taster. Es gibt Bodenindikatoren.")
    small = m("cross", 10, crossing=crossing(
        streets=[{"name": "Logenstraße", "highway": "tertiary", "lanes": None, "maxspeed_kmh": 30.0}],
        acoustic_signal="yes", vibration="yes", tactile_paving="yes", island="yes"))
    assert say(small, "de") == ("Die Logenstraße an der Ampel überqueren. Die Ampel hat ein Blindensignal und "
                                "ein Vibrationssignal. Es gibt Bodenindikatoren und eine Mittelinsel.")
    assert say(small, "en") == ("Cross Logenstraße at the traffic lights. The lights have an acoustic signal and "
                                "a vibrating signal. There is tactile paving and a traffic island.")
    kerb = m("cross", 10, crossing=crossing(streets=[{"name": "Logenstraße", "highway": "tertiary"}],
                                            acoustic_signal="yes", tactile_paving="yes", kerb="raised"))
    assert say(kerb, "de", DETAILED) == (
        "Überqueren Sie die Logenstraße an der Ampel. Das ist eine mittelgroße Straße. Die Ampel hat ein "
        "Blindensignal. Es gibt Bodenindikatoren. Der Bordstein ist hoch.")
    assert say(kerb, "en", DETAILED) == (
        "Cross Logenstraße at the traffic lights. It is a medium-sized road. The lights have an acoustic signal. "
        "There is tactile paving. The kerb is raised.")


def test_long_crossing_keeps_the_important_facts() -> None:
    full = m("cross", 10, crossing=crossing(acoustic_signal="yes", vibration="yes", button_operated="yes",
                                            tactile_paving="yes", island="yes", kerb="lowered"))
    route = [full, m("arrive", 300, side="ahead", offset_m=0.0)]
    for lang, options in (("de", NORMAL), ("de", DETAILED), ("en", DETAILED)):
        text = instructions(route, lang, options)[0].text
        assert len(text) <= MAX_CHARS
    # At normal the lanes are said with the name, so every fact and the walk on fit.
    assert instructions(route, "de")[0].text == (
        "Die Mainzer Straße mit 4 Fahrstreifen an der Ampel überqueren. Die Ampel hat ein Blindensignal und "
        "ein Vibrationssignal. Es gibt Bodenindikatoren und eine Mittelinsel. Dann 290 Meter weiter.")
    assert instructions(route, "en")[0].text == (
        "Cross Mainzer Straße with 4 lanes at the traffic lights. The lights have an acoustic signal and a "
        "vibrating signal. There is tactile paving and a traffic island. Then continue for 290 metres.")


def test_crossing_unknowns_by_verbosity() -> None:
    unknown = m("cross", 10, crossing=crossing(streets=[{"name": "Parkstraße", "highway": "residential"}],
                                               control="unknown", signals="unknown"))
    assert say(unknown, "de", DETAILED) == (
        "Überqueren Sie die Parkstraße. Das ist eine Wohnstraße. Ob es eine Ampel, einen Zebrastreifen oder "
        "Bodenindikatoren gibt, ist nicht bekannt.")
    assert say(unknown, "en", DETAILED) == (
        "Cross Parkstraße. It is a residential street. It is not known whether there is a traffic light, a zebra "
        "crossing or tactile paving.")
    assert say(unknown, "de") == "Die Parkstraße überqueren, ohne Angaben."
    assert say(unknown, "en") == "Cross Parkstraße, no data."
    assert say(unknown, "de", BRIEF) == "Die Parkstraße überqueren."
    assert say(unknown, "en", BRIEF) == "Cross Parkstraße."
    # What is known is said; what is not is left to the route summary below normal.
    acoustic = m("cross", 10, crossing=crossing(tactile_paving="no"))
    assert say(acoustic, "de") == (
        "Die Mainzer Straße mit 4 Fahrstreifen an der Ampel überqueren. Es gibt keine Bodenindikatoren.")
    assert say(acoustic, "en") == (
        "Cross Mainzer Straße with 4 lanes at the traffic lights. There is no tactile paving.")
    assert say(acoustic, "de", DETAILED).endswith(
        "Es gibt keine Bodenindikatoren. Ob es ein Blindensignal gibt, ist nicht bekannt.")


def driveway(at: float, **facts: Any) -> Maneuver:
    """A crossing of an unnamed service road, walked along the sidewalk of Parkstraße."""
    return m("cross", at, street="", way="footway", crossing=crossing(
        streets=[{"name": "", "highway": "service"}], control="unknown", signals="unknown", **facts))


def test_a_run_of_driveways_is_one_sentence() -> None:
    route = [m("depart", 0, street="", way="footway", compass="north"),
             *(driveway(at) for at in (20, 65, 110, 160, 205, 248)), m("arrive", 300, side="ahead", offset_m=0.0)]
    said = instructions(route, "de")
    assert [i.text for i in said] == [
        "Nach Norden auf dem Fußweg gehen.",
        "Auf den nächsten 230 Metern 6 Zufahrten überqueren, ohne Angaben.",
        "Ziel erreicht.",
    ]
    assert said[1].type == "driveways" and said[1].maneuver["crossing"]["distances_m"] == [20, 65, 110, 160, 205, 248]
    assert instructions(route, "en")[1].text == "Cross 6 access roads over the next 230 metres, no data."
    assert instructions(route, "de", BRIEF)[1].text == "Auf den nächsten 230 Metern 6 Zufahrten überqueren."
    assert instructions(route, "de", PACES)[1].text == (
        "Auf den nächsten etwa 330 Schritten 6 Zufahrten überqueren, ohne Angaben.")
    # Detailed says every driveway with what is not known about it.
    assert sum(i.type == "cross" for i in instructions(route, "de", DETAILED)) == 6


def test_a_side_street_on_one_side_of_a_walk_along_a_road_is_said_as_joining() -> None:
    """Walking along a road with no sidewalk mapped, a side street on one side is crossed only on that sidewalk,
    and the map does not say which is walked: it is said as joining there, not as crossed."""
    def joining(at: float, name: str, side: str, highway: str = "residential", **facts: Any) -> Maneuver:
        return m("cross", at, street="Parkstraße", way="residential", crossing=crossing(
            streets=[{"name": name, "highway": highway, "side": side}], **{"control": "unknown",
                                                                           "signals": "unknown", **facts}))

    start = m("depart", 0, street="Parkstraße", way="residential", compass="north")
    route = [start, joining(40, "Birkenstraße", "right"), joining(90, "Birkenstraße", "right"),
             joining(150, "Freier Wasen", "left", tactile_paving="yes"), joining(210, "", "left", "cycleway"),
             m("arrive", 260, side="ahead", offset_m=0.0)]
    assert [i.text for i in instructions(route, "de")][1:5] == [
        "Rechts mündet die Birkenstraße ein, ohne Angaben.",
        "Rechts mündet noch einmal die Birkenstraße ein, ohne Angaben.",
        "Links mündet der Freie Wasen ein. Es gibt Bodenindikatoren.",
        "Links mündet ein Radweg ein, ohne Angaben."]
    assert [i.text for i in instructions(route, "en")][1:5] == [
        "Birkenstraße joins on your right, no data.", "Birkenstraße joins on your right again, no data.",
        "Freier Wasen joins on your left. There is tactile paving.", "A cycle path joins on your left, no data."]
    # Lights of the junction are said with it; a turn before it is its own sentence, not "... und rechts mündet".
    lit = joining(40, "Birkenstraße", "right", signals="yes")
    assert say(lit, "de") == "Rechts mündet die Birkenstraße an einer Ampelkreuzung ein."
    turn = m("turn", 37, street="Parkstraße", way="residential", modifier="slight_right")
    assert [i.text for i in instructions([turn, lit], "de")] == [
        "Leicht rechts in die Parkstraße abbiegen. Rechts mündet die Birkenstraße an einer Ampelkreuzung ein."]
    # Driveways on one side are one run of their own, said as joining on that side.
    driveways = [start, *(joining(at, "", "left", "service") for at in (20, 50, 80)),
                 joining(110, "", "right", "service"), m("arrive", 200, side="ahead", offset_m=0.0)]
    assert [i.text for i in instructions(driveways, "de")][1:3] == [
        "Auf den nächsten 60 Metern münden links 3 Zufahrten ein, ohne Angaben.",
        "Rechts mündet eine Zufahrt ein, ohne Angaben."]
    assert instructions(driveways, "en")[1].text == (
        "Over the next 60 metres, 3 access roads join on your left, no data.")


def test_a_driveway_with_a_known_fact_breaks_the_run() -> None:
    route = [m("depart", 0, street="", way="footway", compass="north"), driveway(20), driveway(65),
             driveway(110, tactile_paving="yes"), driveway(160), driveway(205),
             m("landmark", 230, landmark={"kind": "bus_stop", "name": "Parkstraße", "side": "left"}), driveway(250),
             m("arrive", 460, side="ahead", offset_m=0.0)]
    assert [i.text for i in instructions(route, "de")] == [
        "Nach Norden auf dem Fußweg gehen.",
        "Auf den nächsten 45 Metern 2 Zufahrten überqueren, ohne Angaben.",
        "Eine Zufahrt überqueren. Es gibt Bodenindikatoren.",
        "Auf den nächsten 45 Metern 2 Zufahrten überqueren, ohne Angaben.",
        "Bushaltestelle Parkstraße links.",
        "Eine Zufahrt überqueren, ohne Angaben. Dann 210 Meter weiter.",
        "Ziel erreicht.",
    ]


def test_crossings_at_one_spot_said_alike_are_one_sentence() -> None:
    def street(name: str, **facts: Any) -> dict[str, Any]:
        return crossing(streets=[{"name": name, "highway": "residential"}], control="unknown", signals="unknown",
                        **facts)

    spot = [m("cross", 50, crossing=street("Wagnerstraße")), m("cross", 54, crossing=street("Rußgasse"))]
    assert [i.text for i in instructions(spot, "de")] == [
        "Die Wagnerstraße und die Rußgasse überqueren, ohne Angaben."]
    assert [i.text for i in instructions(spot, "en")] == ["Cross Wagnerstraße and Rußgasse, no data."]
    assert [i.text for i in instructions(spot, "de", BRIEF)] == ["Die Wagnerstraße und die Rußgasse überqueren."]
    turn = m("turn", 48, street="Rußgasse", way="residential", modifier="left")
    assert [i.text for i in instructions([turn, *spot], "de")] == [
        "Links in die Rußgasse abbiegen und die Wagnerstraße und die Rußgasse überqueren, ohne Angaben."]
    # A crossing with a fact of its own keeps its sentences.
    paved = [spot[0], m("cross", 54, crossing=street("Rußgasse", tactile_paving="yes"))]
    assert [i.text for i in instructions(paved, "de")] == [
        "Die Wagnerstraße überqueren, ohne Angaben. Die Rußgasse überqueren. Es gibt Bodenindikatoren."]


def test_route_summary_says_the_unknowns_once() -> None:
    def depart(lacking: int, total: int, facts: list[str]) -> Maneuver:
        return m("depart", street="Fackelstraße", way="pedestrian", compass="east",
                 unknowns={"crossings": total, "lacking": lacking, "facts": facts})

    both = ["control", "tactile_paving"]
    assert say(depart(12, 15, both), "de") == (
        "Nach Osten auf der Fackelstraße gehen. Zu 12 der 15 Querungen fehlen Angaben zu Ampel oder "
        "Bodenindikatoren.")
    assert say(depart(12, 15, both), "en") == (
        "Walk east along Fackelstraße. 12 of the 15 crossings lack data on traffic lights or tactile paving.")
    assert say(depart(3, 3, ["acoustic_signal"]), "de") == (
        "Nach Osten auf der Fackelstraße gehen. Zu allen 3 Querungen fehlen Angaben zu Blindensignal.")
    assert say(depart(1, 1, ["tactile_paving"]), "en", DETAILED) == (
        "Walk east along Fackelstraße. The one crossing lacks data on tactile paving.")
    assert say(depart(1, 1, ["tactile_paving"]), "de") == (
        "Nach Osten auf der Fackelstraße gehen. Zur einzigen Querung fehlen Angaben zu Bodenindikatoren.")
    assert say(depart(12, 15, both), "de", BRIEF) == "Nach Osten auf der Fackelstraße gehen."
    assert say(depart(0, 15, []), "de") == "Nach Osten auf der Fackelstraße gehen."
    # Two crossings are "beide", one of several "eine": not "allen 2", "1 der 5".
    assert say(depart(2, 2, both), "de") == (
        "Nach Osten auf der Fackelstraße gehen. Zu beiden Querungen fehlen Angaben zu Ampel oder Bodenindikatoren.")
    assert say(depart(2, 2, both), "en") == (
        "Walk east along Fackelstraße. Both crossings lack data on traffic lights or tactile paving.")
    assert say(depart(1, 5, both), "de") == (
        "Nach Osten auf der Fackelstraße gehen. Zu einer der 5 Querungen fehlen Angaben zu Ampel oder "
        "Bodenindikatoren.")
    assert say(depart(1, 5, both), "en") == (
        "Walk east along Fackelstraße. One of the 5 crossings lacks data on traffic lights or tactile paving.")
    assert say(depart(12, 15, both), "de", DETAILED) == (
        "Gehen Sie nach Osten auf der Fackelstraße. Zu 12 der 15 Querungen fehlen Angaben zu Ampel oder "
        "Bodenindikatoren.")


def test_no_data_at_each_crossing_only_where_the_summary_leaves_it_open() -> None:
    """Where the summary says every crossing lacks data, "ohne Angaben" at each tells nothing more and is left out;
    where only some do, it tells which."""
    def route(lacking: int, total: int) -> list[Maneuver]:
        return [m("depart", 0, street="Parkstraße", way="residential", compass="north",
                  unknowns={"crossings": total, "lacking": lacking, "facts": ["control", "tactile_paving"]}),
                m("cross", 60, crossing=crossing(streets=[{"name": "Mozartstraße", "highway": "residential"}],
                                                 control="unknown", signals="unknown")),
                m("cross", 120, street="", way="footway", crossing=crossing(
                    streets=[{"name": "", "highway": "service"}], control="unknown", signals="unknown")),
                m("cross", 130, street="", way="footway", crossing=crossing(
                    streets=[{"name": "", "highway": "service"}], control="unknown", signals="unknown")),
                m("arrive", 180, side="ahead", offset_m=0.0)]

    assert [i.text for i in instructions(route(3, 3), "de")][1:3] == [
        "Die Mozartstraße überqueren.", "Auf den nächsten 10 Metern 2 Zufahrten überqueren."]
    assert [i.text for i in instructions(route(3, 3), "en")][1:3] == [
        "Cross Mozartstraße.", "Cross 2 access roads over the next 10 metres."]
    assert [i.text for i in instructions(route(3, 4), "de")][1:3] == [
        "Die Mozartstraße überqueren, ohne Angaben.",
        "Auf den nächsten 10 Metern 2 Zufahrten überqueren, ohne Angaben."]
    assert instructions(route(3, 3), "de", DETAILED)[1].text.endswith(
        "Ob es eine Ampel, einen Zebrastreifen oder Bodenindikatoren gibt, ist nicht bekannt.")


def test_crossing_lights_without_acoustic_signal() -> None:
    silent = m("cross", 10, crossing=crossing(acoustic_signal="no", vibration="yes", tactile_paving="yes",
                                              streets=[{"name": "Logenstraße", "highway": "tertiary"}]))
    assert say(silent, "de") == ("Die Logenstraße an der Ampel überqueren. Die Ampel hat ein Vibrationssignal, "
                                 "aber kein Blindensignal. Es gibt Bodenindikatoren.")
    assert say(silent, "en") == ("Cross Logenstraße at the traffic lights. The lights have a vibrating signal but "
                                 "no acoustic signal. There is tactile paving.")
    assert say(silent, "de", BRIEF) == ("Die Logenstraße an der Ampel überqueren. "
                                        "Die Ampel hat kein Blindensignal.")


@pytest.mark.parametrize(
    ("control", "de", "de_detailed", "en"),
    [
        ("zebra", "Die Parkstraße am Zebrastreifen überqueren.", "Überqueren Sie die Parkstraße am Zebrastreifen.",
         "Cross Parkstraße at the zebra crossing."),
        ("marked", "Die Parkstraße an einer markierten Stelle ohne Ampel überqueren.",
         "Überqueren Sie die Parkstraße an einer markierten Stelle ohne Ampel.",
         "Cross Parkstraße at a marked crossing without lights."),
        ("unmarked", "Die Parkstraße an einer Stelle ohne Ampel und ohne Markierung überqueren.",
         "Überqueren Sie die Parkstraße an einer Stelle ohne Ampel und ohne Markierung.",
         "Cross Parkstraße at a point without lights or markings."),
    ],
)
def test_crossing_without_lights(control: str, de: str, de_detailed: str, en: str) -> None:
    facts = crossing(streets=[{"name": "Parkstraße", "highway": "residential"}], control=control, signals="no",
                     acoustic_signal="no", vibration="no", tactile_paving="yes", island="no")
    assert say(m("cross", 10, crossing=facts), "de") == de + " Es gibt Bodenindikatoren."
    assert say(m("cross", 10, crossing=facts), "en") == en + " There is tactile paving."
    assert say(m("cross", 10, crossing=facts), "de", DETAILED) == de_detailed + (
        " Das ist eine Wohnstraße. Es gibt Bodenindikatoren, aber keine Mittelinsel.")


def test_crossing_several_and_unnamed_streets() -> None:
    facts = crossing(streets=[{"name": "Rosenstraße", "highway": "residential"},
                              {"name": "Alleestraße", "highway": "residential"},
                              {"name": "", "highway": "service"}], tactile_paving="no")
    assert say(m("cross", 10, crossing=facts), "de") == (
        "Die Rosenstraße, die Alleestraße und eine Zufahrt an der Ampel überqueren. Es gibt keine "
        "Bodenindikatoren.")
    assert say(m("cross", 10, crossing=facts), "en").startswith(
        "Cross Rosenstraße, Alleestraße and an access road at the traffic lights.")
    link = crossing(streets=[{"name": "", "highway": "secondary_link"}], control="zebra", signals="no",
                    acoustic_signal="no", tactile_paving="yes")
    assert say(m("cross", 10, crossing=link), "de") == (
        "Eine Abbiegespur am Zebrastreifen überqueren. Es gibt Bodenindikatoren.")
    nothing = crossing(streets=[], control="zebra", signals="no", acoustic_signal="no", tactile_paving="no")
    assert say(m("cross", 10, crossing=nothing), "de") == (
        "Die Fahrbahn am Zebrastreifen überqueren. Es gibt keine Bodenindikatoren.")


def test_crossing_the_same_street_again() -> None:
    facts = crossing(streets=[{"name": "Brahmsstraße", "highway": "residential"}], control="zebra")
    said = instructions([m("cross", 10, crossing=facts), m("cross", 20, crossing=dict(facts))], "de")
    assert said[1].text.startswith("Die Brahmsstraße noch einmal am Zebrastreifen überqueren.")
    said = instructions([m("cross", 10, crossing=facts), m("cross", 20, crossing=dict(facts))], "en")
    assert said[1].text.startswith("Cross Brahmsstraße again at the zebra crossing.")
    # Another street, or an unnamed road after an unnamed road, is no "again".
    other = crossing(streets=[{"name": "Parkstraße", "highway": "residential"}], control="zebra")
    said = instructions([m("cross", 10, crossing=facts), m("cross", 20, crossing=other)], "de")
    assert said[1].text.startswith("Die Parkstraße am Zebrastreifen überqueren.")
    service = crossing(streets=[{"name": "", "highway": "service"}], control="zebra")
    said = instructions([m("cross", 10, crossing=service), m("cross", 20, crossing=dict(service))], "de")
    assert [i.text for i in said] == ["Eine Zufahrt am Zebrastreifen überqueren."] * 2
    # A street said as joining and then crossed is crossed once as far as the walker was told: no "noch einmal".
    joining = crossing(streets=[{"name": "Königstraße", "highway": "secondary", "side": "right"}],
                       control="unknown")
    crossed = crossing(streets=[{"name": "Königstraße", "highway": "secondary"}], control="unknown")
    said = instructions([m("cross", 10, crossing=joining), m("cross", 80, crossing=crossed)], "de")
    assert [i.text for i in said] == [
        "Rechts mündet die Königstraße an einer Ampelkreuzung ein. Das ist eine große Straße.",
        "Die Königstraße an einer Ampelkreuzung überqueren. Das ist eine große Straße."]
    # Crossed again, its size is not said again below detailed: it was said a moment ago.
    said = instructions([m("cross", 10, crossing=crossed), m("cross", 14, crossing=dict(crossed))], "de")
    assert [i.text for i in said] == [
        "Die Königstraße an einer Ampelkreuzung überqueren. Das ist eine große Straße. Die Königstraße noch einmal "
        "an einer Ampelkreuzung überqueren."]
    said = instructions([m("cross", 10, crossing=crossed), m("cross", 14, crossing=dict(crossed))], "en")
    assert [i.text for i in said] == [
        "Cross Königstraße at a signalled junction. It is a major road. Cross Königstraße again at a signalled "
        "junction."]


def test_detailed_keeps_the_full_german_sentences() -> None:
    """Brief and normal speak German in the short form of navigation systems (the infinitive); detailed in full
    sentences, each maneuver type alike."""
    route = [m("depart", 0, street="", way="footway", compass="east"),
             m("turn", 30, street="Marktstraße", way="pedestrian", modifier="right", clock=3),
             m("cross", 32, crossing=crossing(streets=[{"name": "Eisenbahnstraße", "highway": "tertiary"}],
                                              acoustic_signal="yes", tactile_paving="yes")),
             m("enter", 34, area="pedestrian_zone", street="Marktstraße", way="pedestrian"),
             m("steps", 60, street="", way="steps", steps={"direction": "up", "step_count": 12, "handrail": "yes"}),
             m("elevator", 70),
             m("fork", 80, street="Stiftsplatz", way="pedestrian", modifier="keep_left", clock=12),
             m("arrive", 100, side="ahead", offset_m=0.0)]
    assert [i.text for i in instructions(route, "de")] == [
        "Nach Osten auf dem Fußweg gehen.",
        "Rechts in die Marktstraße abbiegen und die Eisenbahnstraße an der Ampel überqueren. Die Ampel hat ein "
        "Blindensignal. Es gibt Bodenindikatoren. Ein Fußgängerbereich beginnt.",
        "12 Stufen hinaufgehen. Es gibt einen Handlauf.",
        "Den Aufzug nehmen.",
        "Links halten und auf den Stiftsplatz gehen.",
        "Ziel erreicht.",
    ]
    assert [i.text for i in instructions(route, "de", DETAILED)] == [
        "Gehen Sie nach Osten auf dem Fußweg.",
        "Biegen Sie rechts in die Marktstraße ab und überqueren Sie die Eisenbahnstraße an der Ampel. Das ist eine "
        "mittelgroße Straße. Die Ampel hat ein Blindensignal. Es gibt Bodenindikatoren. Sie betreten einen "
        "Fußgängerbereich.",
        "Gehen Sie die Treppe mit 12 Stufen hinauf. Es gibt einen Handlauf.",
        "Nehmen Sie den Aufzug.",
        "Halten Sie sich links und gehen Sie auf den Stiftsplatz.",
        "Sie haben Ihr Ziel erreicht.",
    ]


# ---------------------------------------------------------------------------------------------- steps
@pytest.mark.parametrize(
    ("facts", "options", "de", "en"),
    [
        ({"direction": "up", "step_count": 12, "handrail": "yes", "ramp": "unknown"}, NORMAL,
         "12 Stufen hinaufgehen. Es gibt einen Handlauf.",
         "Go up 12 steps. There is a handrail."),
        ({"direction": "down", "step_count": None, "handrail": "unknown", "ramp": "unknown"}, DETAILED,
         "Gehen Sie die Treppe hinunter. Nicht bekannt ist, wie viele Stufen es sind und ob es einen Handlauf gibt.",
         "Go down the steps. It is not known how many steps there are and whether there is a handrail."),
        ({"direction": "down", "step_count": None, "handrail": "unknown", "ramp": "unknown"}, NORMAL,
         "Die Treppe hinuntergehen.", "Go down the steps."),
        ({"direction": "down", "step_count": None, "handrail": "unknown", "ramp": "unknown"}, BRIEF,
         "Die Treppe hinuntergehen.", "Go down the steps."),
        ({"direction": "down", "step_count": 1, "handrail": "no", "ramp": "yes"}, NORMAL,
         "Eine Stufe hinuntergehen. Es gibt eine Rampe, aber keinen Handlauf.",
         "Go down one step. There is a ramp but no handrail."),
        ({"direction": "unknown", "step_count": 39, "handrail": "unknown", "ramp": "unknown"}, BRIEF,
         "Achtung, eine Treppe mit 39 Stufen. Nicht bekannt ist, ob es hinauf oder hinunter geht.",
         "Caution, 39 steps. It is not known whether you go up or down."),
        ({}, NORMAL, "Achtung, eine Treppe. Nicht bekannt ist, ob es hinauf oder hinunter geht.",
         "Caution, steps. It is not known whether you go up or down."),
        ({}, DETAILED,
         ("Achtung, eine Treppe. Nicht bekannt ist, ob es hinauf oder hinunter geht, wie viele Stufen es sind und "
          "ob es einen Handlauf gibt."),
         ("Caution, steps. It is not known whether you go up or down, how many steps there are and whether there "
          "is a handrail.")),
    ],
)
def test_steps(facts: dict[str, Any], options: WordingOptions, de: str, en: str) -> None:
    steps = m("steps", 10, steps=facts, street="", way="steps")
    assert say(steps, "de", options) == de
    assert say(steps, "en", options) == en


# ---------------------------------------------------------------------------------------------- on the way
@pytest.mark.parametrize(
    ("maneuver", "de", "en"),
    [
        (m("elevator", 10), "Den Aufzug nehmen.", "Take the lift."),
        (m("barrier", 10, barrier="bollard"), "Achtung, Poller.", "Caution, bollard."),
        (m("barrier", 10, barrier="cycle_barrier"), "Achtung, Umlaufsperre.", "Caution, cycle barrier."),
        (m("barrier", 10, barrier="kerb"), "Achtung, Bordstein.", "Caution, kerb."),
        (m("barrier", 10, barrier="something_new"), "Achtung, ein Hindernis auf dem Weg.",
         "Caution, an obstacle on the way."),
        (m("barrier", 10, barrier="entrance"), "Sie gehen durch einen Durchgang in einer Mauer oder einem Zaun.",
         "You go through an opening in a wall or fence."),
        (m("barrier", 10, barrier="chain"), "Achtung, Absperrkette.", "Caution, a chain across the way."),
        (m("enter", 10, area="pedestrian_zone", street="Fackelstraße", way="pedestrian"),
         "Ein Fußgängerbereich beginnt.", "You enter a pedestrian area."),
        (m("enter", 10, area="shared_space", street="Frachtstraße", way="living_street"),
         "Ein verkehrsberuhigter Bereich mit Autos im Schritttempo beginnt.",
         "You enter a shared street with cars at walking pace."),
        (m("bridge", 10, street=""), "Sie gehen über eine Brücke.", "You cross a bridge."),
        (m("tunnel", 10, street=""), "Sie gehen durch eine Unterführung.", "You go through an underpass."),
        (m("warning", 10, warning={"kind": "head_height_object", "severity": "penalty"}),
         "Achtung, Hindernis auf Kopfhöhe! Der Langstock ertastet es nicht.",
         "Caution, head-height obstacle! A cane will not detect it."),
        (m("warning", 10, warning={"kind": "construction", "severity": "penalty"}),
         "Achtung, Baustelle. Der Weg kann eng oder uneben sein.",
         "Caution, construction site. The way may be narrow or uneven."),
        (m("warning", 10, warning={"kind": "construction", "severity": "note"}),
         "Unbestätigte Meldung: Baustelle.", "Unconfirmed report: construction site."),
        (m("warning", 10, warning={"kind": "something_new", "severity": "note"}),
         "Unbestätigte Meldung: Hindernis.", "Unconfirmed report: obstacle."),
        (m("arrive", 100, side="ahead", offset_m=0.5), "Ziel erreicht.", "You have arrived."),
        (m("arrive", 100, side="left", offset_m=12.1),
         "Ziel erreicht. Es liegt links, 10 Meter vom Weg entfernt.",
         "You have arrived. It is on your left, 10 metres from the path."),
        (m("arrive", 100, side="right", offset_m=4.0),
         "Ziel erreicht. Es liegt rechts, weniger als 10 Meter vom Weg entfernt.",
         "You have arrived. It is on your right, less than 10 metres from the path."),
    ],
)
def test_other_maneuvers(maneuver: Maneuver, de: str, en: str) -> None:
    assert say(maneuver, "de") == de
    assert say(maneuver, "en") == en


@pytest.mark.parametrize(
    ("landmark", "de", "en"),
    [
        ({"kind": "bus_stop", "name": "Rathaus", "side": "left"}, "Bushaltestelle Rathaus links.",
         "Bus stop Rathaus on your left."),
        ({"kind": "pharmacy", "name": "Markt-Apotheke", "side": "right"}, "Markt-Apotheke rechts.",
         "Markt-Apotheke on your right."),
        ({"kind": "doctors", "name": "Dr. Rahimi", "side": "right"}, "Arztpraxis Doktor Rahimi rechts.",
         "Doctor's practice Doktor Rahimi on your right."),
        ({"kind": "shop", "name": "H&M", "side": "left"}, "Geschäft H und M links.", "Shop H and M on your left."),
        ({"kind": "restaurant", "name": "21 - twentyone.", "side": "left"}, "Restaurant 21, twentyone links.",
         "Restaurant 21, twentyone on your left."),
        ({"kind": "entrance", "name": "", "side": "right"}, "Ein Eingang rechts.", "An entrance on your right."),
        ({"kind": "theatre", "name": "Pfalztheater", "side": "left"}, "Pfalztheater links.",
         "Pfalztheater on your left."),
        ({"kind": "library", "name": "Stadtbibliothek", "side": "right"}, "Stadtbibliothek rechts.",
         "Stadtbibliothek on your right."),
        # A name that says its kind in another word is not preceded by the kind either.
        ({"kind": "kindergarten", "name": "KiTa Tausendfüssler", "side": "left"}, "KiTa Tausendfüssler links.",
         "KiTa Tausendfüssler on your left."),
        ({"kind": "place_of_worship", "name": "Stephanuskirche", "side": "right"}, "Stephanuskirche rechts.",
         "Stephanuskirche on your right."),
        ({"kind": "place_of_worship", "name": "St. Norbert", "side": "right"}, "Gotteshaus Sankt Norbert rechts.",
         "Place of worship Sankt Norbert on your right."),
        ({"kind": "bus_stop", "name": "Rathaus", "side": "on_way"}, "Bushaltestelle Rathaus am Weg.",
         "Bus stop Rathaus along the way."),
        ({"kind": "station", "name": "Kaiserslautern Hbf", "side": "left"}, "Kaiserslautern Hauptbahnhof links.",
         "Kaiserslautern Hauptbahnhof on your left."),
    ],
)
def test_landmark(landmark: dict[str, Any], de: str, en: str) -> None:
    said = m("landmark", 10, landmark={**landmark, "osm_id": 1})
    assert say(said, "de", DETAILED) == de
    assert say(said, "en", DETAILED) == en


def test_landmarks_by_verbosity() -> None:
    def landmark(at: float, kind: str, name: str) -> Maneuver:
        return m("landmark", at, landmark={"kind": kind, "name": name, "osm_id": int(at), "side": "left"})

    route = [m("depart", street="Fackelstraße", way="pedestrian", compass="east"),
             landmark(20, "shop", "Dorner"), landmark(50, "shop", "Depot"), landmark(100, "bus_stop", "Rathaus"),
             landmark(105, "bus_stop", "Rathaus"), landmark(150, "cafe", "Café Bremer"),
             landmark(170, "entrance", ""), m("arrive", 200, side="ahead", offset_m=0.0)]
    kinds = {options.verbosity: [i.text for i in instructions(route, "de", options)]
             for options in (BRIEF, NORMAL, DETAILED)}
    # Brief says the walk on from 300 m only.
    assert kinds["brief"] == ["Nach Osten auf der Fackelstraße gehen.", "Ziel erreicht."]
    # A bus stop always; in each stretch over 80 m one named landmark nearest its middle; a stop said twice once.
    assert kinds["normal"] == ["Nach Osten auf der Fackelstraße gehen.",
                               "Geschäft Depot links.",
                               "Bushaltestelle Rathaus links.",
                               "Café Bremer links.",
                               "Ziel erreicht."]
    assert len(kinds["detailed"]) == 7
    assert "Ein Eingang links." in kinds["detailed"]


# ---------------------------------------------------------------------------------------------- whole lists
def test_then_is_said_when_the_next_instruction_is_far() -> None:
    route = [m("depart", street="Fackelstraße", way="pedestrian", compass="east"),
             m("turn", 20, street="Marktstraße", way="pedestrian", modifier="left", clock=9),
             m("enter", 20, area="pedestrian_zone", street="Marktstraße", way="pedestrian"),
             m("turn", 243, street="Stiftsplatz", way="pedestrian", modifier="right", clock=3),
             m("arrive", 250, side="ahead", offset_m=0.0)]
    said = instructions(route, "de")
    assert [i.text for i in said] == [
        "Nach Osten auf der Fackelstraße gehen.",
        "Links in die Marktstraße abbiegen. Ein Fußgängerbereich beginnt. Dann 220 Meter weiter.",
        "Rechts auf den Stiftsplatz abbiegen. Ziel erreicht.",
    ]
    assert [i.then_m for i in said] == [20.0, 223.0, None]
    assert [i.type for i in said] == ["depart", "turn", "arrive"]
    assert instructions(route, "en")[1].text == \
        "Turn left onto Marktstraße. You enter a pedestrian area. Then continue for 220 metres."
    assert instructions(route, "de", PACES)[1].text.endswith(
        "Ein Fußgängerbereich beginnt. Dann etwa 320 Schritte weiter.")
    # A walk on of 123 m is said only when detailed: at normal the next instruction's early message tells it.
    route[3].distance_m, route[4].distance_m = 143, 150
    assert instructions(route, "de")[1].text == "Links in die Marktstraße abbiegen. Ein Fußgängerbereich beginnt."
    assert instructions(route, "de", DETAILED)[1].text == (
        "Biegen Sie links in die Marktstraße ab. Sie betreten einen Fußgängerbereich. Dann 120 Meter weiter.")


def test_one_message_per_spot() -> None:
    lights = crossing(streets=[{"name": "Eisenbahnstraße", "highway": "tertiary"}], acoustic_signal="yes")
    route = [m("depart", street="Fackelstraße", way="pedestrian", compass="east"),
             m("enter", 40, area="pedestrian_zone", street="Marktstraße", way="pedestrian"),
             m("cross", 37, crossing=lights),
             m("turn", 35, street="Marktstraße", way="pedestrian", modifier="right", angle_deg=90.0, clock=3),
             m("barrier", 60, barrier="bollard"), m("barrier", 62, barrier="bollard"),
             m("arrive", 150, side="ahead", offset_m=0.0)]
    said = instructions(route, "de")
    assert [i.text for i in said] == [
        "Nach Osten auf der Fackelstraße gehen.",
        "Rechts in die Marktstraße abbiegen und die Eisenbahnstraße an der Ampel überqueren. Die Ampel hat ein "
        "Blindensignal. Ein Fußgängerbereich beginnt.",
        "Achtung, Poller.",
        "Ziel erreicht.",
    ]
    assert said[1].type == "turn" and said[1].distance_m == 35
    assert [a["type"] for a in said[1].also] == ["cross", "enter"]
    assert instructions(route, "en")[1].text == (
        "Turn right onto Marktstraße and cross Eisenbahnstraße at the traffic lights. The lights have an acoustic "
        "signal. You enter a pedestrian area.")


def test_steps_before_a_turn_at_one_spot_are_said_first() -> None:
    """Steps walked down just before a turn are said before it, as walked; steps after the turn after it."""
    turn = m("turn", 54, street="Malzstraße", way="residential", modifier="left")
    down = m("steps", 50, steps={"direction": "down", "step_count": 4})
    assert [i.text for i in instructions([down, turn], "de")] == [
        "4 Stufen hinuntergehen. Links in die Malzstraße abbiegen."]
    assert [i.text for i in instructions([down, turn], "en")] == ["Go down 4 steps. Turn left onto Malzstraße."]
    later = m("steps", 58, steps={"direction": "down", "step_count": 4})
    assert [i.text for i in instructions([turn, later], "de")] == [
        "Links in die Malzstraße abbiegen. 4 Stufen hinuntergehen."]


def test_a_zigzag_across_a_street_is_one_crossing() -> None:
    zebra = crossing(streets=[{"name": "Donnersbergstraße", "highway": "residential"}], control="zebra",
                     signals="no", acoustic_signal="no", vibration="no")
    route = [m("depart", street="", way="footway", compass="south"),
             m("turn", 50, street="Donnersbergstraße", way="residential", modifier="right", angle_deg=88.0, clock=3),
             m("cross", 51, crossing=zebra),
             m("turn", 51.3, street="", way="footway", modifier="left", angle_deg=-85.0, clock=9),
             m("turn", 150, street="Parkstraße", way="residential", modifier="left", angle_deg=-80.0, clock=9),
             m("arrive", 200, side="ahead", offset_m=0.0)]
    for lang, crossed, turned in (
            ("de", "Die Donnersbergstraße am Zebrastreifen überqueren.",
             "Links in die Parkstraße abbiegen."),
            ("en", "Cross Donnersbergstraße at the zebra crossing.",
             "Turn left onto Parkstraße.")):
        said = instructions(route, lang)
        assert [i.text for i in said][1:3] == [crossed, turned]
    # Two turns at one spot that do not cancel out are one turn.
    sharp = [m("depart", street="", way="footway", compass="south"),
             m("turn", 50, street="", way="service", modifier="right", angle_deg=50.0, clock=2),
             m("turn", 53, street="Parkstraße", way="residential", modifier="right", angle_deg=45.0, clock=2),
             m("arrive", 260, side="ahead", offset_m=0.0)]
    assert instructions(sharp, "de")[1].text == "Rechts in die Parkstraße abbiegen. Dann 210 Meter weiter."


def test_instruction_fields() -> None:
    route = [m("depart", street="Fackelstraße", way="pedestrian", compass="east"),
             m("arrive", 42.04, side="ahead", offset_m=0.0)]
    first = instructions(route, "en")[0]
    assert isinstance(first, Instruction)
    assert first.to_dict() == {
        "index": 0, "type": "depart", "distance_m": 0.0, "lat": 49.44, "lon": 7.77,
        "text": "Walk east along Fackelstraße.", "then_m": 42.0,
        "maneuver": {"type": "depart", "distance_m": 0.0, "lat": 49.44, "lon": 7.77, "street": "Fackelstraße",
                     "way": "pedestrian", "compass": "east"},
        "also": [],
    }
    assert json.dumps([i.to_dict() for i in instructions(route, "de")], ensure_ascii=False)


def test_long_texts_are_cut_to_the_limit() -> None:
    names = ["Professor-Doktor-Friedrich-Wilhelm-Raiffeisen-Straße", "Kaiserin-Auguste-Viktoria-Allee",
             "Oberbürgermeister-Doktor-Müller-Straße"]
    facts = crossing(streets=[{"name": name, "highway": "primary", "lanes": 4} for name in names],
                     acoustic_signal="yes", vibration="yes", button_operated="no", tactile_paving="yes",
                     island="yes", kerb="raised")
    route = [m("cross", 10, crossing=facts), m("arrive", 400, side="ahead", offset_m=0.0)]
    for lang in ("de", "en"):
        text = instructions(route, lang, DETAILED)[0].text
        assert len(text) <= MAX_CHARS
        assert text.startswith("Überqueren Sie die Professor" if lang == "de" else "Cross Professor")


def test_speakable() -> None:
    assert speakable("Mainzer Str. Nr. 5", "de") == "Mainzer Straße Nummer 5"
    assert speakable("Tempo 30 km/h", "en") == "Tempo 30 kilometres per hour"
    assert speakable("Kaiserslautern Hbf", "en") == "Kaiserslautern Hauptbahnhof"
    assert speakable("  ", "de") == ""


def test_phrase_tables_match() -> None:
    def keys(table: Any, prefix: str = "") -> set[str]:
        if not isinstance(table, dict):
            return {prefix}
        return set().union(*(keys(value, f"{prefix}/{key}") for key, value in table.items()))

    de, en = load_table("de")["guidance"], load_table("en")["guidance"]
    assert keys({**de, "short_form": {}}) == keys({**en, "short_form": {}})
    # A language's short form only replaces templates it has in full: a key of its own would be a typo.
    for table in (de, en):
        short = {key: value for key, value in table.get("short_form", {}).items() if key != "_doc"}
        assert keys(short) <= keys(table), keys(short) - keys(table)

    def texts(table: Any) -> list[str]:
        if isinstance(table, dict):
            return [text for key, value in table.items() if key not in ("_doc", "speech") for text in texts(value)]
        if isinstance(table, list):
            return [text for value in table for text in texts(value)]
        return [table]

    for text in texts(de) + texts(en):
        assert not TIMING.search(text), text


# ---------------------------------------------------------------------------------------------- real routes
@pytest.fixture(scope="module")
def bench_maneuvers(guidance_planner) -> list[tuple[Any, list[Maneuver]]]:
    pairs = json.loads(PAIRS_FILE.read_text(encoding="utf-8"))
    routes = []
    for pair in pairs:
        origin = (pair["from"]["lat"], pair["from"]["lon"])
        destination = (pair["to"]["lat"], pair["to"]["lon"])
        route = plan_route(guidance_planner, origin, destination, "blind")
        routes.append((route, build_maneuvers(guidance_planner, route, destination)))
    return routes


def _said_maneuvers(said: list[Instruction]) -> list[dict[str, Any]]:
    return [maneuver for i in said for maneuver in (i.maneuver, *i.also)]


def _crossings_said(said: list[Instruction]) -> list[float]:
    """Where the crossings told are: each crossing's, and each of a run of driveways'."""
    maneuvers = _said_maneuvers(said)
    return ([m["distance_m"] for m in maneuvers if m["type"] == "cross"]
            + [at for m in maneuvers if m["type"] == "driveways" for at in m["crossing"]["distances_m"]])


@pytest.mark.parametrize("lang", ["de", "en"])
def test_benchmark_routes(bench_maneuvers, lang: str) -> None:
    assert len(bench_maneuvers) == 200
    for route, maneuvers in bench_maneuvers:
        said = instructions(maneuvers, lang)
        crossed = Counter(round(c.distance_m, 1) for c in route.crossings)
        assert Counter(_crossings_said(said)) == crossed
        assert said[0].type == "depart" and said[-1].type == "arrive"
        assert [i.index for i in said] == list(range(len(said)))
        assert json.dumps([i.to_dict() for i in said])
        # One message per spot: the next one comes at least SPOT_M later.
        assert all(b.distance_m - a.distance_m >= SPOT_M for a, b in zip(said, said[1:]))
        for i in said:
            text = i.text
            assert text.strip() and len(text) <= (MAX_SPOT_CHARS if i.also else MAX_CHARS), text
            assert not TIMING.search(text), text
            assert not any(raw in text for raw in RAW), text


@pytest.mark.parametrize("options", [BRIEF, DETAILED, CLOCK, PACES], ids=["brief", "detailed", "clock", "paces"])
def test_benchmark_routes_other_options(bench_maneuvers, options: WordingOptions) -> None:
    for route, maneuvers in bench_maneuvers[::4]:
        for lang in ("de", "en"):
            said = instructions(maneuvers, lang, options)
            assert len(_crossings_said(said)) == len(route.crossings)
            for i in said:
                assert i.text.strip() and len(i.text) <= (MAX_SPOT_CHARS if i.also else MAX_CHARS), i.text


def test_a_turn_at_the_start_is_the_way_to_set_off() -> None:
    """A turn a few metres from the start (a start snapped just past a corner) is not "walk north-west ... turn
    around": the walker sets off the way the route goes after it. With steps before the turn it stays a turn."""
    route = [m("depart", 0, street="", way="footway", compass="northwest", bearing_deg=315.0),
             m("turn", 3, street="Fischerstraße", way="residential", modifier="uturn", angle_deg=180.0, clock=6),
             m("arrive", 100, side="ahead", offset_m=0.0)]
    assert [i.text for i in instructions(route, "de")] == [
        "Nach Südosten auf der Fischerstraße gehen.", "Ziel erreicht."]
    assert [i.text for i in instructions(route, "en")] == ["Walk southeast along Fischerstraße.", "You have arrived."]
    steps = m("steps", 0, street="", way="steps", steps={"direction": "down", "step_count": None, "handrail": "yes"})
    said = instructions([route[0], steps, route[1], route[2]], "de")[0].text
    assert said.startswith("Nach Nordwesten auf dem Fußweg gehen.")
    assert "Umkehren und auf der Fischerstraße weitergehen." in said


def test_straight_on_into_the_street_already_said_is_not_said_again() -> None:
    """A stretch of another name passed straight on is not said below detailed, so straight on back into the
    street walked is no news: only the crossing there is said."""
    route = [m("depart", 0, street="Pariser Straße", way="primary", compass="east"),
             m("continue", 100, street="Georg-Rittersbacher-Platz", way="pedestrian", modifier="straight"),
             m("continue", 150, street="Pariser Straße", way="primary", modifier="straight"),
             m("cross", 152, crossing=crossing(streets=[{"name": "", "highway": "service"}], control="unknown",
                                               signals="unknown")),
             m("arrive", 180, side="ahead", offset_m=0.0)]
    assert [i.text for i in instructions(route, "de")] == [
        "Nach Osten auf der Pariser Straße gehen.", "Eine Zufahrt überqueren, ohne Angaben.", "Ziel erreicht."]
    assert [i.text for i in instructions(route, "en")][1] == "Cross an access road, no data."
    assert [i.text for i in instructions(route, "de", DETAILED)][1:3] == [
        "Gehen Sie geradeaus weiter auf den Georg-Rittersbacher-Platz.",
        "Gehen Sie geradeaus weiter in die Pariser Straße und überqueren Sie eine Zufahrt. Ob es eine Ampel, einen "
        "Zebrastreifen oder Bodenindikatoren gibt, ist nicht bekannt."]


def test_arms_of_one_junction_on_one_side() -> None:
    """Arms of one junction all on the walker's side are separate crossings: each street named in the order met,
    and the number of carriageways said where a street has more than one (a dual carriageway)."""
    three = crossing(streets=[{"name": "Ulmenweg", "highway": "residential"},
                              {"name": "Birkenstraße", "highway": "residential"},
                              {"name": "", "highway": "service"}], control="unknown", signals="unknown",
                     arms=3, arms_side="right")
    assert say(m("cross", 10, crossing=three)) == (
        "Nacheinander den Ulmenweg, die Birkenstraße und eine Zufahrt überqueren, ohne Angaben.")
    assert say(m("cross", 10, crossing=three), "en") == (
        "Cross Ulmenweg, Birkenstraße and an access road one after another, no data.")
    dual = crossing(streets=[{"name": "Trippstadter Straße", "highway": "secondary", "lanes": 4}], control="unknown",
                    signals="unknown", arms=2, arms_side="left")
    # The lanes of the whole street are not said for one of its carriageways.
    assert say(m("cross", 10, crossing=dual)) == (
        "Die Trippstadter Straße mit 2 Fahrbahnen nacheinander überqueren, ohne Angaben.")
    assert say(m("cross", 10, crossing=dual), "en") == (
        "Cross 2 carriageways one after another: Trippstadter Straße, no data.")
