"""Speech audio for instructions: gTTS when the network allows, eSpeak NG offline, cached on disk.

The cache is keyed by (engine, language, text) and bounded in size (oldest files go first). Rendering for a route
happens ahead of time in one worker thread, so live guidance never waits for a speech engine; when no engine
works the instruction still goes out as text and the phone speaks it.

Bounded under load: at most `processes` eSpeak NG processes run at once, at most `queue` renders wait for one (the
rest, and those that wait too long, are 503 `busy` with Retry-After), and the prerender queue holds at most
`prerender_queue` texts (the oldest go first: a text not prerendered is rendered when it is asked for). A socket
that closes cancels its route's prerenders (`Prerender.cancel`).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import shutil
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, request

from app.core.inputs import is_text
from app.core.language import current_language
from app.core.threads import in_real_thread, run_program
from routing.errors import LotseError

log = logging.getLogger(__name__)
bp = Blueprint("speech", __name__, url_prefix="/api")

MAX_TEXT_CHARS = 500
GTTS_RETRY_AFTER_S = 600.0  # after gTTS failed (offline), try it again only this much later
ESPEAK_VOICES = {"de": "de", "en": "en-gb"}
ESPEAK_TIMEOUT_S = 20.0
PROCESS_WAIT_S = 2.0  # a render waits this long for an eSpeak NG process, then the answer is 503 busy
RETRY_AFTER_S = 2
_FORMATS = {"gtts": ("mp3", "audio/mpeg"), "espeak": ("wav", "audio/wav")}
RECOUNT_EVERY = 200  # stores between counts of the whole cache folder (other processes write to it too)
# A full folder is thinned to this share of its bound: thinned only to the bound, every next store would pass it and
# count the folder again (a stat of each of a thousand files, 13 ms, while a thousand walkers' routes are prerendered).
EVICT_TO_SHARE = 0.9


class SpeechUnavailable(Exception):
    """No configured engine could speak the text."""


class SpeechBusy(SpeechUnavailable):
    """Every eSpeak NG process is busy and the queue for them is full (or the wait too long)."""


class Prerender:
    """One route's texts queued for rendering ahead; `cancel` drops those not rendered yet (the walker left)."""

    def __init__(self) -> None:
        self.cancelled = threading.Event()

    def cancel(self) -> None:
        self.cancelled.set()


class SpeechService:
    """Renders and caches instruction audio, with bounded processes and queues (see the module)."""

    def __init__(self, cache_dir: Path, max_bytes: int, engines: tuple[str, ...], processes: int = 2,
                 queue: int = 8, prerender_queue: int = 1000) -> None:
        self.cache_dir = cache_dir
        self.max_bytes = max_bytes
        self.engines = tuple(engine for engine in engines if engine in _FORMATS)
        self._gtts_failed_at = -GTTS_RETRY_AFTER_S
        self._lock = threading.Lock()
        self._processes = threading.BoundedSemaphore(processes)
        self._waiting = 0
        self._queue = queue
        self._jobs: deque[tuple[Prerender, str, str]] = deque(maxlen=prerender_queue)
        self._jobs_ready = threading.Condition()
        self._worker: threading.Thread | None = None
        self._cached_bytes = 0  # the cache folder's size as last counted, plus this process's stores since
        self._stores_uncounted = RECOUNT_EVERY  # so the first store counts the folder
        cache_dir.mkdir(parents=True, exist_ok=True)

    def audio(self, text: str, lang: str) -> tuple[bytes, str, str]:
        """(audio bytes, mimetype, engine) for a text, from the cache or a working engine."""
        for engine in self.engines:
            extension, mimetype = _FORMATS[engine]
            path = self._path(engine, lang, text, extension)
            try:
                data = path.read_bytes()
                os.utime(path)  # recently used files stay longest (never creates one, unlike touch)
            except FileNotFoundError:  # not rendered yet, or evicted by another process meanwhile
                continue
            return data, mimetype, engine
        for engine in self.engines:
            data = self._render(engine, text, lang)
            if data:
                extension, mimetype = _FORMATS[engine]
                self._store(self._path(engine, lang, text, extension), data)
                return data, mimetype, engine
        raise SpeechUnavailable(text)

    def prerender(self, texts: list[str], lang: str) -> Prerender:
        """Render texts in the background so they are cached before they are needed; cancel the returned job when
        they are no longer wanted."""
        job = Prerender()
        with self._jobs_ready:
            self._jobs.extend((job, text, lang) for text in texts)
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="speech-prerender", daemon=True)
                self._worker.start()
            self._jobs_ready.notify()
        return job

    def pending(self) -> int:
        """Prerenders queued and not cancelled."""
        with self._jobs_ready:
            return sum(not job.cancelled.is_set() for job, _, _ in self._jobs)

    def _work(self) -> None:
        while True:
            with self._jobs_ready:
                while not self._jobs:
                    self._jobs_ready.wait()
                job, text, lang = self._jobs.popleft()
            if not job.cancelled.is_set():
                try:
                    self.audio(text, lang)
                except SpeechUnavailable:  # busy or no engine: rendered when asked for, or spoken on the phone
                    pass

    @contextmanager
    def _process_slot(self) -> Iterator[None]:
        """One of the eSpeak NG processes; SpeechBusy when the queue for them is full or the wait too long."""
        with self._lock:
            if self._waiting >= self._queue:
                raise SpeechBusy()
            self._waiting += 1
        try:
            acquired = self._processes.acquire(timeout=PROCESS_WAIT_S)
        finally:
            with self._lock:
                self._waiting -= 1
        if not acquired:
            raise SpeechBusy()
        try:
            yield
        finally:
            self._processes.release()

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
        with self._process_slot():
            return in_real_thread(run_program, ["espeak-ng", "-v", ESPEAK_VOICES[lang], "-s", "165", "--stdout",
                                                 text], ESPEAK_TIMEOUT_S)

    def _store(self, path: Path, data: bytes) -> None:
        partial = path.with_suffix(".partial")
        partial.write_bytes(data)
        partial.replace(path)
        # Counting the folder takes a stat of every file (thousands, with a thousand walkers' routes prerendered):
        # it is done only every RECOUNT_EVERY stores, or when this process's own count passes the bound.
        with self._lock:
            self._cached_bytes += len(data)
            self._stores_uncounted += 1
            if self._cached_bytes <= self.max_bytes and self._stores_uncounted < RECOUNT_EVERY:
                return
            self._stores_uncounted = 0
            files = self._cached_files()
            total = sum(size for _, size, _ in files)
            for _, size, old in files:
                if total <= self.max_bytes * EVICT_TO_SHARE:
                    break
                total -= size
                old.unlink(missing_ok=True)
            self._cached_bytes = total

    def _cached_files(self) -> list[tuple[float, int, Path]]:
        """(modified, bytes, path) of each cached audio file, oldest first, from one stat each. Another process
        sharing the folder may remove files meanwhile: those are left out (the count killed the prerender thread)."""
        files = []
        for path in self.cache_dir.iterdir():
            if path.suffix in (".mp3", ".wav"):
                try:
                    status = path.stat()
                except FileNotFoundError:
                    continue
                files.append((status.st_mtime, status.st_size, path))
        return sorted(files)


def audio_url(text: str, lang: str) -> str:
    """Where the audio of an instruction is served."""
    return "/api/speech?" + urlencode({"text": text, "lang": lang})


@bp.get("/speech")
def speech():
    """Audio for `text` in `lang`; the `X-Speech-Engine` header says which engine made it."""
    text = request.args.get("text", "")
    lang = current_language().code
    if not text.strip() or len(text) > MAX_TEXT_CHARS or not is_text(text):  # NUL cannot go to eSpeak NG
        raise LotseError(f"text must have 1 to {MAX_TEXT_CHARS} characters", field="text")
    try:
        data, mimetype, engine = current_app.extensions["lotse.speech"].audio(text, lang)
    except SpeechBusy:
        raise LotseError(code="busy", status=503, headers={"Retry-After": str(RETRY_AFTER_S)},
                         retry_after_s=RETRY_AFTER_S) from None
    except SpeechUnavailable:
        raise LotseError(code="speech_unavailable", status=503) from None
    response = Response(data, mimetype=mimetype)
    response.headers["X-Speech-Engine"] = engine
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
