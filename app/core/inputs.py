"""Every input path by schema: request bodies and query strings are declared as pydantic models, parsed by one JSON
reader, and refused with a 400 naming the field (in the request's language) before any view code runs on them.

Pydantic v2 rather than hand-written checks or marshmallow: the models are plain type hints (the style of the rest
of the code), its core is compiled (cheap on every request), strict mode refuses "1" for 1 and a list for a string,
and `model_json_schema` gives the JSON Schema the OpenAPI document is generated from, so the document cannot drift
from what the server accepts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any, Literal, TypeVar

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import GenerateJsonSchema
from werkzeug.routing import IntegerConverter

from routing.errors import LotseError
from routing.numbers import finite_number
from routing.phrases import LANGUAGES

ID_MAX = 2**31 - 1  # PostgreSQL `integer`, the id columns' type: a larger id cannot name a row
_INT_DIGITS_MAX = 18  # integers longer than this are read as floats (inf when huge), which every check refuses


# ------------------------------------------------------------------------------------------------- JSON
def _number(text: str) -> int | float:
    return int(text) if len(text.lstrip("-")) <= _INT_DIGITS_MAX else float(text)


def loads(data: str | bytes) -> Any:
    """JSON as the API reads it: huge integers as floats (NaN, Infinity and those are refused as numbers by the
    fields that read them, naming the field), nesting too deep for Python's parser a ValueError like any other bad
    JSON."""
    try:
        return json.loads(data, parse_int=_number)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading with `loads`: `request.get_json()` never raises anything but a 400."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s)


class IdConverter(IntegerConverter):
    """`<id:name>` in a URL: ASCII digits from 1 to `ID_MAX`; anything else matches no route (404)."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map: Any) -> None:  # noqa: A002 (werkzeug's name)
        super().__init__(map, min=1, max=ID_MAX)


def init_app(app: Flask) -> None:
    app.json = JSONProvider(app)
    app.url_map.converters["id"] = IdConverter


# ------------------------------------------------------------------------------------------------ types
def is_text(value: str) -> bool:
    """Whether `value` can be stored and shown: no NUL, no lone surrogate."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _clean_text(value: str) -> str:
    if not is_text(value):
        raise ValueError("NUL and lone surrogates are not text")
    return value


Text = Annotated[str, AfterValidator(_clean_text)]
"""A string without NUL and lone surrogates (neither can be stored or spoken)."""
Id = Annotated[int, Field(ge=1, le=ID_MAX)]
Number = Annotated[float, Field(allow_inf_nan=False)]


def ascii_int(text: str, low: int, high: int) -> int | None:
    """`text` as a whole number from `low` to `high` when it is ASCII digits ("²" is not), else None."""
    if not (text.isascii() and text.isdigit()) or len(text) > _INT_DIGITS_MAX:
        return None
    value = int(text)
    return value if low <= value <= high else None


def finite(text: str | None) -> float | None:
    """A query string number: finite, in ASCII, else None."""
    if text is None or not text.isascii() or len(text) > 64:
        return None
    try:
        return finite_number(float(text))
    except ValueError:
        return None


# The longest text a query parameter may hold: a URL's request line ends at 8 KB (gunicorn, nginx), and a character
# can take 12 bytes percent-encoded, so a few such parameters must fit in one line.
QUERY_TEXT_MAX = 200


_DEGREES = r"-?[0-9]{1,3}(\.[0-9]{1,12})?"
BBOX_PATTERN = f"^{_DEGREES},{_DEGREES},{_DEGREES},{_DEGREES}$"  # the document's form of what `BBox` reads


def _bbox(value: object) -> tuple[float, float, float, float]:
    parts = [finite(part) for part in value.split(",")] if isinstance(value, str) and len(value) <= QUERY_TEXT_MAX \
        else []
    if len(parts) != 4 or None in parts:
        raise ValueError("must be south,west,north,east in degrees")
    south, west, north, east = parts
    if not (-90 <= south <= north <= 90 and -180 <= west <= east <= 180):
        raise ValueError("must be south,west,north,east in degrees, south of north and west of east")
    return south, west, north, east


BBox = Annotated[tuple[float, float, float, float], BeforeValidator(_bbox),
                 WithJsonSchema({"type": "string", "pattern": BBOX_PATTERN})]
"""`south,west,north,east` in degrees, as a query parameter."""


def comma_separated(choices: Sequence[str]) -> Any:
    """The type of a query parameter naming one or more of `choices`, comma-separated ("a,b"), read as a tuple."""

    def split(value: object) -> tuple[str, ...]:
        names = tuple(value.split(",")) if isinstance(value, str) and len(value) <= QUERY_TEXT_MAX else ()
        if not names or any(name not in choices for name in names):
            raise ValueError(f"must be one or more of {', '.join(choices)}, comma-separated")
        return names

    one = "|".join(choices)
    return Annotated[tuple[str, ...], BeforeValidator(split),
                     WithJsonSchema({"type": "string", "pattern": f"^({one})(,({one}))*$"})]


# ----------------------------------------------------------------------------------------------- models
class Body(BaseModel):
    """A request body: a JSON object with only the declared fields (and `lang`), each of its declared type."""

    model_config = ConfigDict(extra="forbid", strict=True, str_max_length=4096)

    lang: Literal[tuple(LANGUAGES)] | None = None


class Query(BaseModel):
    """A query string: the declared parameters, each text parsed as its declared type ("49.4" is a number, "²" is
    not); parameters not declared are ignored (browsers and caches add their own), and an empty one is absent (an
    HTML form sends every field, the unset ones empty)."""

    model_config = ConfigDict(extra="ignore", str_max_length=QUERY_TEXT_MAX)

    lang: Literal[tuple(LANGUAGES)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _empty_is_absent(cls, data: Any) -> Any:
        return {key: value for key, value in data.items() if value != ""} if isinstance(data, dict) else data


class Reply(BaseModel):
    """A response body as the OpenAPI document describes it: exactly these fields (`additionalProperties: false`),
    so a view that sends a field not declared, or of another type, fails the schemathesis conformance check."""

    model_config = ConfigDict(extra="forbid")


Model = TypeVar("Model", bound=BaseModel)


def parse_query(model: type[Model], codes: dict[str, str] | None = None) -> Model:
    """The request's query string as `model`, or a 400 naming the first wrong parameter."""
    return validate(model, request.args.to_dict(), codes)


def query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """The OpenAPI parameters of a `Query` model (an optional parameter is absent, never null)."""
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    parameters = []
    for name, prop in schema["properties"].items():
        prop = dict(prop)
        options = [option for option in prop.pop("anyOf", ()) if option.get("type") != "null"]
        if len(options) == 1:
            prop.update(options[0])
        prop.pop("title", None)
        if prop.get("default", 0) is None:
            del prop["default"]
        if prop.get("type") == "string" and not {"enum", "const", "maxLength"} & set(prop):
            prop["maxLength"] = QUERY_TEXT_MAX  # the model's str_max_length, which pydantic leaves out of the schema
        description = prop.pop("description", "")
        parameters.append({"name": name, "in": "query", "required": name in required, "schema": prop,
                           **({"description": description} if description else {})})
    return parameters


class AbsentNotNull(GenerateJsonSchema):
    """JSON Schema of a body whose optional fields are left out rather than sent as null (null is taken as absent,
    but the document offers only the value's own type)."""

    def nullable_schema(self, schema: Any) -> dict[str, Any]:
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: Any) -> dict[str, Any]:
        json_schema = super().default_schema(schema)
        if json_schema.get("default", 0) is None:
            del json_schema["default"]
        return json_schema


class ReplySchema(GenerateJsonSchema):
    """JSON Schema of a `Reply`: a field defaulting to None is left out rather than sent as null, so the document
    offers only its own type; a field that may be null without being optional keeps its null."""

    def default_schema(self, schema: Any) -> dict[str, Any]:
        inner = schema["schema"]
        if schema.get("default", 0) is None and inner["type"] == "nullable":
            return self.generate_inner(inner["schema"])
        return super().default_schema(schema)


def parse_body(model: type[Model], codes: dict[str, str] | None = None) -> Model:
    """The request's JSON body as `model`: 400 `bad_json` for anything but a JSON object, else as `validate`."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise LotseError("The body must be a JSON object", field="body", code="bad_json")
    return validate(model, body, codes)


def validate(model: type[Model], data: dict[str, Any], codes: dict[str, str] | None = None,
             code: str = "bad_request") -> Model:
    """`data` as `model`, or a 400 naming the first field that is wrong (code `code`, or the one `codes` gives for
    that field)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "body"
        code = (codes or {}).get(str(error["loc"][0]) if error["loc"] else "", code)
        raise LotseError(f'"{field}": {error["msg"]}', code=code, field=field) from None
