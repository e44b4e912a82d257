"""Speech audio for instructions: gTTS when the network allows, eSpeak NG offline, cached on disk.

The cache is keyed by (engine, language, text) and bounded in size (oldest files go first). Rendering for a route
happens ahead of time in one worker thread, so live guidance never waits for a speech engine; when no engine
works the instruction still goes out as text and the phone speaks it.
"""

from __future__ import annotations

import hashlib
import io
import logging
import shutil
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, request

from app.core.language import current_language
from routing.errors import LotseError

log = logging.getLogger(__name__)
bp = Blueprint("speech", __name__, url_prefix="/api")

MAX_TEXT_CHARS = 500
GTTS_RETRY_AFTER_S = 600.0  # after gTTS failed (offline), try it again only this much later
ESPEAK_VOICES = {"de": "de", "en": "en-gb"}
_FORMATS = {"gtts": ("mp3", "audio/mpeg"), "espeak": ("wav", "audio/wav")}


class SpeechUnavailable(Exception):
    """No configured engine could speak the text."""


class SpeechService:
    """Renders and caches instruction audio."""

    def __init__(self, cache_dir: Path, max_bytes: int, engines: tuple[str, ...]) -> None:
        self.cache_dir = cache_dir
        self.max_bytes = max_bytes
        self.engines = tuple(engine for engine in engines if engine in _FORMATS)
        self._gtts_failed_at = -GTTS_RETRY_AFTER_S
        self._lock = threading.Lock()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="speech")
        cache_dir.mkdir(parents=True, exist_ok=True)

    def audio(self, text: str, lang: str) -> tuple[bytes, str, str]:
        """(audio bytes, mimetype, engine) for a text, from the cache or a working engine."""
        for engine in self.engines:
            extension, mimetype = _FORMATS[engine]
            path = self._path(engine, lang, text, extension)
            if path.exists():
                path.touch()  # recently used files stay longest
                return path.read_bytes(), mimetype, engine
        for engine in self.engines:
            data = self._render(engine, text, lang)
            if data:
                extension, mimetype = _FORMATS[engine]
                self._store(self._path(engine, lang, text, extension), data)
                return data, mimetype, engine
        raise SpeechUnavailable(text)

    def prerender(self, texts: list[str], lang: str) -> None:
        """Render texts in the background so they are cached before they are needed."""
        for text in texts:
            self._worker.submit(self._quietly, text, lang)

    def _quietly(self, text: str, lang: str) -> None:
        try:
            self.audio(text, lang)
        except SpeechUnavailable:
            pass

    def _path(self, engine: str, lang: str, text: str, extension: str) -> Path:
        key = hashlib.sha256(f"{engine}\0{lang}\0{text}".encode()).hexdigest()
        return self.cache_dir / f"{key}.{extension}"

    def _render(self, engine: str, text: str, lang: str) -> bytes | None:
        if engine == "gtts":
            if time.monotonic() - self._gtts_failed_at < GTTS_RETRY_AFTER_S:
                return None
            try:
                from gtts import gTTS

                buffer = io.BytesIO()
                gTTS(text, lang=lang, timeout=3).write_to_fp(buffer)
                return buffer.getvalue()
            except Exception as exc:  # gTTS raises its own errors and requests' for every network failure
                log.info("gTTS unavailable (%s); using the offline engine", exc)
                self._gtts_failed_at = time.monotonic()
                return None
        if shutil.which("espeak-ng") is None:
            return None
        result = subprocess.run(["espeak-ng", "-v", ESPEAK_VOICES[lang], "-s", "165", "--stdout", text],
                                capture_output=True, timeout=20, check=False)
        return result.stdout if result.returncode == 0 and result.stdout else None

    def _store(self, path: Path, data: bytes) -> None:
        partial = path.with_suffix(".partial")
        partial.write_bytes(data)
        partial.replace(path)
        with self._lock:
            files = sorted((p for p in self.cache_dir.iterdir() if p.suffix in (".mp3", ".wav")),
                           key=lambda p: p.stat().st_mtime)
            total = sum(p.stat().st_size for p in files)
            for old in files:
                if total <= self.max_bytes:
                    break
                total -= old.stat().st_size
                old.unlink(missing_ok=True)


def audio_url(text: str, lang: str) -> str:
    """Where the audio of an instruction is served."""
    return "/api/speech?" + urlencode({"text": text, "lang": lang})


@bp.get("/speech")
def speech():
    """Audio for `text` in `lang`; the `X-Speech-Engine` header says which engine made it."""
    text = request.args.get("text", "")
    lang = current_language().code
    if not text.strip() or len(text) > MAX_TEXT_CHARS:
        raise LotseError(f"text must have 1 to {MAX_TEXT_CHARS} characters", field="text")
    try:
        data, mimetype, engine = current_app.extensions["lotse.speech"].audio(text, lang)
    except SpeechUnavailable:
        raise LotseError(code="speech_unavailable", status=503) from None
    response = Response(data, mimetype=mimetype)
    response.headers["X-Speech-Engine"] = engine
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
