"""Wording: turn the maneuvers of a route into instructions a blind walker hears, in German or English.

All words and templates live in data/phrases/<lang>.json under "guidance"; this module only selects and fills them.
At brief and normal verbosity (SHORT_FORM_VERBOSITIES) a language's "short_form" templates replace the full ones:
German then speaks as navigation systems do, in the infinitive ("Rechts in die Marktstraße abbiegen und die
Eisenbahnstraße an der Ampel überqueren."); detailed keeps the full sentences ("Biegen Sie rechts in die Marktstraße
ab ..."). Statements stay statements ("Rechts mündet die Birkenstraße ein."). English has one form, imperative.
Street names go through routing/guidance/names.py (abbreviations written out, German article and preposition by
the name's gender); unnamed ways are named by their highway class ("in den Fußweg", "onto the footway").

Rules:
- One instruction per spot (routing.guidance.maneuvers.at_spots): the maneuvers kept by the verbosity that lie
  within a few metres are said together, a turn and the crossing after it in one sentence; every crossing is said.
  brief: depart, turns, crossings (street, control, the acoustic signal at lights), steps, lifts, barriers,
  warnings, arrive. normal: also straight-on changes into a named street where something else is said too,
  entering a pedestrian area or shared street, bridges and underpasses, bus stops and stations, and one other named
  landmark in each stretch of more than CONFIRM_GAP_M without an instruction, to confirm the position; crossing
  facts in full, the lanes of a road of BIG_ROAD_LANES lanes or more in the crossing's sentence ("die Burgstraße
  mit 4 Fahrstreifen"), the kind of a big road whose lanes are not known. detailed: every landmark, every known
  crossing fact (kerb, push button, speed limit too), every straight-on change of name and the size of every
  named road crossed.
- Driveways (routing.guidance.maneuvers.driveway_runs): at brief and normal a run of unnamed service roads of
  which nothing is known is one sentence at the first ("Auf den nächsten 200 Metern 6 Zufahrten überqueren, ohne
  Angaben."); detailed says each. Arms of one junction that all lie on one side of the walk (routing.costs)
  are separate crossings, said in the order met ("Nacheinander den Ulmenweg, die Birkenstraße und die
  Ahornstraße überqueren, ohne Angaben."), with their number where a street has several carriageways there. Walking
  along a road past streets on both sides, the walker crosses only those on the sidewalk walked: "Die
  Albrechtstraße links oder die Wormser Straße rechts überqueren, ohne Angaben."; past a street on one side only, it is
  said as joining there ("Rechts mündet die Birkenstraße ein."), as is a run of driveways on one side ("Auf den
  nächsten 60 Metern münden links 3 Zufahrten ein."): the map does not say which sidewalk is walked. Crossings
  at one spot with nothing more to say than their main sentence, said alike, are one sentence ("Die
  Wagnerstraße und die Rußgasse überqueren, ohne Angaben.").
- Unknown facts that matter for safety are said as unknown, once: the departure tells how many crossings lack
  their control, the acoustic signal at lights or tactile paving (normal and detailed); a crossing of which nothing
  is known is "ohne Angaben" / "no data" at normal, unless the summary said that all crossings lack data; only
  detailed says every crossing's unknowns in full; brief
  leaves them out. That it is unknown which way steps go is said at every verbosity, that their count and handrail
  are unknown only when detailed. Known facts are always said. Nothing ever says when to cross: the walker judges that.
- Distances: 5 m steps under 100 m, 10 m steps above, "weniger als 10 Meter" below 10 m; with a step length, in
  paces instead ("etwa 170 Schritte"), rounded alike.
- An instruction followed by THEN_MIN_M (by verbosity: 300 m brief, 200 m normal, 80 m detailed) or more of walking
  to the next one ends with "Dann 240 Meter weiter." / "Then continue for 240 metres." (a sentence of its own, so it
  reads the same after any instruction); after a run of driveways, counted from the last of them. Shorter walks
  are not said: the next instruction's early message comes soon and tells its distance.
- A turn or fork that keeps the walker on the street walked is said without the street's name ("Links
  abbiegen."), but when detailed ("Biegen Sie links ab und bleiben Sie auf der Marktstraße."): the name was said
  when the walker turned into it.
- A crossing of the same named streets as the crossing before, said the same way (crossed, or joining), is said
  with "noch einmal" / "again", below detailed without the road's size said just before; a landmark said within
  LANDMARK_REPEAT_M before is not said again.
- No maneuver's text is longer than MAX_CHARS, no message of one spot longer than MAX_SPOT_CHARS: the walk on
  goes first, then the least important facts (for a crossing in the order of _CROSSING_FACTS); what is not known
  is never left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from routing import tags
from routing.guidance.maneuvers import Maneuver, Spot, at_spots, driveway_runs
from routing.guidance.names import expand_abbreviations, join_names, kind_words, street_phrase
from routing.phrases import LANGUAGES, load_table, plural
from routing.route import round_metres

VERBOSITIES = ("brief", "normal", "detailed")
# Verbosities worded in a language's short form where it has one: German says "Rechts in die Marktstraße
# abbiegen." as navigation systems do; detailed keeps "Biegen Sie rechts in die Marktstraße ab.".
SHORT_FORM_VERBOSITIES = frozenset({"brief", "normal"})
SHORT_M = 10  # below this a distance is "less than 10 metres" (or paces)
# An instruction followed by at least this much walking says how far to go on, by verbosity. Below it the next
# instruction's early message ("In 40 Metern: ...") follows soon and tells its distance; the walk on is said where
# the walker would otherwise go long without a word.
THEN_MIN_M = {"brief": 300.0, "normal": 200.0, "detailed": 80.0}
CONFIRM_GAP_M = 80.0  # normal verbosity: a stretch longer than this gets one landmark to confirm the position
LANDMARK_REPEAT_M = 100.0  # the same landmark within this distance is said once
BIG_ROAD_LANES = 3  # normal verbosity says the size of a crossed road from this many lanes (or a main road)
MAX_CHARS = 200  # the longest text of one maneuver
MAX_SPOT_CHARS = 360  # the longest message of several maneuvers at one spot
SAME_SPOT_M = 1.0

# Maneuver types said at each verbosity (landmarks are chosen separately).
_TYPES = {
    "brief": frozenset({"depart", "turn", "fork", "cross", "steps", "elevator", "barrier", "warning", "arrive",
                        "driveways"}),
    "normal": frozenset({"depart", "turn", "fork", "continue", "cross", "steps", "elevator", "barrier", "warning",
                         "arrive", "enter", "bridge", "tunnel", "driveways"}),
    "detailed": frozenset({"depart", "turn", "fork", "continue", "cross", "steps", "elevator", "barrier", "warning",
                           "arrive", "enter", "bridge", "tunnel"}),
}
# Unnamed ways whose kind is no more than "a way": a turn into one is said without it.
_GENERIC_WAYS = frozenset({"path", "default"})
# Landmarks said at normal verbosity wherever they are: they are where a walker can check the position.
_ALWAYS_LANDMARKS = frozenset({"bus_stop", "station", "bus_station"})

# Ranks of the sentences of a text: while it is too long, the sentence of the highest rank above _KEEP goes first.
# What is unknown at a crossing or on steps is never dropped.
_KEEP, _UNKNOWN, _FACT, _THEN = 0, 0, 1, 2
# The facts of a crossing from the most to the least important, for a text that must be shortened: what is not
# known is never dropped; "then" stands for the walk to the next instruction.
_CROSSING_FACTS = ("acoustic_signal", "island", "size", "tactile_paving", "vibration", "speed", "button_operated",
                   "kerb")
_JOIN_SLACK = 6  # characters that joining a turn and a crossing into one sentence may add


@dataclass(frozen=True)
class WordingOptions:
    """How instructions are worded: verbosity brief/normal/detailed, clock-face turns, distances in paces."""

    verbosity: str = "normal"
    clock_face: bool = False
    step_length_m: float | None = None

    def __post_init__(self) -> None:
        if self.verbosity not in VERBOSITIES:
            raise ValueError(f"verbosity must be one of {VERBOSITIES}, not {self.verbosity!r}")
        if self.step_length_m is not None and not self.step_length_m > 0:
            raise ValueError("step_length_m must be a positive number of metres")


DEFAULT_OPTIONS = WordingOptions()


@dataclass
class Instruction:
    """One message to the walker: where it applies (`distance_m` from the start, lat/lon), what (`type` and data of
    the leading maneuver, `also` the others at that spot) and the full text; `then_m` is the walk to the next
    instruction (None for the last)."""

    index: int
    type: str
    distance_m: float
    lat: float
    lon: float
    text: str
    then_m: float | None
    maneuver: dict[str, Any]
    also: list[dict[str, Any]]  # the other maneuvers told in the same message, in the order said

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index, "type": self.type, "distance_m": self.distance_m, "lat": self.lat,
            "lon": self.lon, "text": self.text, "then_m": self.then_m, "maneuver": self.maneuver, "also": self.also,
        }


# ------------------------------------------------------------------------------------------------ tables
@cache
def _words(lang: str, short: bool = False) -> dict[str, Any]:
    """The guidance wording of a language; `short`: with the templates of its "short_form" in place of the full
    ones, where the language has one (German: the infinitive of navigation systems, SHORT_FORM_VERBOSITIES)."""
    table = load_table(lang)  # ValueError for a language without a phrase table
    if "guidance" not in table:
        raise ValueError(f"no guidance wording for language {lang!r}")
    words = table["guidance"]
    return _merged(words, words.get("short_form", {})) if short else words


def _merged(table: dict[str, Any], replacements: dict[str, Any]) -> dict[str, Any]:
    """The table with the templates of `replacements` in place of its own, group by group."""
    result = dict(table)
    for key, value in replacements.items():
        if key == "_doc":
            continue
        result[key] = _merged(table[key], value) if isinstance(value, dict) else value
    return result


@cache
def _speech_rules(lang: str) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """Replacements that make text speakable: words (before abbreviations are expanded) and single symbols."""
    table = _words(lang)["speech"]
    longer = tuple((key, value) for key, value in table.items() if len(key) > 1)
    single = tuple((key, value) for key, value in table.items() if len(key) == 1)
    return longer, single


_SPACES = re.compile(r"\s+")
_SPACE_BEFORE = re.compile(r"\s+([.,!?])")


@lru_cache(maxsize=8192)
def speakable(text: str, lang: str) -> str:
    """A name or free text ready for speech: abbreviations written out ("Str." -> "Straße", "Nr." -> "Nummer")
    and no symbols a speech engine would read out. Empty for a blank text."""
    if not text or not text.strip():
        return ""
    longer, single = _speech_rules(lang)
    for key, value in longer:
        text = text.replace(key, f" {value} ")
    if not text.strip():
        return ""
    text = expand_abbreviations(text, lang)
    for key, value in single:
        text = text.replace(key, value)
    text = _SPACE_BEFORE.sub(r"\1", _SPACES.sub(" ", text))
    # A closing full stop ("twentyone.") would end the sentence the name stands in.
    return text.strip(" ,.;:")


@lru_cache(maxsize=8192)
def _street(name: str, highway: str, role: str, lang: str) -> str:
    """A way in a prepositional phrase ("in die Fackelstraße", "auf dem Fußweg"): by name, else by highway class."""
    spoken = speakable(name, lang) if name else ""
    if spoken:
        return street_phrase(spoken, role, lang)
    ways = _words(lang)["ways"]
    return ways.get(highway or "", ways["default"])[role]


def _join(items: list[str], conjunction: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _finish(sentences: Iterable[str]) -> str:
    """Sentences joined into one text; an empty slot's stray space removed; the first letter a capital."""
    text = " ".join([sentence for sentence in sentences if sentence])
    if "  " in text or " ." in text or " ," in text or text[:1] == " ":
        text = _SPACE_BEFORE.sub(r"\1", _SPACES.sub(" ", text)).strip()
    return text if text[:1].isupper() else text[:1].upper() + text[1:]


# ------------------------------------------------------------------------------------------------ distances
def say_distance(metres: float, lang: str, options: WordingOptions = DEFAULT_OPTIONS, form: str = "plain") -> str:
    """A distance as said: form "plain" ("120 Meter", "120 metres"), "in" ("in 30 Metern", "in 30 metres") or
    "over" ("auf den nächsten 200 Metern", "over the next 200 metres").

    Rounded to 5 m under 100 m and 10 m above; under 10 m "weniger als 10 Meter" / "less than 10 metres". With
    `options.step_length_m`, in paces of that length ("etwa 170 Schritte", "about 170 paces"), rounded alike."""
    if form not in ("plain", "in", "over"):
        raise ValueError(f"form must be 'plain', 'in' or 'over', not {form!r}")
    table = _words(lang)["distance"]
    value = max(float(metres), 0.0)
    unit = ""
    if options.step_length_m:
        value /= options.step_length_m
        unit = "paces_"
    if value < SHORT_M:
        return table[f"short_{unit}{form}"].format(n=SHORT_M)
    return table[f"{unit}{form}"].format(n=round_metres(value))


# ------------------------------------------------------------------------------------------------ instructions
def instructions(maneuvers: list[Maneuver], lang: str, options: WordingOptions = DEFAULT_OPTIONS) -> list[Instruction]:
    """The instructions of a route in walking order, worded in `lang` ("de" or "en"): one per spot."""
    words = _words(lang, options.verbosity in SHORT_FORM_VERBOSITIES)
    spots = at_spots(_choose(maneuvers, options.verbosity))
    if options.verbosity != "detailed":
        # A change of name while walking straight on, with nothing else there, is no instruction but when detailed.
        spots = [spot for spot in spots if not spot.straight_on_only]
    writer = _Writer(words, lang, options)
    result = []
    last = len(spots) - 1
    distances = [spot.distance_m for spot in spots]
    for i, spot in enumerate(spots):
        then_m = round(distances[i + 1] - distances[i], 1) if i < last else None
        # After "over the next 200 metres" the walk on is said from the end of those metres.
        walk_on = None if then_m is None else then_m - max(
            (m.crossing or {}).get("length_m", 0.0) if m.type == "driveways" else 0.0 for m in spot.maneuvers)
        then = words["then"].format(distance=say_distance(walk_on, lang, options)) \
            if walk_on is not None and walk_on >= THEN_MIN_M[options.verbosity] else ""
        first = min(spot.maneuvers, key=lambda m: m.distance_m)
        lead = spot.lead
        result.append(Instruction(
            index=i, type=lead.type, distance_m=round(distances[i], 1), lat=first.lat, lon=first.lon,
            text=writer.spot(spot, then), then_m=then_m, maneuver=lead.to_dict(),
            also=[m.to_dict() for m in spot.maneuvers if m is not lead],
        ))
    return result


def _fit(parts: list[tuple[str, int]], limit: int = MAX_CHARS) -> str:
    """The text of the parts, dropping the least important ones while it is longer than `limit`."""
    text = _finish(part for part, _ in parts)
    while len(text) > limit and parts:
        rank = max(rank for _, rank in parts)
        if rank == _KEEP:
            break
        drop = max(i for i, (_, r) in enumerate(parts) if r == rank)
        parts = parts[:drop] + parts[drop + 1:]
        text = _finish(part for part, _ in parts)
    return text


def _choose(maneuvers: list[Maneuver], verbosity: str) -> list[Maneuver]:
    """The maneuvers said at a verbosity, in walking order."""
    types = _TYPES[verbosity]
    kept: list[Maneuver] = []
    candidates: list[Maneuver] = []
    for maneuver in maneuvers:
        if maneuver.type == "landmark":
            if verbosity == "detailed" or (verbosity == "normal" and maneuver.landmark["kind"] in _ALWAYS_LANDMARKS):
                kept.append(maneuver)
            elif verbosity == "normal" and maneuver.landmark["name"]:
                candidates.append(maneuver)
        elif maneuver.type == "continue" and verbosity == "normal" and not maneuver.street:
            continue  # straight on into an unnamed way: nothing to do, and no name to confirm the position by
        elif maneuver.type in types:
            kept.append(maneuver)
    if candidates and kept:
        kept = _confirmations(kept, candidates)
    kept = _without_repeated_landmarks(kept)
    return kept if verbosity == "detailed" else driveway_runs(kept)


def _confirmations(kept: list[Maneuver], candidates: list[Maneuver]) -> list[Maneuver]:
    """Add one landmark in each stretch longer than CONFIRM_GAP_M between kept maneuvers: the one nearest its
    middle."""
    result: list[Maneuver] = []
    c = 0
    for current, following in zip(kept, kept[1:]):
        result.append(current)
        start, end = current.distance_m, following.distance_m
        while c < len(candidates) and candidates[c].distance_m <= start + SAME_SPOT_M:
            c += 1
        if end - start <= CONFIRM_GAP_M:
            continue
        middle = (start + end) / 2
        best = None
        j = c
        while j < len(candidates) and candidates[j].distance_m < end - SAME_SPOT_M:
            if best is None or abs(candidates[j].distance_m - middle) < abs(best.distance_m - middle):
                best = candidates[j]
            j += 1
        if best is not None:
            result.append(best)
    result.append(kept[-1])
    return result


def _without_repeated_landmarks(kept: list[Maneuver]) -> list[Maneuver]:
    said: dict[tuple[str, str], float] = {}
    result = []
    for maneuver in kept:
        if maneuver.type == "landmark":
            key = (maneuver.landmark["kind"], maneuver.landmark["name"])
            if key in said and maneuver.distance_m - said[key] < LANDMARK_REPEAT_M:
                continue
            said[key] = maneuver.distance_m
        result.append(maneuver)
    return result


class _Writer:
    """Words one route's maneuvers in order; remembers the street walked, for turns that keep it."""

    def __init__(self, words: dict[str, Any], lang: str, options: WordingOptions) -> None:
        self.w = words
        self.lang = lang
        self.options = options
        self.detailed = options.verbosity == "detailed"
        self.brief = options.verbosity == "brief"
        self.street = ""
        self.way = ""
        # The crossing said last and the one before it, for "noch einmal": said as joining (a side street on one
        # side of a walk along a road) or as crossed, and the street names. "Noch einmal" is said only after the
        # same street said the same way: "überqueren Sie noch einmal" after "Rechts mündet ... ein" would tell of
        # a crossing the walker was not told of.
        self.crossed: tuple[bool, list[str]] = (False, [])
        self.crossed_before: tuple[bool, list[str]] = (False, [])
        # Crossings said with nothing but their main sentence and no "noch einmal": their template, control and
        # what is crossed, so crossings at one spot said alike can be one sentence; and the texts so joined.
        self.heads: dict[int, tuple[str, str, str]] = {}
        self.joined: set[int] = set()
        # Crossings said as a side street joining ("Rechts mündet die Birkenstraße ein."): not joined to a turn.
        self.side_streets: set[int] = set()
        # The route summary said that every crossing lacks data: "ohne Angaben" at each would tell nothing more.
        self.all_lacking = False

    def parts(self, m: Maneuver) -> list[tuple[str, int]]:
        return getattr(self, f"_{m.type}")(m)

    def spot(self, spot: Spot, then: str) -> str:
        """The one text of a spot: its maneuvers in order (a turn and the crossing after it in one sentence), then
        the walk to the next spot; within MAX_CHARS, the walk on and then the least important facts go first."""
        worded = self._crossings_joined([(m, self.parts(m)) for m in spot.maneuvers])
        if spot.street is not None:
            self.street, self.way = spot.street, spot.way or ""
        texts = [_finish(part for part, _ in parts) for _, parts in worded]
        texts = [text if len(text) <= MAX_CHARS else self.shorter(*worded[k], MAX_CHARS)
                 for k, text in enumerate(texts)]
        limit = MAX_CHARS if len(worded) == 1 else MAX_SPOT_CHARS
        text = self._join(worded, texts)
        whole = _finish((text, then))
        if len(whole) <= limit:
            return whole
        for k in range(len(worded) - 1, -1, -1):  # shorten the last said first
            others = len(self._join(worded, [t if j != k else "" for j, t in enumerate(texts)]))
            texts[k] = self.shorter(*worded[k], limit - others - _JOIN_SLACK)
            text = self._join(worded, texts)
            if len(text) <= limit:
                break
        return text

    def _crossings_joined(self, worded: list[tuple[Maneuver, list[tuple[str, int]]]]
                          ) -> list[tuple[Maneuver, list[tuple[str, int]]]]:
        """Crossings one after another at a spot, each said in just its main sentence and alike (same control or
        "ohne Angaben"), as one sentence that names all that is crossed: "Die Wagnerstraße und die Rußgasse
        überqueren, ohne Angaben." The joined text stands under the first crossing's maneuver."""
        if len(worded) == 1:  # (most spots)
            return worded
        result: list[tuple[Maneuver, list[tuple[str, int]]]] = []
        crossed: list[str] = []  # what the crossing said last at this spot and those joined with it cross
        for m, parts in worded:
            head = self.heads.get(id(m)) if m.type == "cross" and len(parts) == 1 else None
            before = self.heads.get(id(result[-1][0])) if result and crossed else None
            if head and before and head[:2] == before[:2]:
                if head[2] not in crossed:  # two driveways at one spot, as before: identical words said once
                    crossed.append(head[2])
                template, control, _ = before
                text = self.w["cross"][template].format(streets=join_names(crossed, self.lang), control=control,
                                                        again="", lanes="")
                self.joined.add(id(result[-1][0]))
                result[-1] = (result[-1][0], [(text, _KEEP)])
                continue
            crossed = [head[2]] if head else []
            result.append((m, parts))
        return result

    def _join(self, worded: list[tuple[Maneuver, Any]], texts: list[str]) -> str:
        """Texts of one spot as said: a turn joined with the crossing right after it ("... abbiegen und die
        Eisenbahnstraße ... überqueren."), not with a side street said as joining; identical texts (two bollards)
        said once."""
        if len(texts) == 1:  # (most spots: nothing to join)
            return _finish(texts)
        said: list[str] = []
        conjunction = self.w["and"]
        for i, text in enumerate(texts):
            if not text or text in said:
                continue
            before = worded[i - 1][0].type if i else ""
            if (worded[i][0].type == "cross" and id(worded[i][0]) not in self.side_streets
                    and before in ("turn", "continue")
                    and said and said[-1] == texts[i - 1]
                    and "," not in said[-1] and f" {conjunction} " not in said[-1] and said[-1].endswith(".")):
                first, _, rest = text.partition(". ")
                joined = f"{said[-1][:-1]} {conjunction} {first[:1].lower()}{first[1:]}"
                said[-1] = f"{joined}. {rest}" if rest else joined
                continue
            said.append(text)
        return _finish(said)

    def shorter(self, m: Maneuver, parts: list[tuple[str, int]], limit: int) -> str:
        """The text of a maneuver within `limit` characters, leaving out the least important facts first."""
        if m.type == "cross" and id(m) not in self.joined:
            for keep in range(len(_CROSSING_FACTS) - 1, -1, -1):
                text = _finish(part for part, _ in self._cross(m, frozenset(_CROSSING_FACTS[:keep]), remember=False))
                if len(text) <= limit:
                    return text
            return text
        return _fit(parts, limit)

    # -------------------------------------------------------------------------------------- ways
    def _walk_on(self, m: Maneuver) -> None:
        self.street, self.way = m.street or "", m.way or ""

    def _depart(self, m: Maneuver) -> list[tuple[str, int]]:
        self._walk_on(m)
        templates = self.w["depart"]
        along = _street(m.street or "", m.way or "", "along", self.lang)
        if m.clock is None:
            text = templates["compass"].format(compass=self.w["compass"][m.compass or "north"], along=along)
        elif m.clock == 12:
            text = templates["ahead"].format(along=along)
        else:
            text = templates["clock"].format(hour=m.clock, along=along)
        return [(text, _KEEP), *self._route_unknowns(m.unknowns or {})]

    def _route_unknowns(self, unknowns: dict[str, Any]) -> list[tuple[str, int]]:
        """What the map does not say about the route's crossings, once for the whole route (not when brief)."""
        lacking, total = unknowns.get("lacking", 0), unknowns.get("crossings", 0)
        if self.brief or not lacking:
            return []
        w = self.w["route_unknowns"]
        form = "one" if total == 1 else "some" if lacking < total else "both" if total == 2 else "all"
        self.all_lacking = lacking == total
        items = _join([w["items"][fact] for fact in unknowns["facts"]], self.w["or"])
        return [(plural(w[form], lacking, total=total, items=items), _UNKNOWN)]

    def _turn(self, m: Maneuver) -> list[tuple[str, int]]:
        templates = self.w["turn"]
        street, way = m.street or "", m.way or ""
        same = bool(street) and street == self.street
        stays = same and self.detailed  # the street kept is named again only when detailed
        plain = (not street and (way == self.way and not self.street or not self._tells_kind(way))) or (
            same and not self.detailed)
        self._walk_on(m)
        if m.modifier == "uturn":
            if plain:
                return [(templates["uturn_plain"], _KEEP)]
            return [(templates["uturn_along"].format(along=_street(street, way, "along", self.lang)), _KEEP)]
        if self.options.clock_face and m.clock is not None:
            direction, prefix = self.w["clock"].format(hour=m.clock), "clock_"
        else:
            direction, prefix = self.w["directions"][m.modifier or "straight"], ""
        if stays:
            text = templates[prefix + "stay"].format(direction=direction, on=_street(street, way, "on", self.lang))
        elif plain:
            text = templates[prefix + "plain"].format(direction=direction)
        else:
            text = templates[prefix + "into"].format(direction=direction, into=_street(street, way, "into", self.lang))
        return [(text, _KEEP)]

    def _fork(self, m: Maneuver) -> list[tuple[str, int]]:
        """Keep left or right where another way goes on nearly as straight: to stay on the street, or into another."""
        templates = self.w["fork"]
        street, way = m.street or "", m.way or ""
        same = bool(street) and street == self.street
        stays = same and self.detailed  # the street kept is named again only when detailed
        plain = (not street and (not self.street and way == self.way or not self._tells_kind(way))) or (
            same and not self.detailed)
        self._walk_on(m)
        side = self.w["keep"][m.modifier or "keep_left"]
        if plain:
            return [(templates["plain"].format(keep=side), _KEEP)]
        if stays:
            return [(templates["stay"].format(keep=side, on=_street(street, way, "on", self.lang)), _KEEP)]
        return [(templates["into"].format(keep=side, into=_street(street, way, "into", self.lang)), _KEEP)]

    def _tells_kind(self, way: str) -> bool:
        """Whether an unnamed way's kind tells the walker something: "in den Fußweg", "in die Zufahrt" do; "in den
        Weg" (a path, or a kind without a word of its own) names no more than the turn does."""
        return way in self.w["ways"] and way not in _GENERIC_WAYS

    def _continue(self, m: Maneuver) -> list[tuple[str, int]]:
        """Straight on into a way of another name; nothing below detailed when the walker was last told of the
        same way (a stretch of another name between them was not said)."""
        same = (m.street or "", m.way or "") == (self.street, self.way)
        self._walk_on(m)
        if same and not self.detailed:
            return []
        return [(self.w["continue"].format(into=_street(m.street or "", m.way or "", "into", self.lang)), _KEEP)]

    # -------------------------------------------------------------------------------------- crossings
    def _cross(self, m: Maneuver, allowed: frozenset[str] = frozenset(_CROSSING_FACTS),
               remember: bool = True) -> list[tuple[str, int]]:
        """A crossing: the street(s) and the control, then what is known; what is not known in full only when
        detailed, as "ohne Angaben" at normal when nothing is known (the route summary says the rest). `allowed`:
        which optional facts may be said, for a text that must be shortened; "noch einmal" when the same named
        streets were crossed last."""
        w = self.w["cross"]
        facts = m.crossing or {}
        streets = facts.get("streets") or []
        objects: list[str] = []
        # By the side of the walk, where a walk along a road passes streets on both sides (see ArcTable._arms).
        by_side: dict[str, list[str]] = {"both": [], "left": [], "right": []}
        names = sorted({street.get("name") or "" for street in streets})
        # A side street on one side of a walk along a road (see ArcTable._arms) is the subject of its sentence.
        sides = {street.get("side", "both") for street in streets}
        joins = facts.get("arms", 1) == 1 and len(sides) == 1 and sides != {"both"}
        for street in streets:
            name = speakable(street.get("name") or "", self.lang)
            if name:
                said = _street(name, "", "subject" if joins else "object", self.lang)
            elif street.get("link_of"):
                said = w["link_of"].format(to=_street(speakable(street["link_of"], self.lang), "", "to", self.lang))
            elif joins:
                said = w["joins_roads"].get(street.get("highway") or "", self._road(street.get("highway")))
            else:
                said = self._road(street.get("highway"))
            if said not in objects:
                objects.append(said)
            side = by_side[street.get("side", "both")]
            if said not in side:
                side.append(said)
        if remember:
            self.crossed_before, self.crossed = self.crossed, (joins, names)
        again = bool(names) and "" not in names and (joins, names) == self.crossed_before
        if again and not self.detailed:  # its size was said with the crossing just before
            allowed = allowed - {"size"}
        streets_said = join_names(objects, self.lang) if objects else w["no_street"]
        if by_side["left"] and by_side["right"]:  # the walker crosses the streets on the sidewalk's side only
            sided = w["by_side"].format(left=join_names(by_side["left"], self.lang),
                                        right=join_names(by_side["right"], self.lang))
            always = join_names(by_side["both"], self.lang)
            streets_said = f"{always} {self.w['and']} {sided}" if always else sided
        arms = facts.get("arms", 1)
        if arms > 1:  # arms of one junction on the walker's side: each its own crossing, said how many
            template = w["arms"] if arms == len(objects) else w["arms_counted"]
            streets_said = template.format(count=arms, streets=streets_said)
        # Lights at the junction are said as such; they do not tell that the walker's crossing has a light.
        junction = facts.get("control", "unknown") == "unknown" and facts.get("signals") == "yes"
        control = w["controls"].get("junction_signals" if junction else facts.get("control", "unknown"), "")
        lanes = self._lanes(streets[0]) if "size" in allowed and len(streets) == 1 and arms == 1 and \
            streets[0].get("name") else ""
        slots = {"streets": streets_said, "control": control, "again": w["again"] if again else "", "lanes": lanes}
        nothing_known = not control and facts.get("tactile_paving", "unknown") == "unknown" and \
            facts.get("island", "unknown") == "unknown"
        template = "control" if control else "no_data" if nothing_known and self._no_data_said else "plain"
        if joins:
            # Crossed only on that side's sidewalk, and the map does not say which is walked: said as the street
            # that joins there ("Rechts mündet die Birkenstraße ein.").
            slots["side"] = self.w["sides"][sides.pop()]
            self.side_streets.add(id(m))
            return [(w["joins"][template].format(**slots), _KEEP), *self._cross_facts(facts, allowed, junction)]
        parts = [(w[template].format(**slots), _KEEP)]
        if remember and not again:
            self.heads[id(m)] = (template, control, streets_said + lanes)
        return parts + self._cross_facts(facts, allowed, junction)

    def _cross_facts(self, facts: dict[str, Any], allowed: frozenset[str],
                     junction: bool) -> list[tuple[str, int]]:
        """The sentences after a crossing's main one: the road's size, the lights, the place, what is unknown."""
        w = self.w["cross"]
        streets = facts.get("streets") or []
        parts: list[tuple[str, int]] = []
        if "size" in allowed and len(streets) == 1 and streets[0].get("name"):
            size = self._size(streets[0], "speed" in allowed)
            if size:
                parts.append((w["size"].format(size=size), _FACT))

        verbose, detailed = not self.brief, self.detailed
        said = {"acoustic_signal": True, "vibration": verbose, "button_operated": detailed}
        if facts.get("control") == "traffic_signals":
            has = [w["lights_yes"][fact] for fact in said
                   if fact in allowed and said[fact] and facts.get(fact) == "yes"]
            # Lights without an acoustic signal are said at every verbosity; no vibration or button only in detail.
            lacks = [w["lights_no"][fact] for fact in said
                     if fact in allowed and (fact == "acoustic_signal" or detailed) and facts.get(fact) == "no"]
            lights = self._has_lacks(w["lights_has"], w["lights_not"], w["lights_mixed"], has, lacks)
            if lights:
                parts.append((lights, _FACT))
        if verbose:
            has = [w["place_yes"][fact] for fact in ("tactile_paving", "island")
                   if fact in allowed and facts.get(fact) == "yes"]
            lacks = [w["place_no"][fact] for fact in ("tactile_paving", "island")
                     if fact in allowed and (fact == "tactile_paving" or detailed) and facts.get(fact) == "no"]
            there = self.w["there_is"]
            place = self._has_lacks(there["has"], there["not"], there["mixed"], has, lacks)
            if place:
                parts.append((place, _FACT))
        unknown: list[str] = []
        items = w["unknown_items"]
        if junction:
            unknown += items["pedestrian_light"]
        elif facts.get("control", "unknown") == "unknown":
            unknown += items["control"]
        elif facts.get("control") == "traffic_signals" and facts.get("acoustic_signal", "unknown") == "unknown":
            unknown += items["acoustic_signal"]
        if facts.get("tactile_paving", "unknown") == "unknown":
            unknown += items["tactile_paving"]
        if unknown and self.detailed:
            parts.append((w["unknown"].format(items=_join(unknown, self.w["or"])), _UNKNOWN))
        if detailed and "kerb" in allowed and facts.get("kerb") in w["kerb"]:
            parts.append((w["kerb"][facts["kerb"]], _FACT))
        return parts

    @property
    def _no_data_said(self) -> bool:
        """Whether a crossing of which nothing is known is said as such ("ohne Angaben"): at normal verbosity,
        unless the route summary said that all crossings lack data (detailed says the unknowns in full, brief not)."""
        return self.options.verbosity == "normal" and not self.all_lacking

    def _road(self, highway: str | None) -> str:
        roads = self.w["roads"]
        return roads.get(highway or "", roads["default"])

    def _lanes(self, street: dict[str, Any]) -> str:
        """At normal verbosity, the lanes of a crossed road of BIG_ROAD_LANES or more, said with its name (" mit 4
        Fahrstreifen"); fewer lanes tell the walker nothing a street name does not."""
        lanes = street.get("lanes")
        if self.brief or self.detailed or lanes is None or lanes < BIG_ROAD_LANES:
            return ""
        return plural(self.w["cross"]["lanes"], int(lanes))

    def _size(self, street: dict[str, Any], speed_allowed: bool = True) -> str:
        """How big a crossed road is ("eine Hauptverkehrsstraße mit 4 Fahrstreifen"), when the verbosity says so:
        at normal only the kind of a big road whose lanes are not known (known lanes are said by `_lanes`)."""
        highway, lanes = street.get("highway"), street.get("lanes")
        if self.brief or not (self.detailed or (highway in tags.BIG_ROADS and lanes is None)):
            return ""
        words = self.w["road_features"]
        features = []
        if lanes:
            features.append(plural(words["lanes"], int(lanes)))
        speed = street.get("maxspeed_kmh")
        if self.detailed and speed and speed_allowed:
            features.append(words["speed"].format(speed=round(speed)))
        road = self._road(highway)
        return words["with"].format(road=road, features=_join(features, self.w["and"])) if features else road

    def _has_lacks(self, has_t: str, lacks_t: str, mixed_t: str, has: list[str], lacks: list[str]) -> str:
        conjunction = self.w["and"]
        if has and lacks:
            return mixed_t.format(has=_join(has, conjunction), **{"not": _join(lacks, conjunction)})
        if has:
            return has_t.format(has=_join(has, conjunction))
        if lacks:
            return lacks_t.format(**{"not": _join(lacks, conjunction)})
        return ""

    def _driveways(self, m: Maneuver) -> list[tuple[str, int]]:
        """A run of driveways of which nothing is known: how many over how far ("ohne Angaben" but when brief)."""
        facts = m.crossing or {}
        self.crossed_before, self.crossed = self.crossed, (False, [""])
        distance = say_distance(facts.get("length_m", 0.0), self.lang, self.options, "over")
        words = self.w["driveways"]
        side = facts.get("side", "both")
        if side in ("left", "right"):  # along a road: crossed only on that side's sidewalk (see _cross)
            words = words["joins"]
        template = words["no_data" if self._no_data_said else "plain"]
        return [(template.format(distance=distance, count=facts.get("count", 2), side=self.w["sides"].get(side, "")),
                 _KEEP)]

    # -------------------------------------------------------------------------------------- on the way
    def _steps(self, m: Maneuver) -> list[tuple[str, int]]:
        self._walk_on(m)
        w = self.w["steps"]
        facts = m.steps or {}
        direction = facts.get("direction") if facts.get("direction") in ("up", "down") else "unknown"
        count = facts.get("step_count")
        main = plural(w[direction], int(count)) if count else w[f"{direction}_uncounted"]
        parts = [(main, _KEEP)]
        handrail = facts.get("handrail") or "unknown"
        has = [w["yes"]["handrail"]] if handrail == "yes" else []
        if not self.brief and facts.get("ramp") == "yes":
            has.append(w["yes"]["ramp"])
        lacks = [w["no"]["handrail"]] if handrail == "no" else []
        there = self.w["there_is"]
        said = self._has_lacks(there["has"], there["not"], there["mixed"], has, lacks)
        if said:
            parts.append((said, _FACT))
        # Which way steps go matters at every verbosity; that their count and handrail are unknown only in detail.
        items = w["unknown_items"]
        unknown = [items["direction"]] if direction == "unknown" else []
        if self.detailed:
            unknown += [items[fact] for fact, missing in (("count", not count), ("handrail", handrail == "unknown"))
                        if missing]
        if unknown:
            parts.append((w["not_known"].format(items=_join(unknown, self.w["and"])), _UNKNOWN))
        return parts

    def _elevator(self, m: Maneuver) -> list[tuple[str, int]]:
        return [(self.w["elevator"], _KEEP)]

    def _barrier(self, m: Maneuver) -> list[tuple[str, int]]:
        barriers = self.w["barrier"]
        return [(barriers.get(m.barrier or "other", barriers["other"]), _KEEP)]

    def _enter(self, m: Maneuver) -> list[tuple[str, int]]:
        return [(self.w["enter"][m.area or "pedestrian_zone"], _KEEP)]

    def _bridge(self, m: Maneuver) -> list[tuple[str, int]]:
        return [(self.w["bridge"], _KEEP)]

    def _tunnel(self, m: Maneuver) -> list[tuple[str, int]]:
        return [(self.w["tunnel"], _KEEP)]

    def _landmark(self, m: Maneuver) -> list[tuple[str, int]]:
        w = self.w["landmark"]
        facts = m.landmark or {}
        kinds = self.w["landmark_kinds"]
        kind, a = kinds.get(facts.get("kind") or "", kinds["default"])
        side = self.w["sides"].get(facts.get("side") or "", "")
        name = speakable(facts.get("name") or "", self.lang)
        if not name:
            return [(w["unnamed"].format(a=a, side=side), _KEEP)]
        # A name that says its kind already ("Pfalztheater", "Stadtbibliothek"), in any of the languages (names are
        # German), is not preceded by the kind: not "Theatre Pfalztheater".
        said_kinds = {_words(lang)["landmark_kinds"].get(facts.get("kind") or "", ["", ""])[0].lower()
                      for lang in LANGUAGES} | {kind.lower(), *kind_words(facts.get("kind") or "")}
        if not kind or any(word and word in name.lower() for word in said_kinds):
            return [(w["self_named"].format(name=name, side=side), _KEEP)]
        return [(w["named"].format(kind=kind, name=name, side=side), _KEEP)]

    def _warning(self, m: Maneuver) -> list[tuple[str, int]]:
        """The report's kind in a fixed phrase, never its free text; a short note while it is unconfirmed."""
        facts = m.warning or {}
        kind = facts.get("kind") or "other"
        if facts.get("severity") == "note":
            note = self.w["unconfirmed_report"]
            return [(note["template"].format(kind=note["kinds"].get(kind, note["kinds"]["other"])), _KEEP)]
        warnings = self.w["warning"]
        return [(warnings.get(kind, warnings["other"]), _KEEP)]

    def _arrive(self, m: Maneuver) -> list[tuple[str, int]]:
        w = self.w["arrive"]
        if m.side in ("left", "right"):
            distance = say_distance(m.offset_m or 0.0, self.lang, self.options)
            return [(w["side"].format(side=self.w["sides"][m.side], distance=distance), _KEEP)]
        return [(w["ahead"], _KEEP)]
