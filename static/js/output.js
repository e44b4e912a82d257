// How the app speaks and signals: ARIA live regions for the screen reader (polite for progress, assertive only for
// warnings and "now" instructions), the device's speech synthesis, the server's audio, vibration and the wake lock.

import { speechError, speechUrl } from "./api.js";
import { VIBRATION_PATTERNS } from "./store.js";

const KEEP_IN_REGION = 8;
const READ_MS = 15_000; // a line stays in a live region at least this long, so a screen reader has read it
const VOICE_LANG = { de: "de-DE", en: "en-GB" };
// What is said first when several things wait: warnings and "now" before "prepare" and information.
const PRIORITY = { warning: 0, now: 0, prepare: 1, info: 1 };

export class Output {
  constructor({ polite, assertive, settings }) {
    this.regions = { polite, assertive };
    this.settings = settings; // a function returning the current settings
    this.queue = []; // waiting to be said: {text, lang, kind, audioUrl, stale}
    this.speaking = null; // the item being said now
    this.audio = null;
    this.flushing = false;
    this.serverAudioBroken = false;
  }

  /** Say a text through a live region: new nodes are announced; old ones go only once they have been read. */
  live(text, urgent = false) {
    const region = this.regions[urgent ? "assertive" : "polite"];
    const line = document.createElement("p");
    line.textContent = text;
    line.dataset.at = String(Date.now());
    region.append(line);
    const now = Date.now();
    while (region.childElementCount > KEEP_IN_REGION && now - Number(region.firstElementChild.dataset.at) > READ_MS) {
      region.firstElementChild.remove();
    }
  }

  /** Progress and results for the screen reader: always the polite live region. */
  status(text) {
    this.live(text, false);
  }

  /** A warning or an error: the assertive live region. */
  alert(text) {
    this.live(text, true);
  }

  /**
   * Guidance speech through the chosen output, one thing at a time and in full: nothing cancels what is being said.
   * `kind` (warning, now, prepare, info) orders what waits; `stale()` true drops a waiting item (a "prepare" whose
   * spot is passed).
   */
  say(text, { kind = "info", audioUrl = null, lang = "de", stale = null } = {}) {
    const item = { text, lang, kind, audioUrl, stale };
    const priority = PRIORITY[item.kind] ?? 1;
    const at = this.queue.findIndex((waiting) => (PRIORITY[waiting.kind] ?? 1) > priority);
    if (at < 0) this.queue.push(item);
    else this.queue.splice(at, 0, item);
    // Things that arrive together (a turn, an area and a crossing at one spot) are ordered before the first speaks.
    if (!this.flushing) {
      this.flushing = true;
      setTimeout(() => {
        this.flushing = false;
        if (!this.speaking) this.next();
      }, 0);
    }
  }

  /** Say the next waiting item that is still worth saying. */
  next() {
    let item = this.queue.shift();
    while (item && item.stale && item.stale()) item = this.queue.shift();
    this.speaking = item || null;
    if (!item) return;
    const urgent = item.kind === "now" || item.kind === "warning";
    const output = this.settings().output;
    if (output === "voice" && this.canSpeak()) {
      this.speak(item, () => this.done(item));
    } else if (output === "server") {
      this.playServer(item, () => this.done(item));
    } else {
      this.live(item.text, urgent); // the screen reader reads it; the region keeps it until read
      this.done(item);
    }
  }

  done(item) {
    if (this.speaking !== item) return;
    this.speaking = null;
    this.next();
  }

  canSpeak() {
    return "speechSynthesis" in window && typeof SpeechSynthesisUtterance === "function";
  }

  /** The device voice; `then` runs when the utterance has ended (or failed, or never started). */
  speak(item, then = () => {}) {
    if (!this.canSpeak()) {
      this.live(item.text, item.kind === "now" || item.kind === "warning");
      then();
      return;
    }
    const utterance = new SpeechSynthesisUtterance(item.text);
    utterance.lang = VOICE_LANG[item.lang] || item.lang;
    utterance.rate = Number(this.settings().rate) || 1;
    const voice = speechSynthesis.getVoices().find((v) => v.lang && v.lang.toLowerCase().startsWith(item.lang));
    if (voice) utterance.voice = voice;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(guard);
      then();
    };
    // A voice that never reports its end (no voices installed, a hidden page) must not stall the queue.
    const guard = setTimeout(finish, 2_000 + item.text.length * 150);
    utterance.addEventListener("end", finish);
    utterance.addEventListener("error", finish);
    speechSynthesis.speak(utterance);
  }

  /** The server's audio; when it fails (an error, play() rejected, offline) the device voice says it instead. */
  playServer(item, then) {
    if (this.serverAudioBroken || !navigator.onLine) {
      this.speak(item, then);
      return;
    }
    const url = item.audioUrl || speechUrl(item.text, item.lang);
    const audio = new Audio(url);
    audio.playbackRate = Number(this.settings().rate) || 1;
    this.audio = audio;
    let settled = false;
    const fail = async () => {
      if (settled) return;
      settled = true;
      this.audio = null;
      // Say once why the device speaks now (the server's own words, e.g. for a 503), then the text itself.
      if (!this.serverAudioBroken) {
        this.serverAudioBroken = true;
        setTimeout(() => { this.serverAudioBroken = false; }, 60_000);
        const why = navigator.onLine ? await speechError(url) : null;
        if (why) this.speak({ text: why, lang: item.lang }, () => this.speak(item, then));
        else this.speak(item, then);
        return;
      }
      this.speak(item, then);
    };
    audio.addEventListener("ended", () => {
      if (settled) return;
      settled = true;
      this.audio = null;
      then();
    });
    audio.addEventListener("error", fail);
    audio.play().catch(fail);
  }

  /** Forget what waits, but let what is being said end (on arrival: nothing after "you have arrived"). */
  dropWaiting() {
    this.queue = [];
  }

  /** Stop whatever is being spoken and forget what waits (the walker stopped, or a voice sample). */
  hush() {
    this.queue = [];
    this.speaking = null;
    if (this.audio) this.audio.pause();
    this.audio = null;
    if (this.canSpeak()) speechSynthesis.cancel();
  }

  vibrate(event) {
    const settings = this.settings();
    if (!settings.vibration || !("vibrate" in navigator)) return;
    const pattern = VIBRATION_PATTERNS[settings.patterns[event]];
    if (pattern) navigator.vibrate(pattern);
  }
}

/** Keeps the screen on during guidance where the browser has the Screen Wake Lock API. */
export class WakeLock {
  constructor() {
    this.sentinel = null;
    this.wanted = false;
    document.addEventListener("visibilitychange", () => {
      if (this.wanted && document.visibilityState === "visible") this.acquire();
    });
  }

  async acquire() {
    this.wanted = true;
    if (!("wakeLock" in navigator) || this.sentinel) return;
    try {
      this.sentinel = await navigator.wakeLock.request("screen");
      this.sentinel.addEventListener("release", () => { this.sentinel = null; });
    } catch {
      this.sentinel = null; // not allowed now (battery saver, hidden page): try again when visible
    }
  }

  release() {
    this.wanted = false;
    if (this.sentinel) this.sentinel.release().catch(() => {});
    this.sentinel = null;
  }
}
