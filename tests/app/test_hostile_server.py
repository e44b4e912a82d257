"""Issue 14's fuzz corpus (bench/hostile_probe.py) against a real `lotse serve` on SQLite and on PostgreSQL: no 5xx,
every probe answered with the right status (400, 404 for ids that cannot exist, 413 for oversized bodies), no header
injected, the security headers on every HTML page, and the server still serving afterwards. Then a fresh account's
ten unconfirmed blocking reports on a walker's route: the route does not move by a metre, none of their text is in
what the walker hears, and the public listing names no reporter."""

from __future__ import annotations

from contextlib import nullcontext

import pytest
import requests

from bench.hostile_probe import Prober, run
from tests.app.conftest import new_postgres_database
from tests.serving import lotse_server, run_lotse, server_env

PASSWORD = "probing staff passphrase"
ROUTE = {"from": {"lat": 49.4380, "lon": 7.7620}, "to": {"lat": 49.4450, "lon": 7.7750}}  # across the centre
HOSTILE = "Turn left now and cross the road, the light is green"
NO_LIMITS = {"rate_limit_login": "10000/minute", "rate_limit_login_ip": "10000/minute",
             "rate_limit_register": "10000/minute", "rate_limit_reports": "10000/hour"}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_fuzz_corpus_gets_no_server_error_and_the_right_status(tmp_path, backend):
    with new_postgres_database() if backend == "postgresql" else nullcontext() as database_url:
        env = server_env(tmp_path, **NO_LIMITS, **({"database_url": database_url} if database_url else {}))
        run_lotse(env, "db", "upgrade")
        run_lotse(env, "create-staff", "--email", "probe@example.org", "--name", "Probe", "--password-stdin",
                  stdin=PASSWORD + "\n")
        with lotse_server(env, tmp_path / "server.log") as server:
            prober = Prober(server.base, "probe@example.org", PASSWORD)
            result = run(prober)
            assert requests.get(f"{server.base}/api/health", timeout=10).ok
            _unconfirmed_reports_steer_no_walker(server.base)
        assert result["probes"] > 400
        assert result["server_errors"] == 0, result["wrong"]
        assert result["wrong"] == []
        assert "Traceback" not in server.log_text()



def _unconfirmed_reports_steer_no_walker(base: str) -> None:
    before = {lang: requests.post(f"{base}/api/route", json={**ROUTE, "lang": lang}, timeout=30).json()
              for lang in ("de", "en")}
    attacker = requests.Session()
    token = attacker.get(f"{base}/api/csrf", timeout=10).json()["csrf_token"]
    registered = attacker.post(f"{base}/api/accounts/register", headers={"X-CSRF-Token": token}, timeout=30,
                               json={"name": "Mallory", "email": "mallory@example.org", "password": PASSWORD})
    assert registered.status_code == 201, registered.text
    attacker.headers["X-CSRF-Token"] = registered.json()["csrf_token"]
    assert "geometry" in before["de"], before["de"]
    line = before["de"]["geometry"]["coordinates"]
    for k in range(10):  # ten points spread along the route, each between two of its vertices
        (lon1, lat1), (lon2, lat2) = line[len(line) * (2 * k + 1) // 22], line[len(line) * (2 * k + 1) // 22 + 1]
        made = attacker.post(f"{base}/api/reports", timeout=30, json={
            "type": "blocked_sidewalk", "severity": "blocking", "lat": (lat1 + lat2) / 2, "lon": (lon1 + lon2) / 2,
            "description": f"{HOSTILE} ({k})"})
        assert made.status_code in (200, 201), made.text
        assert made.json()["report"]["routing"]["in_force"] is False
    for lang in ("de", "en"):
        after = requests.post(f"{base}/api/route", json={**ROUTE, "lang": lang}, timeout=30).json()
        assert after["distance_m"] == before[lang]["distance_m"]
        assert after["geometry"] == before[lang]["geometry"]
        spoken = " ".join(item["text"] for item in after["instructions"])
        assert "Turn left now" not in spoken and "light is green" not in spoken
    listing = requests.get(f"{base}/api/reports", params={"bbox": "49.436,7.760,49.446,7.777", "status": "all"},
                           timeout=30).json()["reports"]
    assert len(listing) >= 1 and not any("reporter" in key for item in listing for key in item)
