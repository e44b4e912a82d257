"""What the benchmarks that run a real `lotse serve` share: a free port, waiting until the server answers, and the
memory of its processes."""

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
            time.sleep(0.02)  # the start is timed to this step
    process.kill()
    raise SystemExit(f"lotse serve did not answer within {timeout_s:.0f} s")


def memory_mb(pid: int) -> dict[str, float]:
    """A process's resident set (VmRSS of /proc/PID/status) and proportional set (PSS: shared pages split among the
    processes sharing them, as the graph's pages are between gunicorn's master and its workers), in MB."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    rollup = {line.split(":")[0]: int(line.split()[1]) for line in
              Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]}
    return {"rss_mb": round(int(status["VmRSS"].split()[0]) / 1024, 1), "pss_mb": round(rollup["Pss"] / 1024, 1)}


def server_memory(master: int) -> dict[str, dict[str, float]]:
    """The memory of a `lotse serve` master (`master` is its pid) and of each of its workers."""
    workers = [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    return {"master": memory_mb(master)} | {f"worker_{i}": memory_mb(pid) for i, pid in enumerate(workers)}
