"""Speech audio: eSpeak NG offline (this machine has no internet, so gTTS fails fast), cache, bad input."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app import create_app
from app.walker.speech import SpeechService, SpeechUnavailable, audio_url


@pytest.fixture()
def speech_client(mini_graph, tmp_path: Path):
    app = create_app({"TESTING": True, "SPEECH_CACHE_DIR": str(tmp_path / "speech")}, graph=mini_graph)
    return app.test_client()


def test_offline_speech_comes_from_espeak_as_wav(speech_client):
    started = time.monotonic()
    response = speech_client.get(audio_url("Biegen Sie links in die Fackelstraße ab.", "de"))
    assert response.status_code == 200
    assert response.headers["X-Speech-Engine"] == "espeak"
    assert response.mimetype == "audio/wav"
    assert response.data[:4] == b"RIFF" and len(response.data) > 10_000
    assert time.monotonic() - started < 10  # gTTS gave up at once instead of hanging on the network


def test_english_is_spoken_with_an_english_voice(tmp_path: Path):
    service = SpeechService(tmp_path, 10_000_000, ("espeak",))
    german, _, _ = service.audio("Turn left onto Fackelstraße.", "de")
    english, _, engine = service.audio("Turn left onto Fackelstraße.", "en")
    assert engine == "espeak" and english != german


def test_audio_is_cached_by_engine_language_and_text(tmp_path: Path):
    service = SpeechService(tmp_path, 10_000_000, ("espeak",))
    first, _, _ = service.audio("Sie haben Ihr Ziel erreicht.", "de")
    files = list(tmp_path.glob("*.wav"))
    assert len(files) == 1
    second, _, _ = service.audio("Sie haben Ihr Ziel erreicht.", "de")
    assert second == first and list(tmp_path.glob("*.wav")) == files


def test_the_cache_stays_within_its_size_bound(tmp_path: Path):
    service = SpeechService(tmp_path, 250_000, ("espeak",))
    for number in range(8):
        service.audio(f"In {number * 10 + 20} Metern links abbiegen.", "de")
    assert sum(p.stat().st_size for p in tmp_path.glob("*.wav")) <= 250_000
    assert len(list(tmp_path.glob("*.wav"))) >= 1


def test_prerendering_fills_the_cache_in_the_background(tmp_path: Path):
    service = SpeechService(tmp_path, 10_000_000, ("espeak",))
    service.prerender(["Gehen Sie nach Norden.", "Überqueren Sie die Mainzer Straße."], "de")
    deadline = time.monotonic() + 20
    while len(list(tmp_path.glob("*.wav"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(list(tmp_path.glob("*.wav"))) == 2


def test_no_engine_means_unavailable(tmp_path: Path):
    service = SpeechService(tmp_path, 10_000_000, ())
    with pytest.raises(SpeechUnavailable):
        service.audio("Hallo", "de")


def test_no_working_engine_is_a_503_with_a_message(mini_graph, tmp_path: Path):
    client = create_app({"TESTING": True, "SPEECH_CACHE_DIR": str(tmp_path), "SPEECH_ENGINES": "gtts"},
                        graph=mini_graph).test_client()
    response = client.get(audio_url("Hallo", "de"))
    assert response.status_code == 503
    assert response.json["error"]["code"] == "speech_unavailable"


@pytest.mark.parametrize("query", ["", "?text=&lang=de", "?text=Hallo&lang=fr", "?text=" + "a" * 501 + "&lang=de",
                                   "?text=Hal%00lo&lang=de"])
def test_bad_speech_requests_are_400(speech_client, query):
    response = speech_client.get(f"/api/speech{query}")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"


def _espeak_children() -> int:
    """eSpeak NG processes that are children of this test process."""
    import os

    count = 0
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
        except (OSError, ValueError):
            continue
        name, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        if name == "espeak-ng" and int(rest[1]) == os.getpid():
            count += 1
    return count


def test_thirty_texts_at_once_run_at_most_two_espeak_processes_and_the_rest_are_told_busy(tmp_path: Path):
    import threading

    from app.walker.speech import SpeechBusy

    service = SpeechService(tmp_path, 100_000_000, ("espeak",), processes=2, queue=4)
    outcomes: list[str] = []
    most = 0
    done = threading.Event()

    def watch() -> None:
        nonlocal most
        while not done.is_set():
            most = max(most, _espeak_children())
            time.sleep(0.005)

    def speak(number: int) -> None:
        try:
            service.audio(f"Nach {number} Metern rechts in die Fackelstraße abbiegen, dann geradeaus.", "de")
            outcomes.append("spoken")
        except SpeechBusy:
            outcomes.append("busy")

    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [threading.Thread(target=speak, args=(number,)) for number in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    watcher.join()
    assert len(outcomes) == 30 and "spoken" in outcomes and "busy" in outcomes
    assert 1 <= most <= 2


def test_a_busy_speech_answer_is_503_with_retry_after(mini_graph, tmp_path: Path):
    app = create_app({"TESTING": True, "SPEECH_CACHE_DIR": str(tmp_path), "SPEECH_ENGINES": "espeak",
                      "SPEECH_PROCESSES": 1, "SPEECH_QUEUE": 0}, graph=mini_graph)
    response = app.test_client().get(audio_url("Sie haben Ihr Ziel erreicht.", "en"))
    assert response.status_code == 503 and response.headers["Retry-After"] == "2"
    assert response.get_json()["error"]["code"] == "busy"


def test_cancelled_prerenders_stop(tmp_path: Path):
    service = SpeechService(tmp_path, 100_000_000, ("espeak",))
    job = service.prerender([f"Nach {number} Metern links abbiegen." for number in range(200)], "de")
    time.sleep(0.3)
    job.cancel()
    assert service.pending() == 0
    time.sleep(0.5)  # the render under way, if any, finishes
    rendered = len(list(tmp_path.glob("*.wav")))
    time.sleep(1.0)
    assert len(list(tmp_path.glob("*.wav"))) == rendered < 200


def test_the_prerender_queue_is_bounded(tmp_path: Path):
    service = SpeechService(tmp_path, 100_000_000, ("espeak",), prerender_queue=5)
    jobs = [service.prerender([f"Route {route}, Satz {number}." for number in range(50)], "de") for route in range(3)]
    assert service.pending() <= 5
    for job in jobs:
        job.cancel()
