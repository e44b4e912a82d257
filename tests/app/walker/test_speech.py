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


@pytest.mark.parametrize("query", ["", "?text=&lang=de", "?text=Hallo&lang=fr", "?text=" + "a" * 501 + "&lang=de"])
def test_bad_speech_requests_are_400(speech_client, query):
    response = speech_client.get(f"/api/speech{query}")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"
