"""Schemathesis fuzzes a real `lotse serve` on the centre from its own OpenAPI document, as a logged-in staff member
(who may call every path of the API): no server error and no response that contradicts the document, in about a
minute, offline."""

from __future__ import annotations

import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import requests

from tests.serving import lotse_server, run_lotse, server_env

FUZZ_SECONDS = 50
MAX_EXAMPLES = 25  # per operation and phase: enough to reach every field's edges, small enough for the budget
PASSWORD = "fuzzing staff passphrase"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def test_fuzzing_finds_no_server_error_and_no_schema_mismatch(tmp_path):
    env = server_env(tmp_path)
    run_lotse(env, "db", "upgrade")
    run_lotse(env, "create-staff", "--email", "fuzz@example.org", "--name", "Fuzz", "--password-stdin",
              stdin=PASSWORD + "\n")
    log = tmp_path / "server.log"
    report = tmp_path / "junit.xml"
    with lotse_server(env, log) as server:
        staff = requests.Session()
        token = staff.get(f"{server.base}/api/csrf").json()["csrf_token"]
        login = staff.post(f"{server.base}/api/accounts/login", headers={"X-CSRF-Token": token},
                           json={"email": "fuzz@example.org", "password": PASSWORD})
        assert login.status_code == 200, login.text
        # Report 1 exists (the document's example id), so its replies are checked too, not only 404s.
        seeded = staff.post(f"{server.base}/api/reports", headers={"X-CSRF-Token": login.json()["csrf_token"]},
                            json={"type": "construction", "lat": 49.4447, "lon": 7.7690, "description": "Gerüst"})
        assert seeded.status_code == 201 and seeded.json()["report"]["id"] == 1, seeded.text
        cookie = "; ".join(f"{name}={value}" for name, value in staff.cookies.items())
        started = time.monotonic()
        result = subprocess.run([
            str(Path(sys.executable).with_name("schemathesis")), "run", f"{server.base}/api/openapi.json",
            "--checks", CHECKS, "--max-time", str(FUZZ_SECONDS), "--max-examples", str(MAX_EXAMPLES),
            "--request-timeout", "10", "--workers", "1", "--seed", "14",
            "--include-path-regex", "^/api/",  # the pages are HTML forms, tested in tests/app/staff and tests/browser
            "--exclude-path", "/api/speech",  # speech engines are fuzzed by tests/app/walker/test_speech.py
            "--exclude-path", "/api/accounts/logout",  # it would end the staff session the fuzzing runs in
            "-H", f"Cookie: {cookie}", "-H", f"X-CSRF-Token: {login.json()['csrf_token']}", "--no-color",
            "--report", "junit", "--report-junit-path", str(report)],
            capture_output=True, text=True, cwd=tmp_path, timeout=FUZZ_SECONDS + 40, check=False)
        elapsed = time.monotonic() - started
    assert "Traceback" not in log.read_text(errors="replace")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    suites = ET.parse(report).getroot()
    cases = list(suites.iter("testcase"))
    assert len(cases) >= 25, [case.get("name") for case in cases]  # every operation of the API was called
    assert not [case.get("name") for case in cases if case.find("failure") is not None or
                case.find("error") is not None]
    assert elapsed < FUZZ_SECONDS + 30

