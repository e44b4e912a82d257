"""Every UI text in German and English: both tables have the same keys, and every key the markup and the code use
exists (no browser needed)."""

from __future__ import annotations

import json
import re

from routing.profiles import profile_choices
from tests.browser.helpers import REPO

STATIC = REPO / "static"
TABLES = {lang: json.loads((STATIC / "i18n" / f"{lang}.json").read_text(encoding="utf-8")) for lang in ("de", "en")}
# Keys the code builds from values the server or the settings give (t(`control_${...}`) and the like); the profiles
# and named preference values are the server's own.
DYNAMIC = {
    "control": ["traffic_signals", "zebra", "marked", "unmarked", "unknown"],
    "tri": ["yes", "no", "unknown"],
    "steps": ["up", "down"],
    "barrier": ["bollard", "gate", "kerb", "cycle_barrier", "lift_gate", "turnstile", "other"],
    "vibration": ["left", "right", "arrive", "warning"],
    "pattern": ["one_long", "two_short", "three_short", "long_short", "short_long", "two_long", "rapid"],
    "pref": ["steps", "prefer_acoustic_signals", "prefer_tactile_paving", "prefer_handrail", "unknown", "max_detour",
             *(f"{name}_{value}" for name, values in profile_choices()["preferences"].items() for value in values)],
    "profile": profile_choices()["names"],  # the server's profiles (GET /api/health), each labelled
    "gap": ["crossing_control_unknown", "acoustic_signal_unknown", "tactile_paving_unknown", "step_count_unknown",
            "handrail_unknown", "surface_unknown", "sidewalk_unknown", "other"],
    "connection": ["online", "offline", "connecting", "arrived"],
}


def _used_keys() -> set[str]:
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    keys = set(re.findall(r'data-i18n="([a-z0-9_]+)"', html))
    keys |= {pair.split(":")[1] for attr in re.findall(r'data-i18n-attr="([^"]+)"', html) for pair in attr.split(";")}
    for path in [*(STATIC / "js").glob("*.js"), *(STATIC / "js" / "screens").glob("*.js")]:
        source = path.read_text(encoding="utf-8")
        # The string literals inside t( … ), including both arms of a conditional.
        for call in re.findall(r"\bt\(([^()]*?)(?:,\s*\{|\))", source):
            keys |= set(re.findall(r'(?<!=== )"([a-z][a-z0-9_]*)"', call))
    return keys


def test_both_languages_have_the_same_texts():
    assert TABLES["de"].keys() == TABLES["en"].keys()
    for key, german in TABLES["de"].items():
        english = TABLES["en"][key]
        assert type(german) is type(english), key
        if isinstance(german, dict):
            assert german.keys() == english.keys() == {"one", "other"}, key
        slots = re.findall(r"\{(\w+)\}", json.dumps(german)), re.findall(r"\{(\w+)\}", json.dumps(english))
        assert set(slots[0]) == set(slots[1]), key


def test_every_text_the_app_uses_exists():
    used = _used_keys()
    used |= {f"{prefix}_{name}" for prefix, names in DYNAMIC.items() for name in names}
    assert len(used) > 150
    missing = sorted(key for key in used if key not in TABLES["de"])
    assert not missing, missing


def test_no_visible_text_is_left_untranslated_in_the_markup():
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    body = re.sub(r"<(script|noscript)[^>]*>.*?</\1>|<!--.*?-->", "", html.split("<body>", 1)[1], flags=re.DOTALL)
    # Text right after an opening tag must come from the tables (data-i18n), except the brand, each language's own
    # name, the licence and the headings the code fills in.
    fixed = {"Lotse", "Deutsch", "English", ", ODbL 1.0.", "Route", "Führung"}
    for match in re.finditer(r"<(\w+)([^<>]*)>([^<>]*)<", body):
        text = match.group(3).strip()
        if text and text not in fixed:
            assert "data-i18n=" in match.group(2), (match.group(1), text)
