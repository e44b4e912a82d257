"""Quests (routing.quests, app.community.quests), the overlay of accepted facts (routing.facts) and their osmChange export (routing.osmchange)."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

from click.testing import CliRunner
from sqlalchemy import select

from app.cli import main
from app.community.facts import apply_accepted_facts
from app.core import db
from app.core.models import AcceptedFact
from routing import tags
from tests.app.volunteer_helpers import client_of, error_of, volunteer
from tests.conftest import MINI_OSM
from tests.graph_helpers import CROSSING, STEPS_COUNTED, STEPS_UNCOUNTED, node_row

# Traffic lights across Fruchthallstraße in the centre; OSM says nothing about tactile paving or sound there.
TACTILE = f"node/{CROSSING['osm_id']}/tactile_paving"


def quests_near(client, **query):
    response = client.get("/api/quests", query_string={"lat": CROSSING["lat"], "lon": CROSSING["lon"], **query})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["quests"]


def test_quests_near_a_real_crossing(vapp):
    quests = quests_near(client_of(vapp), radius=100)
    assert 4 <= len(quests) <= 20
    assert [quest["distance_m"] for quest in quests] == sorted(quest["distance_m"] for quest in quests)
    here = {quest["key"]: quest for quest in quests if quest["osm_id"] == CROSSING["osm_id"]}
    assert set(here) == {"tactile_paving", "acoustic_signal", "vibration", "kerb"}
    tactile = here["tactile_paving"]
    assert tactile["id"] == TACTILE
    assert tactile["element"] == "node" and tactile["distance_m"] < 5
    assert list(tactile["question"]) == ["de", "en"]
    assert tactile["question"]["de"] == ("Gibt es an der Querung über die Straße „Fruchthallstraße“ Bodenindikatoren, "
                                         "also Rillen- oder Noppenplatten für den Blindenstock?")
    assert "“Fruchthallstraße”" in tactile["question"]["en"]
    assert tactile["answer_type"] == "choice"
    assert tactile["answers"] == [{"value": "yes", "label": {"de": "Ja", "en": "Yes"}},
                                  {"value": "no", "label": {"de": "Nein", "en": "No"}}]
    assert [answer["value"] for answer in here["kerb"]["answers"]] == ["lowered", "raised", "flush"]
    for quest in quests:
        if quest["key"] == "sidewalk":
            assert len(quest["along"]) == 2
    assert error_of(client_of(vapp).get("/api/quests", query_string={"lat": "x", "lon": 7.7}), 400)["code"] == \
        "bad_coordinate"
    too_far = client_of(vapp).get("/api/quests", query_string={"lat": 49.44, "lon": 7.77, "radius": 5000})
    assert error_of(too_far, 400)["code"] == "bad_request"


def test_two_agreeing_volunteers_make_a_fact(vapp):
    anna, ben, cleo = volunteer(vapp, "Anna"), volunteer(vapp, "Ben"), volunteer(vapp, "Cleo")
    answer = {"quest": TACTILE, "answer": "yes"}
    assert anna.post("/api/quests/answer", json=answer).get_json()["accepted"] is False
    assert anna.post("/api/quests/answer", json=answer).get_json()["accepted"] is False  # the same person twice
    assert TACTILE not in [quest["id"] for quest in quests_near(anna)]  # answered by Anna already
    assert TACTILE in [quest["id"] for quest in quests_near(ben)]
    assert ben.post("/api/quests/answer", json={**answer, "answer": "no"}).get_json()["accepted"] is False
    result = cleo.post("/api/quests/answer", json=answer).get_json()
    assert result == {"quest": TACTILE, "answer": "yes", "accepted": True}
    with db.app_session(vapp) as session:
        facts = session.scalars(select(AcceptedFact)).all()
    assert [(f.element, f.osm_id, f.key, f.value) for f in facts] == [("node", CROSSING["osm_id"], "tactile_paving",
                                                                       "yes")]
    assert error_of(ben.post("/api/quests/answer", json=answer), 409)["code"] == "quest_done"
    assert TACTILE not in [quest["id"] for quest in quests_near(client_of(vapp))]

    # The background rebuild puts the fact into routing's graph; the graph as loaded stays as OSM has it.
    row = node_row(vapp.extensions["lotse.base_graph"], CROSSING["osm_id"])
    deadline = time.monotonic() + 10
    while vapp.extensions["lotse.graph"].node_columns["tactile_paving"][row] != tags.YES:
        assert time.monotonic() < deadline, "the accepted fact did not reach the graph"
        time.sleep(0.05)
    assert vapp.extensions["lotse.planner"].graph is vapp.extensions["lotse.graph"]
    assert vapp.extensions["lotse.base_graph"].node_columns["tactile_paving"][row] == tags.UNKNOWN
    route = client_of(vapp).post("/api/route", json={"from": {"lat": 49.4457, "lon": 7.7684},
                                                     "to": {"lat": 49.4447, "lon": 7.7690}}).get_json()
    crossing = [c for c in route["crossings"] if c["node_osm_id"] == CROSSING["osm_id"]]
    assert crossing and crossing[0]["tactile_paving"] == "yes"


def test_counts_and_bad_answers(vapp):
    anna, ben = volunteer(vapp, "Anna"), volunteer(vapp, "Ben")
    quest = f"way/{STEPS_UNCOUNTED}/step_count"
    assert anna.post("/api/quests/answer", json={"quest": quest, "answer": 12}).get_json()["accepted"] is False
    assert ben.post("/api/quests/answer", json={"quest": quest, "answer": "12"}).get_json() == {
        "quest": quest, "answer": "12", "accepted": True}
    for bad in (0, -3, 501, "zwölf", True, 1.5):
        assert error_of(anna.post("/api/quests/answer", json={"quest": f"way/{STEPS_UNCOUNTED}/handrail",
                                                              "answer": bad}), 400)["code"] == "bad_answer"
    error = error_of(anna.post("/api/quests/answer", json={"quest": TACTILE, "answer": "vielleicht", "lang": "en"}),
                     400)
    assert error == {"code": "bad_answer", "message": "This answer does not fit the question."}
    for unknown in (f"way/{STEPS_COUNTED}/step_count", "node/1/tactile_paving", f"way/{CROSSING['osm_id']}/kerb",
                    f"node/{CROSSING['osm_id']}/colour", "node/abc/kerb"):
        assert error_of(anna.post("/api/quests/answer", json={"quest": unknown, "answer": "yes"}), 404)["code"] == \
            "quest_not_found"
    assert error_of(client_of(vapp).post("/api/quests/answer", json={"quest": TACTILE, "answer": "yes"}), 401)[
        "code"] == "login_required"




def test_apply_accepted_facts_swaps_graph_and_planner(vapp):
    with db.app_session(vapp, write=True) as session:
        session.add(AcceptedFact(quest_id=TACTILE, element="node", osm_id=CROSSING["osm_id"], key="tactile_paving",
                                 value="no"))
    graph = apply_accepted_facts(vapp)
    assert vapp.extensions["lotse.graph"] is graph
    assert vapp.extensions["lotse.planner"].graph is graph
    assert graph.node_columns["tactile_paving"][node_row(graph, CROSSING["osm_id"])] == tags.NO


def test_export_osmchange(vapp, database_url, tmp_path):
    with db.app_session(vapp, write=True) as session:
        session.add_all([
            AcceptedFact(quest_id="node/8/tactile_paving", element="node", osm_id=8, key="tactile_paving", value="yes"),
            AcceptedFact(quest_id="node/8/kerb", element="node", osm_id=8, key="kerb", value="lowered"),
            AcceptedFact(quest_id="way/101/sidewalk", element="way", osm_id=101, key="sidewalk", value="no"),
            AcceptedFact(quest_id="way/999999/surface", element="way", osm_id=999999, key="surface", value="grass"),
        ])
    out = tmp_path / "facts.osc"
    result = CliRunner().invoke(main, ["export-osmchange", "--osm", str(MINI_OSM), "--database-url", database_url,
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert '"elements": 2' in result.stdout and '"missing": 1' in result.stdout

    text = out.read_text(encoding="utf-8")
    assert "a mapper must review" in text
    root = ET.fromstring(text)
    assert root.tag == "osmChange" and root.get("version") == "0.6"
    (modify,) = list(root)
    assert modify.tag == "modify"
    node, way = list(modify)
    source = {(e.tag, e.get("id")): e for e in ET.parse(MINI_OSM).getroot() if e.tag in ("node", "way")}
    assert (node.tag, node.get("id")) == ("node", "8")
    assert node.attrib == source[("node", "8")].attrib  # version, lat, lon as in the source
    node_tags = {tag.get("k"): tag.get("v") for tag in node.iter("tag")}
    assert node_tags == {**{t.get("k"): t.get("v") for t in source[("node", "8")].iter("tag")},
                         "tactile_paving": "yes", "kerb": "lowered"}
    assert (way.tag, way.get("id")) == ("way", "101")
    assert [nd.get("ref") for nd in way.iter("nd")] == [nd.get("ref") for nd in source[("way", "101")].iter("nd")]
    way_tags = {tag.get("k"): tag.get("v") for tag in way.iter("tag")}
    assert way_tags["sidewalk"] == "no" and way_tags["name"] == "Fackelstraße"
