// How the app speaks and signals: ARIA live regions for the screen reader (polite for progress, assertive only for
// warnings and "now" instructions), the device's speech synthesis, the server's audio, vibration and the wake lock.

import { speechError, speechUrl } from "./api.js";
import { VIBRATION_PATTERNS } from "./store.js";

const KEEP_IN_REGION = 4;
const VOICE_LANG = { de: "de-DE", en: "en-GB" };

export class Output {
  constructor({ polite, assertive, settings }) {
    this.regions = { polite, assertive };
    this.settings = settings; // a function returning the current settings
    this.audio = null;
    this.audioQueue = [];
    this.serverAudioBroken = false;
  }

  /** Say a text through a live region: new nodes are announced, old ones go quietly. */
  live(text, urgent = false) {
    const region = this.regions[urgent ? "assertive" : "polite"];
    const line = document.createElement("p");
    line.textContent = text;
    region.append(line);
    while (region.childElementCount > KEEP_IN_REGION) region.firstElementChild.remove();
  }

  /** Progress and results for the screen reader: always the polite live region. */
  status(text) {
    this.live(text, false);
  }

  /** A warning or an error: the assertive live region. */
  alert(text) {
    this.live(text, true);
  }

  /** Guidance speech through the chosen output. `urgent` for warnings and "now" instructions. */
  say(text, { urgent = false, audioUrl = null, lang = "de" } = {}) {
    const output = this.settings().output;
    if (output === "voice" && this.canSpeak()) {
      this.speak(text, lang, urgent);
    } else if (output === "server") {
      this.playServer(audioUrl || speechUrl(text, lang), text, lang, urgent);
    } else {
      this.live(text, urgent);
    }
  }

  canSpeak() {
    return "speechSynthesis" in window && typeof SpeechSynthesisUtterance === "function";
  }

  speak(text, lang, urgent = false) {
    if (!this.canSpeak()) {
      this.live(text, urgent);
      return;
    }
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = VOICE_LANG[lang] || lang;
    utterance.rate = Number(this.settings().rate) || 1;
    const voice = speechSynthesis.getVoices().find((v) => v.lang && v.lang.toLowerCase().startsWith(lang));
    if (voice) utterance.voice = voice;
    if (urgent) speechSynthesis.cancel();
    speechSynthesis.speak(utterance);
  }

  playServer(url, text, lang, urgent) {
    if (this.serverAudioBroken || !navigator.onLine) {
      this.speak(text, lang, urgent);
      return;
    }
    if (urgent) {
      this.audioQueue = [];
      if (this.audio) this.audio.pause();
      this.audio = null;
    }
    this.audioQueue.push({ url, text, lang, urgent });
    if (!this.audio) this.playNext();
  }

  playNext() {
    const item = this.audioQueue.shift();
    if (!item) {
      this.audio = null;
      return;
    }
    const audio = new Audio(item.url);
    audio.playbackRate = Number(this.settings().rate) || 1;
    this.audio = audio;
    const fail = async () => {
      if (this.audio !== audio) return;
      this.audio = null;
      // Say once why the device speaks now (the server's own words, e.g. for a 503), then the text itself.
      if (!this.serverAudioBroken) {
        this.serverAudioBroken = true;
        setTimeout(() => { this.serverAudioBroken = false; }, 60_000);
        const why = navigator.onLine ? await speechError(item.url) : null;
        if (why) this.speak(why, item.lang);
      }
      this.speak(item.text, item.lang, item.urgent);
      this.playNext();
    };
    audio.addEventListener("ended", () => {
      if (this.audio === audio) this.playNext();
    });
    audio.addEventListener("error", fail);
    audio.play().catch(fail);
  }

  /** Stop whatever is being spoken. */
  hush() {
    this.audioQueue = [];
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
