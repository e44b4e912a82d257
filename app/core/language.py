"""The language of a request, resolved once at the edge into a `Language` that is passed down.

Order: an explicit `lang` (query string, or the JSON body's `lang`), then the best `Accept-Language` match, then
German. An explicit language Lotse does not speak is a 400, told in the language the client reads best.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from flask import g, request
from werkzeug.exceptions import HTTPException

from routing.errors import LotseError
from routing.phrases import LANGUAGES, load_table

MESSAGES_DIR = Path(__file__).resolve().parents[2] / "data" / "messages"
DEFAULT = LANGUAGES[0]


@dataclass(frozen=True)
class Language:
    """One language's texts: error messages (`data/messages`), phrase tables (`data/phrases`), number format."""

    code: str

    @property
    def messages(self) -> dict[str, str]:
        return _messages(self.code)

    @property
    def phrases(self) -> dict[str, Any]:
        """The walker's phrase table (`data/phrases/<code>.json`)."""
        return load_table(self.code)

    def table(self, name: str) -> dict[str, Any]:
        """Another phrase table of this language, e.g. `staff` for `data/phrases/staff_<code>.json`."""
        return load_table(f"{name}_{self.code}")

    def message(self, code: str, **params: object) -> str:
        """The message for an error code with its slots filled; the generic one for an unknown code or slot."""
        table = self.messages
        try:
            return (table.get(code) or table["bad_request"]).format(**{"field": "body", **params})
        except (KeyError, IndexError, ValueError):
            return table["bad_request"].format(field="body")

    def number(self, value: float | None, digits: int = 0) -> str:
        """A number as written in this language: 1.234,5 in German, 1,234.5 in English; "" for None."""
        if value is None:
            return ""
        text = f"{value:,.{digits}f}"
        if self.code == "de":
            text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
        return text

    def percent(self, rate: float | None) -> str:
        """A share (0..1) as a percentage with one decimal."""
        return "" if rate is None else f"{self.number(rate * 100, 1)} %"


@cache
def _messages(code: str) -> dict[str, str]:
    return json.loads((MESSAGES_DIR / f"{code}.json").read_text(encoding="utf-8"))


@cache
def language(code: str) -> Language:
    """The Language for a supported code (`de`, `en`)."""
    if code not in LANGUAGES:
        raise ValueError(f"unsupported language {code!r}")
    return Language(code)


def resolve(explicit: object, fallback: Language, field_code: str = "bad_request") -> Language:
    """`explicit` when given and supported, `fallback` when not given; a 400 LotseError with `field_code` for
    anything else."""
    if explicit is None:
        return fallback
    if isinstance(explicit, str) and explicit in LANGUAGES:
        return language(explicit)
    raise LotseError(f'"lang" must be one of {", ".join(LANGUAGES)}', code=field_code, field="lang")


def accepted_language() -> Language:
    """The best match of this request's Accept-Language header, else German."""
    return language(request.accept_languages.best_match(LANGUAGES) or DEFAULT)


def current_language() -> Language:
    """This request's language, resolved on first use and kept for the request.

    When the explicit `lang` is not supported, the error is raised once and the request goes on (its error message
    too) in the Accept-Language match.
    """
    if "language" not in g:
        fallback = accepted_language()
        g.language = fallback
        g.language = resolve(_explicit_lang(), fallback)
    return g.language


def _explicit_lang() -> object:
    lang = request.args.get("lang")
    if lang is None and request.is_json:
        try:
            body = request.get_json(silent=True)
        except (HTTPException, RecursionError):  # an oversized or absurdly nested body: its language is not read
            body = None
        lang = body.get("lang") if isinstance(body, dict) else None
    return lang
