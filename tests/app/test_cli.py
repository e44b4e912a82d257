"""The installed `lotse` console script, run as a real process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from routing.cache import cache_path, source_hash
from tests.conftest import MINI_OSM
from tests.serving import stop

LOTSE = Path(sys.executable).parent / "lotse"


def run_lotse(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120):
    """Run `lotse ARGS` with a clean LOTSE_* environment (plus `env`) in `cwd`."""
    assert LOTSE.exists(), f"the console script is not installed: {LOTSE}"
    environment = {key: value for key, value in os.environ.items() if not key.startswith("LOTSE_")}
    environment.update(env or {})
    return subprocess.run(
        [str(LOTSE), *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=timeout
    )


def assert_clean_failure(result, *, exit_code: int | None = None) -> str:
    """A non-zero exit with a readable message and no traceback; returns the error line."""
    assert result.returncode != 0
    if exit_code is not None:
        assert result.returncode == exit_code
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert result.stdout == ""
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(error_lines) == 1, result.stderr
    assert result.stderr.rstrip().splitlines()[-1] == error_lines[0]
    return error_lines[0]


# --------------------------------------------------------------------------------------------- import


def test_import_builds_the_cache_and_prints_json(tmp_path):
    cache = tmp_path / "cache"
    result = run_lotse("import", "--osm", str(MINI_OSM), "--cache-dir", str(cache), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["nodes"] == 22
    assert report["edges"] == 21
    assert report["ways"] == 11
    assert report["crossings_mapped"] == 2
    assert report["steps_ways"] == 1
    expected_file = cache_path(source_hash(MINI_OSM), cache)
    assert report["cache_file"] == str(expected_file)
    assert expected_file.is_file()
    assert "Traceback" not in result.stderr

    again = run_lotse("import", "--osm", str(MINI_OSM), "--cache-dir", str(cache), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == report


def test_import_reads_the_map_from_lotse_osm(tmp_path):
    cache = tmp_path / "cache"
    result = run_lotse("import", "--cache-dir", str(cache), cwd=tmp_path, env={"LOTSE_OSM": str(MINI_OSM)})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["nodes"] == 22 and report["edges"] == 21
    assert Path(report["cache_file"]).parent == cache


def test_import_of_several_towns_by_repeated_option_or_commas_is_one_region(tmp_path):
    """Two extracts, named by --osm twice or by LOTSE_OSM with a comma: one region graph, the same cache file, and
    the counts of the region and of each area printed."""
    from tests.conftest import SHARED_OSM

    centre, campus = SHARED_OSM / "kaiserslautern_cc.osm.gz", SHARED_OSM / "kaiserslautern_uni.osm.gz"
    cache = tmp_path / "cache"
    by_option = run_lotse("import", "--osm", str(centre), "--osm", str(campus), "--cache-dir", str(cache),
                          cwd=tmp_path)
    assert by_option.returncode == 0, by_option.stderr
    report = json.loads(by_option.stdout)
    assert [area["file"] for area in report["areas"]] == [centre.name, campus.name]
    for key in ("nodes", "edges", "landmarks", "addresses"):
        assert report[key] > 0 and all(area[key] > 0 for area in report["areas"])
    assert sum(area["nodes"] for area in report["areas"]) >= report["nodes"]
    assert report["data_version"].startswith(Path(report["cache_file"]).name.split("-")[1][:16])
    by_commas = run_lotse("import", "--cache-dir", str(cache), cwd=tmp_path,
                          env={"LOTSE_OSM": f"{centre},{campus}"})
    assert by_commas.returncode == 0, by_commas.stderr
    assert json.loads(by_commas.stdout) == report


def test_import_reads_the_cache_dir_from_lotse_cache_dir(tmp_path):
    cache = tmp_path / "env-cache"
    result = run_lotse("import", "--osm", str(MINI_OSM), cwd=tmp_path, env={"LOTSE_CACHE_DIR": str(cache)})
    assert result.returncode == 0, result.stderr
    assert Path(json.loads(result.stdout)["cache_file"]).parent == cache


def test_import_of_a_missing_file(tmp_path):
    result = run_lotse("import", "--osm", str(tmp_path / "nowhere.osm"), "--cache-dir", str(tmp_path), cwd=tmp_path)
    line = assert_clean_failure(result, exit_code=1)
    assert line == f"Error: Map file not found: {tmp_path / 'nowhere.osm'}"


def test_import_of_a_file_that_is_not_osm(tmp_path):
    shopping = tmp_path / "list.osm"
    shopping.write_text("Milk\nBread\n", encoding="utf-8")
    line = assert_clean_failure(
        run_lotse("import", "--osm", str(shopping), "--cache-dir", str(tmp_path / "cache"), cwd=tmp_path), exit_code=1
    )
    assert line.startswith("Error: list.osm is not valid OSM XML")
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())


def test_import_of_a_file_with_another_suffix(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("hello", encoding="utf-8")
    line = assert_clean_failure(run_lotse("import", "--osm", str(notes), "--cache-dir", str(tmp_path), cwd=tmp_path))
    assert line == "Error: notes.txt is not an OSM file (expected .osm, .osm.gz, .osm.bz2 or .osm.pbf)"


def test_import_without_a_source_is_a_usage_error(tmp_path):
    result = run_lotse("import", "--cache-dir", str(tmp_path), cwd=tmp_path)
    line = assert_clean_failure(result, exit_code=2)
    assert "--osm" in line
    assert "Usage: lotse import" in result.stderr


def test_import_of_a_place_offline_names_the_file_option(tmp_path):
    offline = {
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "http_proxy": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
        "NO_PROXY": "",
        "no_proxy": "",
    }
    started = time.monotonic()
    result = run_lotse(
        "import", "--place", "Kaiserslautern, Germany", "--cache-dir", str(tmp_path / "cache"),
        cwd=tmp_path, env=offline, timeout=120,
    )
    line = assert_clean_failure(result, exit_code=1)
    assert "--osm" in line
    assert "Kaiserslautern, Germany" in line
    assert time.monotonic() - started < 120


def test_help_lists_the_commands(tmp_path):
    result = run_lotse("--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "import" in result.stdout and "serve" in result.stdout


# ---------------------------------------------------------------------------------------------- serve


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture()
def no_proxy_opener(monkeypatch):
    """urllib must talk to the local server directly, whatever proxy the environment names."""
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")


def test_serve_answers_health_and_errors(tmp_path, no_proxy_opener):
    port = free_port()
    process = subprocess.Popen(
        [str(LOTSE), "serve", "--osm", str(MINI_OSM), "--cache-dir", str(tmp_path / "cache"), "--port", str(port)],
        cwd=tmp_path,
        env={key: value for key, value in os.environ.items() if not key.startswith("LOTSE_")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        health = None
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"lotse serve exited with {process.returncode}: {process.stderr.read()}")
            try:
                health = get_json(f"{base}/api/health")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        assert health is not None, "lotse serve did not answer within 60 s"
        status, body = health
        assert status == 200
        assert body["status"] == "ok"
        assert body["graph"]["nodes"] == 22
        assert body["graph"]["edges"] == 21
        assert body["graph"]["source"] == str(MINI_OSM)
        assert "OpenStreetMap" in body["attribution"]

        status, body = get_json(f"{base}/api/snap?lat=abc&lon=7.769")
        assert status == 400
        assert body["error"]["code"] == "bad_coordinate"
        status, body = get_json(f"{base}/api/snap?lat=49.44405&lon=7.76769&lang=en")
        assert status == 200
        assert body["edge"]["name"] == "Fackelstraße"
        assert cache_path(source_hash(MINI_OSM), tmp_path / "cache").is_file()
    finally:
        stop(process)
        process.stdout.close()
        process.stderr.close()


def test_serve_without_a_source_is_a_usage_error(tmp_path):
    line = assert_clean_failure(run_lotse("serve", "--port", str(free_port()), cwd=tmp_path), exit_code=2)
    assert "--osm" in line


def test_serve_of_a_missing_file(tmp_path):
    result = run_lotse("serve", "--osm", str(tmp_path / "nowhere.osm"), "--port", str(free_port()), cwd=tmp_path)
    assert assert_clean_failure(result, exit_code=1) == f"Error: Map file not found: {tmp_path / 'nowhere.osm'}"



def test_simulate_walks_a_route_and_prints_a_summary(tmp_path):
    result = run_lotse("simulate", "--osm", str(MINI_OSM), "--cache-dir", str(tmp_path),
                       "--from", "49.44400,7.76730", "--to", "49.44400,7.76990", "--noise", "3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    first = json.loads(lines[0])
    assert first["type"] == "started" and first["route"]["instructions"][0]["type"] == "depart"
    summary = json.loads("\n".join(lines[lines.index("{"):]))
    assert summary["arrived"] is True and summary["false_off_route"] == 0 and summary["missed"] == []
    assert summary["errors"] == []


def test_simulate_with_bad_coordinates_fails_cleanly(tmp_path):
    result = run_lotse("simulate", "--osm", str(MINI_OSM), "--cache-dir", str(tmp_path),
                       "--from", "north,east", "--to", "49.44400,7.76990", cwd=tmp_path)
    assert_clean_failure(result)
