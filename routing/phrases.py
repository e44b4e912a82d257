"""Phrase tables: the wording of everything a walker hears or reads, one JSON file per language in data/phrases."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

PHRASES_DIR = Path(__file__).resolve().parent.parent / "data" / "phrases"
LANGUAGES = ("de", "en")  # German first: the default


@lru_cache(maxsize=None)
def load_table(name: str) -> dict[str, Any]:
    """A phrase table by file name without `.json` (`de`, `en_names`, ...); ValueError if there is none."""
    path = PHRASES_DIR / f"{name}.json"
    # Only letters and underscores, so a name from a request cannot reach outside the data folder.
    if not name.replace("_", "").isalpha() or not path.is_file():
        raise ValueError(f"no phrase table {name!r}")
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def plural(entry: dict[str, str] | str, count: int, **slots: object) -> str:
    """Fill a phrase that has `one` and `other` forms (or a plain string) for `count`."""
    template = entry if isinstance(entry, str) else entry["one" if count == 1 else "other"]
    return template.format(count=count, **slots)


def join(items: list[str], lang: str) -> str:
    """'a, b and c' in the language. Where the language wants it (German), an item ending in a relative clause
    ("eine Überquerung, über die nichts bekannt ist") closes it with a comma before the last "und"."""
    if len(items) <= 1:
        return "".join(items)
    words = load_table(lang)["explanation"]
    last_but_one = items[-2] + ("," if words.get("close_clause_before_and") and ", " in items[-2] else "")
    return f"{', '.join([*items[:-2], last_but_one])} {words['and']} {items[-1]}"
