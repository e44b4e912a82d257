"""Offline destination search on the Kaiserslautern extract."""

from __future__ import annotations

import pytest

from routing.geocoder import Geocoder, fold


@pytest.fixture(scope="module")
def geocoder(city_graph):
    return Geocoder(city_graph)


STIFTSKIRCHE = (49.4447, 7.7690)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Fackelstraße 12", ["fackelstrasse", "12"]),
        ("fackelstr 12", ["fackelstrasse", "12"]),
        ("Mainzer Str. 5", ["mainzer", "strasse", "5"]),
        ("Kaiserslautern Hbf", ["kaiserslautern", "hauptbahnhof"]),
        ("Rudolf-Breitscheid-Straße", ["rudolf", "breitscheid", "strasse"]),
        ("Bäckerei Müller", ["baeckerei", "mueller"]),
        ("!!!", []),
    ],
)
def test_queries_and_names_fold_to_the_same_words(text, words):
    assert fold(text) == words


def test_an_address_with_its_house_number_is_found_either_spelling(geocoder):
    for query in ("Fackelstraße 3", "fackelstrasse 3", "Fackelstr 3", "fackelstr. 3"):
        first = geocoder.search(query, STIFTSKIRCHE)[0]
        assert (first.name, first.kind) == ("Fackelstraße 3", "address")
        assert 49.43 < first.lat < 49.45 and 7.76 < first.lon < 7.78


def test_named_places_stops_and_stations(geocoder):
    assert [(p.name, p.kind) for p in geocoder.search("Pfalztheater")] == [("Pfalztheater", "theatre")]
    assert ("Stiftskirche", "place_of_worship") in [(p.name, p.kind) for p in geocoder.search("stiftskirche")]
    station = geocoder.search("Kaiserslautern Hbf")[0]
    assert (station.name, station.kind) == ("Kaiserslautern Hauptbahnhof", "station")
    stops = geocoder.search("Rathaus", STIFTSKIRCHE)
    assert stops[0].kind == "bus_stop"
    assert len({(p.name, p.kind) for p in stops}) == len(stops)  # several platforms of one stop are said once


def test_streets_are_found_by_the_start_of_their_words(geocoder):
    names = [(p.name, p.kind) for p in geocoder.search("rudolf breit")]
    assert ("Rudolf-Breitscheid-Straße", "street") in names


def test_nothing_found_and_limits(geocoder):
    assert geocoder.search("xyzzy") == []
    assert geocoder.search("   ") == []
    assert len(geocoder.search("a", limit=3)) == 3
    assert len(geocoder.search("apotheke", limit=20)) > 5


def test_the_nearest_of_equal_matches_comes_first(geocoder, city_graph):
    near_a = geocoder.search("apotheke", (49.4447, 7.7690))[0]
    near_b = geocoder.search("apotheke", (49.4265, 7.7510))[0]
    assert near_a != near_b
