"""The OpenAPI document covers every HTTP path the app serves, each method, and every error it names is one the
app can say; the socket's messages are documented in docs/protocol.md, checked against app/walker/live.py."""

from __future__ import annotations

import json
import re

import jsonschema_rs
import pytest

from app.core.language import MESSAGES_DIR
from tests.conftest import REPO

PROTOCOL = (REPO / "docs" / "protocol.md").read_text(encoding="utf-8")
LIVE = (REPO / "app" / "walker" / "live.py").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def document(mini_graph):
    from app import create_app

    app = create_app({"TESTING": True}, graph=mini_graph)
    response = app.test_client().get("/api/openapi.json")
    assert response.status_code == 200
    return app, response.get_json()


def _template(rule: str) -> str:
    """A Flask rule as an OpenAPI path: `<id:report_id>` → `{report_id}`."""
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def test_every_path_and_method_of_the_app_is_documented(document):
    app, openapi = document
    served = {(_template(rule.rule), method.lower()) for rule in app.url_map.iter_rules()
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, item in openapi["paths"].items() for method in item}
    normal = {(re.sub(r"\{\w+\}", "{}", path), method) for path, method in served}
    assert {(re.sub(r"\{\w+\}", "{}", path), method) for path, method in documented} == normal
    assert len(served) >= 40


def test_every_operation_has_responses_and_its_path_parameters(document):
    _, openapi = document
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            assert operation["summary"], (path, method)
            assert operation["responses"], (path, method)
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"\{(\w+)\}", path)), (path, method)


def test_bodies_and_responses_refer_to_schemas_that_exist(document):
    _, openapi = document
    text = json.dumps(openapi)
    for name in set(re.findall(r'"#/components/schemas/(\w+)"', text)):
        assert name in openapi["components"]["schemas"], name
    for name in openapi["components"]["schemas"]:  # each compiles (raises on an invalid schema)
        jsonschema_rs.Draft202012Validator({"components": openapi["components"],
                                            "$ref": f"#/components/schemas/{name}"})


def test_the_route_body_and_the_query_strings_come_from_the_models(document):
    from app.community.map_api import BoxQuery, MapQuery
    from app.community.quests import QuestQuery
    from app.community.reports import ReportQuery
    from app.staff.gap_api import GapMapQuery, GapQuery
    from app.walker.api import GeocodeQuery, PositionQuery
    from app.walker.planning import RouteBody

    _, openapi = document
    request = openapi["components"]["schemas"]["RouteRequest"]
    assert set(request["properties"]) == {"from" if name == "from_" else name for name in RouteBody.model_fields}
    for path, model in (("/api/snap", PositionQuery), ("/api/geocode", GeocodeQuery), ("/api/reports", ReportQuery),
                        ("/api/quests", QuestQuery), ("/api/gaps", GapQuery), ("/api/gaps/map", GapMapQuery),
                        ("/api/map/graph", MapQuery), ("/api/map/reports", BoxQuery), ("/api/map/quests", BoxQuery)):
        assert {p["name"] for p in openapi["paths"][path]["get"]["parameters"]} == set(model.model_fields)


def test_error_codes_are_the_ones_with_a_message(document):
    _, openapi = document
    codes = openapi["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]
    assert set(codes) == set(json.loads((MESSAGES_DIR / "en.json").read_text(encoding="utf-8")))


# ---------------------------------------------------------------------------------------------- the socket
def test_every_message_type_the_socket_takes_is_documented_with_an_example():
    handled = set(re.findall(r"def _on_(\w+)\(", LIVE))
    assert {"start", "position", "repeat", "where_am_i", "pause", "resume", "stop"} <= handled
    for kind in handled:
        assert f"`{kind}`" in PROTOCOL, kind
        assert f'"type": "{kind}"' in PROTOCOL, f"no example of {kind}"


def test_every_message_type_the_socket_sends_is_documented_with_an_example():
    sent = set(re.findall(r'"type": "(\w+)"', LIVE)) | {"error"}  # errors go out through frame_error
    assert {"started", "instruction", "progress", "off_route", "rerouted", "arrived"} <= sent
    for kind in sent:
        assert f"`{kind}`" in PROTOCOL, kind
        assert f'"type": "{kind}"' in PROTOCOL, f"no example of {kind}"


def test_every_error_code_the_socket_sends_is_documented():
    codes = set(re.findall(r'code="(\w+)"', LIVE))
    assert {"bad_json", "unknown_type", "not_started", "unknown_route"} <= codes
    errors = PROTOCOL.split("## Errors", 1)[1]
    for code in codes | {"off_map", "bad_coordinate", "bad_preference"}:
        assert f"`{code}`" in errors, code
