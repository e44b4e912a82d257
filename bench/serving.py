"""What the benchmarks that run a real `lotse serve` share: a free port, and waiting until the server answers."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import requests


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(process: subprocess.Popen, base: str, log: Path, timeout_s: float) -> None:
    """Return once `base`/api/health answers; stop the benchmark if the server exits or stays silent."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"lotse serve exited: {log.read_text()[-2000:]}")
        try:
            if requests.get(f"{base}/api/health", timeout=2).ok:
                return
        except requests.ConnectionError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"lotse serve did not answer within {timeout_s:.0f} s")
