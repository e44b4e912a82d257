"""A real `lotse serve` for tests: its own SQLite database and settings, a free port, stopped at the end."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.serving import free_port, wait_until_healthy
from tests.conftest import REPO, SHARED_OSM

CENTRE_OSM = SHARED_OSM / "kaiserslautern_cc.osm.gz"
LOTSE = [sys.executable, "-c", "from app.cli import main; main()"]


@dataclass
class Server:
    base: str
    log: Path
    process: subprocess.Popen

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def server_env(folder: Path, **settings: object) -> dict[str, str]:
    """The environment of a server in `folder`: no LOTSE_* of the caller's, a database there, `settings` as
    LOTSE_<NAME>."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LOTSE_")}
    env.update(LOTSE_DATABASE_URL=f"sqlite:///{folder / 'lotse.db'}", LOTSE_SECRET_KEY=secrets.token_hex(16),
               LOTSE_SESSION_COOKIE_SECURE="false", LOTSE_SPEECH_ENGINES="espeak")
    env.update({f"LOTSE_{name.upper()}": str(value) for name, value in settings.items()})
    return env


def run_lotse(env: dict[str, str], *args: str, stdin: str | None = None) -> None:
    subprocess.run([*LOTSE, *args], input=stdin, text=True, env=env, cwd=REPO, check=True, capture_output=True)


@contextmanager
def lotse_server(env: dict[str, str], log: Path, osm: Path = CENTRE_OSM) -> Iterator[Server]:
    """`lotse serve` on `osm` with `env` (from `server_env`, database upgraded), until the block ends."""
    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen([*LOTSE, "serve", "--osm", str(osm), "--port", str(port)], env=env, cwd=REPO,
                                   stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(process, base, log, timeout_s=120)
        yield Server(base, log, process)
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    """End a server: politely, then for sure."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
