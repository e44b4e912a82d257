"""Issue 14's fuzz corpus against a running `lotse serve`, as an attacker would send it, printed as JSON: every probe's
status, the 5xx among them and those answered with another status than the right one.

The corpus: JSON nested 1,000 deep on every JSON POST (as the body and inside a field); 400-digit numbers, NaN and
Infinity in every number field; ids above 2³¹ and 2⁶³ (and "²") on every id path and in `assignee_id`; Unicode
digits ("²", "٣") in every integer parameter; lone surrogates and NUL in every text field (JSON, query strings and
forms); a list where a string belongs (report `type` first); CRLF in the staff login's `next`; bodies over the
64 KB limit (413).

`tests/app/test_hostile_server.py` runs it against a real server on SQLite and PostgreSQL. By hand, against a server
started with high rate limits (else the login probes get 429, which is right but hides the rest):

    python bench/hostile_probe.py --base http://127.0.0.1:5000 --email staff@example.org --password ...
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests

CENTRE = {"lat": 49.4447, "lon": 7.7690}
NESTED = "[" * 1000 + "]" * 1000
HUGE = "9" * 400
BIG_IDS = ("2147483648", "9223372036854775808", "18446744073709551616", HUGE, "²", "٣", "0", "-1")
BAD_NUMBERS = (HUGE, "-" + HUGE, "1e400", "NaN", "Infinity", "-Infinity")
BAD_TEXTS = ('"\\ud800"', '"a\\u0000b"', '"\\udfff\\ud800"')
OVER_LIMIT = 70 * 1024  # MAX_CONTENT_LENGTH is 64 KB


@dataclass
class Probe:
    name: str
    method: str
    path: str
    expected: tuple[int, ...]
    json_text: str | None = None  # sent as the raw body with Content-Type application/json
    params: dict[str, str] | None = None
    form: dict[str, str] | None = None
    data: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    session: str = "staff"  # or "anonymous" (account probes must not end the staff session), or "fresh" (a login)


def _json(value: dict[str, Any], **raw: str) -> str:
    """`value` as JSON with the `raw` fields' JSON text put in as it is (NaN, 400 digits, lone surrogates...)."""
    text = json.dumps({key: None for key in raw} | value | {key: f"@@{key}@@" for key in raw})
    for key, literal in raw.items():
        text = text.replace(f'"@@{key}@@"', literal)
    return text


def json_posts(report_id: int, quest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every JSON POST of the API with a body it would take."""
    return {
        "/api/route": {"from": dict(CENTRE), "to": {"lat": 49.4452, "lon": 7.7712}},
        "/api/accounts/register": {"name": "Eve", "email": "eve@example.org", "password": "lang genug 1234"},
        "/api/accounts/login": {"email": "eve@example.org", "password": "lang genug 1234"},
        "/api/reports": {"type": "other", **CENTRE, "description": "x"},
        f"/api/reports/{report_id}/votes": {"answer": "yes"},
        f"/api/reports/{report_id}/resolve": {"note": "x"},
        f"/api/reports/{report_id}/reject": {"note": "x"},
        f"/api/reports/{report_id}/work": {"note": "x", "work_status": "in_progress"},
        "/api/quests/answer": {"quest": quest["id"], "answer": quest["answers"][0]["value"]},
    }


def _account(path: str) -> bool:
    return path.startswith("/api/accounts")


def corpus(report_id: int, quest: dict[str, Any], staff_login: dict[str, str]) -> list[Probe]:
    """Every probe, with the statuses that are right for it (400 for bad input, 404 for an id that cannot exist,
    413 for a body over the limit). `quest` is an open choice quest of the map; `staff_login` a staff account's
    email and password (a login that succeeds redirects to `next`: only to a /staff path, nothing injected)."""
    probes: list[Probe] = []
    posts = json_posts(report_id, quest)
    for path, body in posts.items():
        session = "anonymous" if _account(path) else "staff"
        for name, text in (("nested body", NESTED), ("nested field", _json(body, lang=NESTED)),
                           ("nested object", '{"a":' * 1000 + "1" + "}" * 1000)):
            probes.append(Probe(f"{name} {path}", "POST", path, (400,), json_text=text, session=session))
        for key, value in body.items():  # a list, an object and a number where each field's value belongs
            for wrong in ([value], {"x": value}, 7 if isinstance(value, str) else "7"):
                probes.append(Probe(f"{type(wrong).__name__} as {key} {path}", "POST", path, (400,),
                                    json_text=json.dumps({**body, key: wrong}), session=session))
            if isinstance(value, str):
                for bad in BAD_TEXTS:
                    probes.append(Probe(f"bad text {bad} in {key} {path}", "POST", path, (400,),
                                        json_text=_json({k: v for k, v in body.items() if k != key}, **{key: bad}),
                                        session=session))
        probes.append(Probe(f"over 64 KB {path}", "POST", path, (413,),
                            json_text=json.dumps({**body, "pad": "x" * OVER_LIMIT}), session=session))
        probes.append(Probe(f"10 MB {path}", "POST", path, (413,), data=b"{" + b" " * 10_000_000 + b"}",
                            headers={"Content-Type": "application/json"}, session=session))
    numbers = [("/api/route", posts["/api/route"], "from"), ("/api/reports", posts["/api/reports"], None),
               (f"/api/reports/{report_id}/work", posts[f"/api/reports/{report_id}/work"], "assignee_id")]
    for bad in BAD_NUMBERS:
        probes.append(Probe(f"{bad[:8]} as lat /api/route", "POST", "/api/route", (400,),
                            json_text=_json({"to": CENTRE}, **{"from": _json({"lon": 7.769}, lat=bad)})))
        for key in ("lat", "lon"):
            probes.append(Probe(f"{bad[:8]} as {key} /api/reports", "POST", "/api/reports", (400,),
                                json_text=_json({k: v for k, v in posts["/api/reports"].items() if k != key},
                                                **{key: bad})))
        probes.append(Probe(f"{bad[:8]} as assignee_id", "POST", numbers[2][0], (400,),
                            json_text=_json({"note": "x"}, assignee_id=bad)))
        probes.append(Probe(f"{bad[:8]} as step count", "POST", "/api/quests/answer", (400, 404),
                            json_text=_json({"quest": "node/1/step_count"}, answer=bad)))
    for assignee in ("2147483648", "9223372036854775808", "18446744073709551616", '"²"', "true", "1.5", "[1]"):
        probes.append(Probe(f"assignee_id {assignee}", "POST", f"/api/reports/{report_id}/work", (400,),
                            json_text=_json({}, assignee_id=assignee)))
    for report in BIG_IDS:
        for method, suffix, text in (("GET", "", None), ("POST", "/votes", '{"answer": "yes"}'),
                                     ("GET", "/events", None), ("POST", "/resolve", "{}"), ("POST", "/reject", "{}"),
                                     ("POST", "/work", '{"note": "x"}')):
            probes.append(Probe(f"id {report[:12]} {suffix or 'show'}", method, f"/api/reports/{report}{suffix}",
                                (404,), json_text=text))
        probes.append(Probe(f"staff page id {report[:12]}", "GET", f"/staff/reports/{report}", (404,)))
        probes.append(Probe(f"staff form id {report[:12]}", "POST", f"/staff/reports/{report}", (404,),
                            form={"work_status": "new", "note": "x"}))
    for value in ("²", "٣", "2147483648", HUGE, "1.5", "-1"):
        probes.append(Probe(f"staff form assignee_id {value[:12]}", "POST", f"/staff/reports/{report_id}",
                            (400,), form={"work_status": "in_progress", "assignee_id": value, "note": ""}))
    for quest_id in ("node/²/step_count", "node/٣/tactile_paving", f"node/{HUGE}/step_count", "way/-1/sidewalk",
                     "node/1\u0000/step_count"):
        probes.append(Probe(f"quest id {quest_id[:16]!r}", "POST", "/api/quests/answer", (400, 404),
                            json_text=json.dumps({"quest": quest_id, "answer": "3"})))
    integer_params = [("/api/gaps", "limit", {}), ("/api/gaps", "offset", {}), ("/staff/gaps", "page", {}),
                      ("/staff/reports", "page", {}), ("/api/map/graph", "zoom", {"bbox": "49.44,7.76,49.45,7.78"}),
                      ("/api/gaps/map", "zoom", {"bbox": "49.44,7.76,49.45,7.78"}),
                      ("/api/geocode", "limit", {"q": "Rathaus"}), ("/api/quests", "radius", dict(CENTRE)),
                      ("/api/reports", "radius_m", dict(CENTRE))]
    number_params = [("/api/snap", "lat", {"lon": "7.769"}), ("/api/snap", "lon", {"lat": "49.44"}),
                     ("/api/geocode", "lat", {"q": "Rathaus", "lon": "7.769"}),
                     ("/api/reports", "lat", {"lon": "7.769"}), ("/api/quests", "lat", {"lon": "7.769"})]
    for path, name, others in integer_params + number_params:
        for value in ("²", "٣", "4٩", HUGE, "1e400", "nan", "inf", "-" + HUGE):
            probes.append(Probe(f"{value[:8]} as {name} {path}", "GET", path, (400,),
                                params={**others, name: value}))
    text_params = [("/api/geocode", "q", {}), ("/api/gaps", "street", {}), ("/api/gaps", "cell", {}),
                   ("/api/gaps", "kind", {}), ("/api/reports", "since", {}), ("/api/reports", "until", {}),
                   ("/api/reports", "type", {}), ("/api/reports", "bbox", {}), ("/api/speech", "text", {}),
                   ("/staff/gaps", "street", {}), ("/staff/reports", "since", {}), ("/api/quests", "lang", CENTRE),
                   ("/api/map/reports", "bbox", {})]
    for path, name, others in text_params:
        # A URL cannot carry a lone surrogate: bytes that are not UTF-8 arrive as U+FFFD, which is text.
        for label, raw, expected in (("NUL", "a%00b", (400,)), ("surrogate", "%ED%A0%80", (200, 400)),
                                     ("bad UTF-8", "%FF%FE", (200, 400)), ("CRLF", "a%0D%0Ab", (200, 400))):
            query = "&".join([*(f"{key}={value}" for key, value in others.items()), f"{name}={raw}"])
            probes.append(Probe(f"{label} in {name} {path}", "GET", f"{path}?{query}", expected))
    for label, target in (("CRLF", "/staff\r\nSet-Cookie: x=1"), ("NUL", "/staff/\x00"),
                          ("host", "//evil.example/staff"), ("scheme", "https://evil.example/"),
                          ("surrogate", "/staff/\udc80")):
        probes.append(Probe(f"{label} in staff login next", "POST", "/staff/login", (401,), session="anonymous",
                            form={"email": "eve@example.org", "password": "wrong password", "next": target}))
        probes.append(Probe(f"{label} in staff login next, logged in", "POST", "/staff/login", (303,),
                            session="fresh", form={**staff_login, "next": target}))
    for key in ("email", "password"):
        for bad in ("a\x00b", "\udc80"):
            probes.append(Probe(f"{bad!r} in staff login {key}", "POST", "/staff/login", (400, 401), session="anonymous",
                                form={"email": "eve@example.org", "password": "wrong password", key: bad}))
    probes.append(Probe("over 64 KB staff login form", "POST", "/staff/login", (413,), session="anonymous",
                        form={"email": "eve@example.org", "password": "x" * OVER_LIMIT}))
    probes.append(Probe("NUL in staff report note", "POST", f"/staff/reports/{report_id}", (400, 409),
                        form={"work_status": "in_progress", "note": "a\x00b"}))
    return probes


class Prober:
    """Two sessions against `base`: a logged-in staff member's and an anonymous one, each with its CSRF token."""

    def __init__(self, base: str, email: str, password: str) -> None:
        self.base = base
        self.staff_login = {"email": email, "password": password}
        self.staff = self._session()
        token = self.staff.headers["X-CSRF-Token"]
        login = self.staff.post(f"{base}/api/accounts/login", json={"email": email, "password": password},
                                headers={"X-CSRF-Token": token}, timeout=30)
        login.raise_for_status()
        self.staff.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        self.anonymous = self._session()

    def _session(self) -> requests.Session:
        session = requests.Session()
        session.headers["X-CSRF-Token"] = session.get(f"{self.base}/api/csrf", timeout=30).json()["csrf_token"]
        return session

    def send(self, probe: Probe) -> requests.Response:
        session = {"staff": self.staff, "anonymous": self.anonymous}.get(probe.session) or self._session()
        headers = dict(probe.headers)
        data: Any = probe.data
        if probe.json_text is not None:
            data, headers["Content-Type"] = probe.json_text.encode("utf-8", "surrogatepass"), "application/json"
        form = None
        if probe.form is not None:
            form = {key: value.encode("utf-8", "surrogatepass") for key, value in
                    {**probe.form, "csrf_token": session.headers["X-CSRF-Token"]}.items()}
        return session.request(probe.method, f"{self.base}{probe.path}", params=probe.params, data=form or data,
                               headers=headers, allow_redirects=False, timeout=60)

    def targets(self) -> tuple[int, dict[str, Any]]:
        """An open report (made now) and an open choice quest near the centre: what the probes aim at."""
        response = self.staff.post(f"{self.base}/api/reports", json={"type": "construction", **CENTRE}, timeout=30)
        response.raise_for_status()
        quests = self.staff.get(f"{self.base}/api/quests", params={**CENTRE, "radius": 1000}, timeout=30)
        quest = next(quest for quest in quests.json()["quests"] if quest["answer_type"] == "choice")
        return response.json()["report"]["id"], quest


def run(prober: Prober) -> dict[str, Any]:
    """Send the corpus; the statuses seen, the 5xx and the wrong answers (status, a header CRLF got into, or an
    HTML page, an error page too, without the security headers)."""
    statuses: Counter[int] = Counter()
    wrong = []
    for probe in corpus(*prober.targets(), prober.staff_login):
        try:
            response = prober.send(probe)
        except requests.RequestException as exc:  # the server closed the connection, or never answered
            wrong.append({"probe": probe.name, "status": None, "error": type(exc).__name__})
            continue
        statuses[response.status_code] += 1
        location = response.headers.get("Location", "")
        injected = "x=1" in response.headers.get("Set-Cookie", "") or "\n" in location or "evil" in location
        html = response.headers.get("Content-Type", "").startswith("text/html")
        csp = response.headers.get("Content-Security-Policy", "")
        unguarded = html and not ("frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
                                  and response.headers.get("X-Content-Type-Options") == "nosniff"
                                  and response.headers.get("Referrer-Policy"))
        if response.status_code not in probe.expected or injected or unguarded:
            wrong.append({"probe": probe.name, "status": response.status_code, "expected": probe.expected,
                          "body": response.text[:160]})
    return {"probes": sum(statuses.values()) + sum(1 for item in wrong if item["status"] is None),
            "statuses": dict(sorted(statuses.items())),
            "server_errors": sum(count for status, count in statuses.items() if status >= 500),
            "wrong": wrong}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True)
    parser.add_argument("--email", required=True, help="A staff account's")
    parser.add_argument("--password", required=True)
    args = parser.parse_args()
    prober = Prober(args.base, args.email, args.password)
    print(json.dumps(run(prober), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
