"""Street names as spoken text: abbreviations, gender, phrases, lists."""

import pytest

from routing.guidance.names import (
    expand_abbreviations,
    has_own_preposition,
    join_names,
    street_gender,
    street_object,
    street_phrase,
)


@pytest.mark.parametrize(
    ("name", "lang", "expected"),
    [
        ("Mainzer Str.", "de", "Mainzer Straße"),
        ("Mainzer Str.", "en", "Mainzer Straße"),
        ("Fackelstr.", "de", "Fackelstraße"),
        ("Martin-Luther-Str.", "de", "Martin-Luther-Straße"),
        ("Marktpl.", "de", "Marktplatz"),
        ("Stifts Pl.", "de", "Stifts Platz"),
        ("Hbf", "de", "Hauptbahnhof"),
        ("Kaiserslautern Hbf", "de", "Kaiserslautern Hauptbahnhof"),
        ("Kaiserslautern Hbf.", "en", "Kaiserslautern Hauptbahnhof"),
        ("Kaiserslautern-West Bf.", "de", "Kaiserslautern-West Bahnhof"),
        ("St. Martin", "de", "Sankt Martin"),
        ("St.-Marien-Platz", "en", "Sankt-Marien-Platz"),
        ("Prof.-Dr.-Müller-Str.", "de", "Professor-Doktor-Müller-Straße"),
        ("Müller & Söhne", "de", "Müller und Söhne"),
        ("Müller & Söhne", "en", "Müller and Söhne"),
        ("Fackelstraße/Mainzer Str.", "de", "Fackelstraße, Mainzer Straße"),
        ("Fackelstraße / Mainzer Straße", "en", "Fackelstraße, Mainzer Straße"),
        ("Pfalztheater (Haupteingang)", "de", "Pfalztheater Haupteingang"),
        ("  Fackelstraße  ", "de", "Fackelstraße"),
        ("Kath. Kirche St. Martin", "de", "Katholische Kirche St. Martin"),
        ("Ev. Kita Erfenbach", "en", "Evangelische Kita Erfenbach"),
        ("Prot. Kindertagesstätte", "de", "Protestantische Kindertagesstätte"),
        # An abbreviated adjective takes the gender of the noun after it.
        ("Kath. Schülerhort Maria Schutz", "de", "Katholischer Schülerhort Maria Schutz"),
        ("Ev. Gemeindehaus", "en", "Evangelisches Gemeindehaus"),
        ("Uni- Shop", "de", "Uni-Shop"),
        ("Nord- und Südseite", "de", "Nord- und Südseite"),
        # No abbreviation inside ordinary words.
        ("Stadtstraße", "de", "Stadtstraße"),
        ("Steinstraße", "de", "Steinstraße"),
        ("Eisenbahnstraße", "de", "Eisenbahnstraße"),
    ],
)
def test_expand_abbreviations(name: str, lang: str, expected: str) -> None:
    assert expand_abbreviations(name, lang) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Fackelstraße", "f"),
        ("Eisenbahnstraße", "f"),
        ("Kanalstraße", "f"),
        ("Mainzer Straße", "f"),
        ("Mainzer Str.", "f"),
        ("Pariser Strasse", "f"),
        ("Martin-Luther-Straße", "f"),
        ("Große Gasse", "f"),
        ("Alte Brücke", "f"),
        ("Fruchthalle", "f"),
        ("Schillerplatz", "m"),
        ("Stiftsplatz", "m"),
        ("Rosenweg", "m"),
        ("Benzinoring", "m"),
        ("Kaiserslautern Hbf", "m"),
        ("Pfalztheater", "n"),
        ("Pfalzcenter", "n"),
        ("Lauterufer", "n"),
        ("Altes Tor", "n"),
        ("Volkspark-Dreieck", "n"),
        ("Rosengärten", "pl"),
        ("Uni-Anlagen", "pl"),
        ("SCHILLERPLATZ", "m"),
        ("Am Altenhof", None),
        ("Kaiserslautern", None),
    ],
)
def test_street_gender(name: str, expected: str | None) -> None:
    assert street_gender(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Am Altenhof", True),
        ("Auf dem Kaiserberg", True),
        ("An der Feuerwache", True),
        ("Zum Wingert", True),
        ("In der Nitz", True),
        ("Unter den Linden", True),
        ("Im Stadtwald", True),
        ("Beim Gasthaus", True),
        ("Fackelstraße", False),
        ("Mainzer Straße", False),
        ("Unterer Weg", False),
        ("Altenhof", False),
    ],
)
def test_has_own_preposition(name: str, expected: bool) -> None:
    assert has_own_preposition(name) is expected


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [
        # into: accusative of direction; squares and bridges take "auf".
        ("Fackelstraße", "into", "in die Fackelstraße"),
        ("Rosenweg", "into", "in den Rosenweg"),
        ("Schillerplatz", "into", "auf den Schillerplatz"),
        ("Pfalzcenter", "into", "ins Pfalzcenter"),
        ("Marktstraße", "into", "in die Marktstraße"),
        ("Benzinoring", "into", "in den Benzinoring"),
        ("Trippstadter Straße", "into", "in die Trippstadter Straße"),
        ("Lauterufer", "into", "ans Lauterufer"),
        # along / on: dative of place.
        ("Eisenbahnstraße", "along", "auf der Eisenbahnstraße"),
        ("Rosenweg", "along", "auf dem Rosenweg"),
        ("Schillerplatz", "on", "auf dem Schillerplatz"),
        ("Pariser Straße", "on", "auf der Pariser Straße"),
        ("Pfalztheater", "on", "im Pfalztheater"),
        ("Fruchthalle", "along", "in der Fruchthalle"),
        # across
        ("Mainzer Straße", "across", "über die Mainzer Straße"),
        ("Mainzer Str.", "across", "über die Mainzer Straße"),
        ("Rosenweg", "across", "über den Rosenweg"),
        ("Volkspark-Dreieck", "across", "durch das Volkspark-Dreieck"),
        # to / at
        ("Fackelstraße", "to", "zur Fackelstraße"),
        ("Rosenweg", "to", "zum Rosenweg"),
        ("Kaiserslautern Hbf", "to", "zum Kaiserslautern Hauptbahnhof"),
        ("Rosengärten", "to", "zu den Rosengärten"),
        ("Schillerplatz", "at", "am Schillerplatz"),
        ("Fackelstraße", "at", "an der Fackelstraße"),
        ("Stiftsplatz", "at", "am Stiftsplatz"),
        # Names with their own preposition get a neutral noun in front.
        ("Am Altenhof", "into", "in die Straße Am Altenhof"),
        ("Am Altenhof", "along", "auf der Straße Am Altenhof"),
        ("Am Altenhof", "across", "über die Straße Am Altenhof"),
        ("Am Altenhof", "to", "zur Straße Am Altenhof"),
        ("Unter den Linden", "at", "an der Straße Unter den Linden"),
        # Unknown gender: the neutral noun in front, never "in Richtung" (the walker turns into the street).
        ("Bahnheim", "into", "in die Straße Bahnheim"),
        ("Bahnheim", "along", "auf der Straße Bahnheim"),
        ("Bahnheim", "across", "über die Straße Bahnheim"),
        ("Bahnheim", "to", "zur Straße Bahnheim"),
        ("Bahnheim", "at", "an der Straße Bahnheim"),
        ("Bahnheim", "object", "die Straße Bahnheim"),
        # Names without a street suffix keep their article where their noun is known.
        ("Freier Wasen", "object", "den Freien Wasen"),
        ("Freier Wasen", "into", "auf den Freien Wasen"),
        ("Kottenschanze", "object", "die Kottenschanze"),
        ("Kottenschanze", "along", "auf der Kottenschanze"),
        ("Ohlkasterhohl", "into", "in die Ohlkasterhohl"),
        # Leading adjectives take the weak ending after the article.
        ("Lange Straße", "into", "in die Lange Straße"),
        ("Lange Straße", "along", "auf der Langen Straße"),
        ("Große Gasse", "to", "zur Großen Gasse"),
        ("Hohe Straße", "at", "an der Hohen Straße"),
        ("Alte Brücke", "across", "über die Alte Brücke"),
        ("Alte Brücke", "along", "auf der Alten Brücke"),
        ("Langer Weg", "into", "in den Langen Weg"),
        ("Langer Weg", "along", "auf dem Langen Weg"),
        ("Unterer Weg", "to", "zum Unteren Weg"),
        ("Altes Tor", "to", "zum Alten Tor"),
        ("Alte Mainzer Straße", "along", "auf der Alten Mainzer Straße"),
        ("Lange Höfe", "along", "auf den Langen Höfen"),
        ("Lange Höfe", "into", "auf die Langen Höfe"),
    ],
)
def test_street_phrase_de(name: str, role: str, expected: str) -> None:
    assert street_phrase(name, role, "de") == expected


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [
        ("Fackelstraße", "into", "onto Fackelstraße"),
        ("Eisenbahnstraße", "along", "along Eisenbahnstraße"),
        ("Eisenbahnstraße", "on", "on Eisenbahnstraße"),
        ("Mainzer Straße", "across", "across Mainzer Straße"),
        ("Mainzer Str.", "across", "across Mainzer Straße"),
        ("Rosenweg", "to", "to Rosenweg"),
        ("Schillerplatz", "at", "at Schillerplatz"),
        ("Am Altenhof", "into", "onto Am Altenhof"),
        ("Pfalztheater", "into", "into Pfalztheater"),
        ("Kaiserslautern Hbf", "to", "to Kaiserslautern Hauptbahnhof"),
        # A turn into a street of unknown gender is into that street, not towards a place of that name.
        ("Kaiserslautern", "into", "onto Kaiserslautern"),
        ("Kaiserslautern", "to", "towards Kaiserslautern"),
        ("Lange Straße", "along", "along Lange Straße"),
    ],
)
def test_street_phrase_en(name: str, role: str, expected: str) -> None:
    assert street_phrase(name, role, "en") == expected


@pytest.mark.parametrize(
    ("name", "lang", "expected"),
    [
        ("Mainzer Straße", "de", "die Mainzer Straße"),
        ("Rosenweg", "de", "den Rosenweg"),
        ("Stiftsplatz", "de", "den Stiftsplatz"),
        ("Pfalztheater", "de", "das Pfalztheater"),
        ("Langer Weg", "de", "den Langen Weg"),
        ("Altes Tor", "de", "das Alte Tor"),
        ("Am Altenhof", "de", "die Straße Am Altenhof"),
        ("Bahnheim", "de", "die Straße Bahnheim"),
        ("Freier Wasen", "de", "den Freien Wasen"),
        ("Mainzer Straße", "en", "Mainzer Straße"),
        ("Mainzer Str.", "en", "Mainzer Straße"),
    ],
)
def test_street_object(name: str, lang: str, expected: str) -> None:
    assert street_object(name, lang) == expected


@pytest.mark.parametrize(
    "name",
    [
        "Fackelstraße",
        "Eisenbahnstraße",
        "Marktstraße",
        "Kerststraße",
        "Riesenstraße",
        "Schneiderstraße",
        "Königstraße",
        "Altenwoogstraße",
        "Lauterstraße",
        "Burgstraße",
        "Martin-Luther-Straße",
        "Rudolf-Breitscheid-Straße",
        "Karl-Marx-Straße",
        "Fruchthallstraße",
        "Maxstraße",
    ],
)
def test_kaiserslautern_feminine_streets(name: str) -> None:
    assert street_gender(name) == "f"
    assert street_phrase(name, "into", "de") == f"in die {name}"
    assert street_phrase(name, "along", "de") == f"auf der {name}"
    assert street_phrase(name, "to", "de") == f"zur {name}"
    assert street_phrase(name, "into", "en") == f"onto {name}"


@pytest.mark.parametrize(
    ("names", "lang", "expected"),
    [
        ([], "de", ""),
        (["Fackelstraße"], "de", "Fackelstraße"),
        (["Fackelstraße", "Rosenweg"], "de", "Fackelstraße und Rosenweg"),
        (["Fackelstraße", "Rosenweg", "Schillerplatz"], "de", "Fackelstraße, Rosenweg und Schillerplatz"),
        (["Fackelstraße", "Rosenweg", "Schillerplatz"], "en", "Fackelstraße, Rosenweg and Schillerplatz"),
        (["Fackelstraße", "", "Rosenweg"], "en", "Fackelstraße and Rosenweg"),
    ],
)
def test_join_names(names: list[str], lang: str, expected: str) -> None:
    assert join_names(names, lang) == expected


@pytest.mark.parametrize("name", [None, "", "   "])
def test_empty_names_raise_value_error(name: str | None) -> None:
    with pytest.raises(ValueError):
        street_phrase(name, "into", "de")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        street_object(name, "en")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        street_gender(name)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        expand_abbreviations(name, "de")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        has_own_preposition(name)  # type: ignore[arg-type]


def test_unknown_role_and_language_raise_value_error() -> None:
    with pytest.raises(ValueError):
        street_phrase("Fackelstraße", "under", "de")
    with pytest.raises(ValueError):
        street_phrase("Fackelstraße", "into", "fr")
    with pytest.raises(ValueError):
        expand_abbreviations("Fackelstraße", "../de")
