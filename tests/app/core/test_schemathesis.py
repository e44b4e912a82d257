"""Schemathesis fuzzes a real `lotse serve` on the city from its own OpenAPI document, as a logged-in staff member
(who may call every path): no server error and no response that contradicts the document, within a minute."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import CITY_OSM, REPO

FUZZ_SECONDS = 45
PASSWORD = "fuzzing staff passphrase"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def server(tmp_path: Path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("LOTSE_")}
    env.update(LOTSE_DATABASE_URL=f"sqlite:///{tmp_path / 'lotse.db'}", LOTSE_SECRET_KEY=secrets.token_hex(16),
               LOTSE_SESSION_COOKIE_SECURE="false", LOTSE_SPEECH_ENGINES="espeak")
    lotse = [sys.executable, "-c", "from app.cli import main; main()"]
    subprocess.run([*lotse, "db", "upgrade"], env=env, cwd=REPO, check=True, capture_output=True)
    subprocess.run([*lotse, "create-staff", "--email", "fuzz@example.org", "--name", "Fuzz", "--password-stdin"],
                   input=PASSWORD + "\n", text=True, env=env, cwd=REPO, check=True, capture_output=True)
    port = _free_port()
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen([*lotse, "serve", "--osm", str(CITY_OSM), "--port", str(port)], env=env, cwd=REPO,
                               stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if requests.get(f"{base}/api/health", timeout=2).ok:
                break
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"lotse serve did not start: {(tmp_path / 'server.log').read_text()[-2000:]}")
        time.sleep(0.3)
    yield base, tmp_path / "server.log"
    process.terminate()
    process.wait(timeout=10)
    log.close()


def test_fuzzing_finds_no_server_error_and_no_schema_mismatch(server, tmp_path):
    base, server_log = server
    staff = requests.Session()
    token = staff.get(f"{base}/api/csrf").json()["csrf_token"]
    login = staff.post(f"{base}/api/accounts/login", json={"email": "fuzz@example.org", "password": PASSWORD},
                       headers={"X-CSRF-Token": token})
    assert login.status_code == 200, login.text
    cookie = "; ".join(f"{name}={value}" for name, value in staff.cookies.items())
    started = time.monotonic()
    result = subprocess.run(
        [str(Path(sys.executable).with_name("schemathesis")), "run", f"{base}/api/openapi.json",
         "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
                     "response_schema_conformance",
         "--max-time", str(FUZZ_SECONDS), "--request-timeout", "10", "--workers", "1", "--seed", "14",
         "--exclude-path", "/api/speech",  # speech engines are fuzzed by tests/app/walker/test_speech.py
         "--exclude-path", "/api/accounts/logout",  # it would end the staff session the fuzzing runs in
         "-H", f"Cookie: {cookie}", "-H", f"X-CSRF-Token: {login.json()['csrf_token']}", "--no-color"],
        capture_output=True, text=True, timeout=FUZZ_SECONDS + 30, cwd=tmp_path)
    assert time.monotonic() - started < 60 + 15
    assert "Traceback" not in server_log.read_text(errors="replace")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout.split("SUMMARY")[-1]
