"""Street names as spoken text: abbreviations, German gender and articles,
and the prepositional phrases turn-by-turn guidance puts them in.

All wording and grammar lives in data/phrases/<lang>_names.json; this module
only applies those tables. Street names are German proper names in every
guidance language, so gender, noun class and abbreviations always come from
the German data.

A None, empty or blank name raises ValueError: guidance only passes real
names, so an empty one is a caller bug that must not be spoken as silence.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any

from routing.phrases import load_table

# Names are German whatever language the guidance is spoken in.
_NAME_LANG = "de"


def _data(lang: str) -> dict[str, Any]:
    if not lang.isalpha():
        raise ValueError(f"no street-name data for language {lang!r}")
    return load_table(f"{lang}_names")


def _require_name(name: str | None) -> str:
    if name is None or not name.strip():
        raise ValueError("street name must be a non-empty string")
    return name.strip()


def _alternation(keys: list[str]) -> str:
    # Longest first, so "Hbf." wins over "Hbf".
    return "|".join(re.escape(key) for key in sorted(keys, key=len, reverse=True))


@lru_cache(maxsize=None)
def _abbreviation_rules() -> list[tuple[re.Pattern[str], dict[str, str]]]:
    table = _data(_NAME_LANG)["abbreviations"]
    # Left boundaries: start of name / any non-letter (space, hyphen) / a
    # letter for compound endings ("Fackelstr."). Right boundary: no letter
    # follows, so "St." never matches inside "Stadt".
    boundaries = {
        "leading": ("^", "(?!\\w)"),
        "words": ("(?<!\\w)", "(?!\\w)"),
        "word_endings": ("(?<=[^\\W\\d_])", "(?!\\w)"),
    }
    rules = []
    for kind, (left, right) in boundaries.items():
        expansions = table[kind]
        if expansions:
            pattern = re.compile(f"{left}(?:{_alternation(list(expansions))}){right}", re.IGNORECASE)
            rules.append((pattern, {key.lower(): value for key, value in expansions.items()}))
    return rules


@cache
def _adjective_rule() -> tuple[re.Pattern[str], dict[str, str]]:
    words = _data(_NAME_LANG)["adjective_abbreviations"]["words"]
    pattern = re.compile(f"(?<!\\w)({_alternation(list(words))})\\s*([^\\W\\d_][\\w-]*)?", re.IGNORECASE)
    return pattern, {key.lower(): value for key, value in words.items()}


def _noun_gender(noun: str) -> str:
    """The gender of the noun after an abbreviated adjective: by its ending, else the suffix rules, else "f"."""
    table = _data(_NAME_LANG)["adjective_abbreviations"]["noun_genders"]
    lowered = noun.lower()
    for ending in sorted(table, key=len, reverse=True):
        if lowered.endswith(ending):
            return table[ending]
    found = _classify(noun)
    return found[0] if found else "f"


def _written_out_adjective(match: re.Match[str]) -> str:
    words = _adjective_rule()[1]
    noun = match.group(2) or ""
    ending = _data(_NAME_LANG)["adjective_abbreviations"]["endings"][_noun_gender(noun) if noun else "f"]
    adjective = words[match.group(1).lower()] + ending
    return f"{adjective} {noun}" if noun else adjective


@lru_cache(maxsize=8192)
def expand_abbreviations(name: str, lang: str) -> str:
    """Return the name ready for a speech engine: abbreviations written out
    ("Mainzer Str." -> "Mainzer Straße", "Kath. Schülerhort" -> "Katholischer
    Schülerhort") and symbols replaced by words."""
    text = _require_name(name)
    symbols = _data(lang)["symbols"]
    text = _adjective_rule()[0].sub(_written_out_adjective, text)
    for pattern, expansions in _abbreviation_rules():
        text = pattern.sub(lambda match: expansions[match.group(0).lower()], text)
    for symbol, spoken in symbols.items():
        text = text.replace(symbol, spoken)
    # "Uni- Shop": a hyphen with a space after it joins the words, unless a conjunction follows ("Nord- und Süd").
    text = re.sub(r"(?<=\w)- +(?!(?:und|oder|bis|sowie|and|or)\b)(?=\w)", "-", text)
    # Symbol replacements leave doubled spaces and stray commas behind.
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+,", ",", text)
    text = re.sub(r",(?:\s*,)+", ",", text)
    return text.strip(" ,")


@lru_cache(maxsize=None)
def _own_preposition_words() -> frozenset[str]:
    return frozenset(_data(_NAME_LANG)["own_preposition_words"])


def has_own_preposition(name: str) -> bool:
    """True if the name starts with its own preposition or article
    ("Am Altenhof", "Unter den Linden") and so cannot take another one."""
    words = _require_name(name).split()
    return len(words) > 1 and words[0].lower() in _own_preposition_words()


@lru_cache(maxsize=None)
def _suffix_rules() -> list[tuple[str, str, str]]:
    rules = [
        (suffix, group["gender"], group["class"])
        for group in _data(_NAME_LANG)["suffix_rules"]
        for suffix in group["suffixes"]
    ]
    # Longest first, so "bahnhof" (a building) wins over "hof" (a yard).
    return sorted(rules, key=lambda rule: len(rule[0]), reverse=True)


def _classify(spoken: str) -> tuple[str, str] | None:
    """(gender, noun class) of an expanded name without own preposition."""
    # lower(), not casefold(): casefold turns "ß" into "ss".
    lowered = spoken.lower()
    for suffix, gender, noun_class in _suffix_rules():
        if lowered.endswith(suffix):
            return gender, noun_class
    return None


def street_gender(name: str) -> str | None:
    """Grammatical gender of a German street or place name: "m", "f", "n" or
    "pl"; None if the suffix is unknown or the name has its own preposition."""
    spoken = expand_abbreviations(name, _NAME_LANG)
    if has_own_preposition(spoken):
        return None
    found = _classify(spoken)
    return found[0] if found else None


def _weak_form(word: str, strong: str, weak: str, adjectives: dict[str, Any]) -> str:
    # "Mainzer", "Trippstadter" look like strong masculine adjectives but are
    # invariable place adjectives; only listed "-er" words decline.
    declinable = (
        word[:1].isupper()
        and word.endswith(strong)
        and (
            not word.endswith(adjectives["place_adjective_ending"])
            or word in adjectives["declinable_er_adjectives"]
        )
    )
    return word[: -len(strong)] + weak if declinable else word


def _decline(words: list[str], gender: str, case: str, data: dict[str, Any]) -> str:
    """Words of a name after a definite article: leading adjectives take the
    weak ending, the head noun any case ending (dative plural)."""
    adjectives = data["adjectives"]
    strong = adjectives["strong_endings"][gender]
    weak = adjectives["weak_endings"][case][gender]
    leading = [_weak_form(word, strong, weak, adjectives) for word in words[:-1]]
    head = words[-1]
    ending = data["noun_endings"].get(case, {}).get(gender)
    if ending and not head.endswith(tuple(ending["except_after"])):
        head += ending["append"]
    return " ".join([*leading, head])


def _article_phrase(spoken: str, role: str, data: dict[str, Any]) -> str:
    frames = data["frames"][role]
    found = None if has_own_preposition(spoken) else _classify(spoken)
    if found is None:
        # "in die Am Altenhof" is impossible, and a name of unknown gender has no article: put a neutral noun in
        # front ("in die Straße Bahnheim"), never "in Richtung", which would send the walker towards it.
        frame = data["own_preposition_frame"]
        gender, noun_class = frame["gender"], frame["class"]
        words, tail = [frame["noun"]], spoken
    else:
        (gender, noun_class), words, tail = found, spoken.split(" "), ""
    preposition, case = frames.get(noun_class, frames["default"])
    lead = f"{preposition} {data['articles'][case][gender]}".strip()
    lead = data["contractions"].get(lead, lead)
    return " ".join(part for part in (lead, _decline(words, gender, case, data), tail) if part)


def _template_phrase(spoken: str, role: str, data: dict[str, Any]) -> str:
    if has_own_preposition(spoken):
        key = "own_preposition"
    else:
        found = _classify(spoken)
        key = found[1] if found else "unknown"
    templates = data["templates"][role]
    return templates.get(key, templates["default"]).format(name=spoken)


@lru_cache(maxsize=8192)
def street_phrase(name: str, role: str, lang: str) -> str:
    """The name inside a prepositional phrase for a guidance role: "into",
    "along", "on", "across", "to", "at" (or "object", see street_object);
    e.g. ("Fackelstraße", "into", "de") -> "in die Fackelstraße"."""
    data = _data(lang)
    # Languages with articles and cases define "frames"; others "templates".
    roles = data["frames"] if "frames" in data else data["templates"]
    if role not in roles:
        raise ValueError(f"unknown guidance role {role!r}")
    spoken = expand_abbreviations(name, lang)
    if "frames" in data:
        return _article_phrase(spoken, role, data)
    return _template_phrase(spoken, role, data)


def street_object(name: str, lang: str) -> str:
    """The name as a plain accusative object ("Überqueren Sie die Mainzer
    Straße"): de "die Mainzer Straße", en "Mainzer Straße"."""
    return street_phrase(name, "object", lang)


@cache
def kind_words(kind: str) -> tuple[str, ...]:
    """Words that, inside a place's name, already say its kind of landmark ("KiTa" a kindergarten, "Kirche" a
    place of worship), in lower case; the kind's own word in each guidance language comes on top of these."""
    return tuple(word.lower() for word in _data(_NAME_LANG)["kind_words"].get(kind, ()))


def join_names(names: list[str], lang: str) -> str:
    """Join names for speech: "A, B und C" / "A, B and C"; blank entries are
    skipped and an empty list gives ""."""
    words = _data(lang)["list"]
    kept = [name.strip() for name in names if name and name.strip()]
    if len(kept) < 2:
        return "".join(kept)
    return f"{words['separator'].join(kept[:-1])} {words['conjunction']} {kept[-1]}"
