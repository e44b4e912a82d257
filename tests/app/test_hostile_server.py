"""Issue 14's fuzz corpus (bench/hostile_probe.py) against a real `lotse serve` on SQLite and on PostgreSQL: no 5xx,
every probe answered with the right status (400, 404 for ids that cannot exist, 413 for oversized bodies), no header
injected, and the server still serving afterwards."""

from __future__ import annotations

from contextlib import nullcontext

import pytest
import requests

from bench.hostile_probe import Prober, run
from tests.app.conftest import new_postgres_database
from tests.serving import lotse_server, run_lotse, server_env

PASSWORD = "probing staff passphrase"
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
        assert result["probes"] > 500
        assert result["server_errors"] == 0, result["wrong"]
        assert result["wrong"] == []
        assert "Traceback" not in server.log_text()

