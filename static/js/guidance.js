// Live guidance: the server's WebSocket (/ws/guide, docs/protocol.md) fed with real Geolocation fixes, and guidance
// on the device from the same fixes when the connection drops. The route and its instructions are always on the
// phone; a RouteTracker follows the walk in the background so the device can take over at once, and the server
// session is resumed when the network returns.

import { fill, t } from "./i18n.js";
import { capitalize, distance, distanceIn } from "./format.js";
import { RouteTracker, haversine } from "./geo.js";
import { loadSaid, saveSaid } from "./store.js";

const MAX_ACCURACY_M = 500;
const RECONNECT_DELAYS_S = [1, 2, 4, 8, 15];
const SAME_ERROR_QUIET_MS = 30_000;
const SAID_PHASES = ["prepare", "now", "turn_around"]; // the phases of an announcement id (docs/protocol.md)
const SAME_SPOT_M = 10; // an instruction of a re-planned route this close to one already said is the same

export class Guidance {
  /**
   * active: {route, destination, request} (request: the POST /api/route body it was planned with);
   * output: Output; wakeLock: WakeLock; settings(): current settings; compass(): heading from the device or null;
   * view: {show(text, kind), progress(remaining, next), connection(state), routeChanged(route), finished(reason)}.
   */
  constructor({ active, output, wakeLock, settings, compass, view }) {
    Object.assign(this, { active, output, wakeLock, settings, compass, view });
    this.lang = active.request.lang || "de";
    this.tracker = new RouteTracker(active.route);
    this.said = loadSaid(active.route.route_id); // announcement ids said on this route, by server or device
    this.mode = "connecting"; // connecting | online | offline | ended
    this.ws = null;
    this.started = false; // the server has a session for this socket
    this.resuming = false;
    this.paused = false;
    this.lastText = null;
    this.lastFix = null;
    this.lastTimestamp = 0;
    this.watchId = null;
    this.reconnectTry = 0;
    this.reconnectAfterMs = undefined; // set by a `reconnect` message: the server restarts
    this.reconnectTimer = null;
    this.errorsSaid = new Map();
    this.onOffline = () => this.goOffline();
    this.onOnline = () => this.reconnectSoon(0);
  }

  start() {
    window.addEventListener("offline", this.onOffline);
    window.addEventListener("online", this.onOnline);
    this.wakeLock.acquire();
    if ("geolocation" in navigator) {
      this.watchId = navigator.geolocation.watchPosition((p) => this.position(p), (e) => this.positionError(e), {
        enableHighAccuracy: true, maximumAge: 0, timeout: 30_000,
      });
    } else {
      this.status(t("error_no_geolocation"), "warning");
    }
    if (navigator.onLine) this.connect();
    else this.goOffline();
  }

  // -------------------------------------------------------------------------------------------- socket
  connect() {
    clearTimeout(this.reconnectTimer);
    if (this.mode === "ended" || (this.ws && this.ws.readyState <= WebSocket.OPEN)) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    let ws;
    try {
      ws = new WebSocket(`${scheme}://${location.host}/ws/guide`);
    } catch {
      this.lost();
      return;
    }
    this.ws = ws;
    this.started = false;
    ws.addEventListener("open", () => this.sendStart());
    ws.addEventListener("message", (event) => {
      if (this.ws !== ws) return;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      this.receive(message);
    });
    ws.addEventListener("close", () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.started = false;
      this.lost();
    });
  }

  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  sendStart() {
    // The route, and where it goes: a server that has forgotten the route (a flood, a restart) plans it again
    // from where the walker is instead of answering unknown_route.
    const request = this.active.request;
    const fix = this.lastFix;
    const message = { type: "start", route_id: this.active.route.route_id, to: request.to };
    message.from = fix ? { lat: fix.lat, lon: fix.lon } : request.from;
    for (const key of ["profile", "prefs", "guidance", "lang"]) {
      if (request[key] !== undefined) message[key] = request[key];
    }
    // Resuming after the connection dropped: continue where the walker is, without repeating what was said.
    if ((this.resuming || this.said.size) && fix) {
      message.progress_m = Math.min(this.tracker.progress, this.tracker.length);
      message.said = [...this.said];
    }
    this.send(message);
  }

  /** The socket closed without a stop: guide on the device and try again (when the server said, as it said). */
  lost() {
    if (this.mode === "ended") return;
    const toldMs = this.reconnectAfterMs;
    this.reconnectAfterMs = undefined;
    this.goOffline();
    this.reconnectSoon(toldMs === undefined ? undefined : toldMs / 1000);
  }

  reconnectSoon(delay) {
    if (this.mode === "ended") return;
    clearTimeout(this.reconnectTimer);
    if (!navigator.onLine) return; // the "online" event brings us back
    const seconds = delay ?? RECONNECT_DELAYS_S[Math.min(this.reconnectTry, RECONNECT_DELAYS_S.length - 1)];
    this.reconnectTry += 1;
    this.reconnectTimer = setTimeout(() => {
      this.resuming = true;
      this.connect();
    }, seconds * 1000);
  }

  goOffline() {
    if (this.mode === "ended" || this.mode === "offline") return;
    const wasStarted = this.mode === "online";
    this.mode = "offline";
    this.started = false;
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      try {
        ws.close();
      } catch {
        // already closed
      }
    }
    this.view.connection("offline");
    this.status(t("offline_notice"), "warning");
    if (!wasStarted) this.view.show(this.tracker.instructions[0]?.text || "", "now");
  }

  // ----------------------------------------------------------------------------------- server messages
  receive(message) {
    if (this.mode === "ended") return; // nothing is said after arrival or stop
    switch (message.type) {
      case "started": {
        const resumed = this.resuming || this.mode === "offline";
        this.started = true;
        this.resuming = false;
        this.reconnectTry = 0;
        const previous = this.active.route;
        const previousSaid = this.said; // useRoute replaces it with the new route's
        this.useRoute(message.route, message.route.route_id !== previous.route_id);
        if (resumed && message.route.route_id !== previous.route_id) {
          this.carryOverSaid(previous, previousSaid, message.route);
        }
        this.mode = "online";
        this.view.connection("online");
        if (resumed) this.status(t("online_again"));
        if (this.paused) this.send({ type: "pause" }); // a new session starts unpaused
        if (this.lastFix) this.sendFix(this.lastFix);
        break;
      }
      case "instruction": {
        if (this.mode !== "online") break;
        const index = message.instruction_index;
        if (index !== null && index !== undefined) {
          if (!this.markSaid(message.id)) break; // already said (on the device while offline, or before a reload)
          this.tracker.markSaid(index, message.kind);
        }
        this.say(message.text, message.kind, index, message.audio_url);
        break;
      }
      case "progress":
        if (this.mode === "online") this.view.progress(message.remaining_m, message.next_maneuver_m);
        break;
      case "off_route":
        this.say(message.text, "warning");
        break;
      case "rerouted":
        this.useRoute(message.route, true);
        this.say(message.text, "now");
        break;
      case "arrived":
        this.arrive(message.text);
        break;
      case "error":
        this.serverError(message);
        break;
      case "reconnect": // the server restarts and closes the socket next: come back after this delay and resume
        this.reconnectAfterMs = message.retry_after_ms;
        break;
      default:
        break;
    }
  }

  useRoute(route, changed) {
    if (changed) {
      this.tracker = new RouteTracker(route);
      this.said = loadSaid(route.route_id);
      this.active = { ...this.active, route };
      this.view.routeChanged(route);
    }
  }

  /** The server planned the walk anew on resuming (it had forgotten our route): what was said at a spot of the old
   * route counts as said for the same kind of instruction at the same spot of the new one, so nothing is heard
   * twice. */
  carryOverSaid(previous, previousSaid, route) {
    for (const old of previous.instructions) {
      const phases = SAID_PHASES.filter((phase) => previousSaid.has(`${old.id}:${phase}`));
      if (!phases.length) continue;
      const same = route.instructions.find((i) => i.type === old.type
        && haversine(i.lat, i.lon, old.lat, old.lon) <= SAME_SPOT_M);
      if (same) for (const phase of phases) this.said.add(`${same.id}:${phase}`);
    }
    saveSaid(route.route_id, this.said);
  }

  serverError(message) {
    const now = Date.now();
    if (now - (this.errorsSaid.get(message.code) || 0) < SAME_ERROR_QUIET_MS) return;
    this.errorsSaid.set(message.code, now);
    this.status(message.message, "warning");
  }

  // ------------------------------------------------------------------------------------------- positions
  position(position) {
    if (this.mode === "ended") return;
    const c = position.coords;
    let heading = Number.isFinite(c.heading) && (c.speed ?? 1) > 0.3 ? c.heading : this.compass();
    if (!Number.isFinite(heading)) heading = null;
    const fix = {
      lat: c.latitude,
      lon: c.longitude,
      accuracy: Math.min(Math.max(c.accuracy || 10, 0.1), 10_000),
      timestamp: Math.max(position.timestamp || Date.now(), this.lastTimestamp),
      heading: heading === null ? null : ((heading % 360) + 360) % 360,
      speed: Number.isFinite(c.speed) && c.speed >= 0 ? Math.min(c.speed, 50) : null,
    };
    this.lastTimestamp = fix.timestamp;
    this.lastFix = fix;
    if (this.mode === "online" && this.started) this.sendFix(fix);
    this.track(fix);
  }

  sendFix(fix) {
    if (fix.accuracy > MAX_ACCURACY_M) {
      this.serverError({ code: "imprecise_position", message: t("error_imprecise") });
      return;
    }
    const message = { type: "position", lat: fix.lat, lon: fix.lon, accuracy_m: fix.accuracy, timestamp: fix.timestamp };
    if (fix.heading !== null) message.heading_deg = Math.min(fix.heading, 360);
    if (fix.speed !== null) message.speed_mps = fix.speed;
    this.send(message);
  }

  /** Follow the walk on the device; it speaks only while offline. */
  track(fix) {
    const offline = this.mode === "offline";
    const update = this.tracker.update(fix, !offline || this.paused);
    if (!offline) return;
    for (const said of update.announcements) {
      // The same id as the server's, so that neither says it again after the connection is back.
      if (!this.markSaid(`${said.instruction.id}:${said.early ? "prepare" : "now"}`)) continue;
      const text = said.early
        ? this.phrase("prepare", { distance: distanceIn(said.ahead, this.settings()), text: said.instruction.text })
        : said.instruction.text;
      this.say(text, said.kind, said.index);
    }
    if (update.remaining !== null) this.view.progress(update.remaining, update.nextManeuver?.distance ?? null);
    if (update.arrived) {
      const last = this.tracker.instructions[this.tracker.instructions.length - 1];
      this.arrive(last?.type === "arrive" ? last.text : t("arrived"));
    }
  }

  positionError(error) {
    // Chromium reports "position unavailable" for a moment whenever the position source changes: only a denial and
    // a long silence are worth saying.
    if (error.code === 1) {
      this.status(t("error_geolocation_denied"), "warning");
    } else if (error.code === 3 || (this.lastFix && Date.now() - this.lastFix.timestamp > 30_000)) {
      const now = Date.now();
      if (now - (this.errorsSaid.get("geolocation") || 0) > SAME_ERROR_QUIET_MS) {
        this.errorsSaid.set("geolocation", now);
        this.status(t("error_geolocation_unavailable"), "warning");
      }
    }
  }

  // ---------------------------------------------------------------------------------------------- saying
  /** A live phrase the server sent with the route (in the route's language), filled and capitalised as the
   * server says it. */
  phrase(key, params) {
    return capitalize(fill(this.tracker.rules.phrases[key], params));
  }

  /** Remember an announcement id as said; false if it was said before. */
  markSaid(id) {
    if (!id || this.said.has(id)) return !id;
    this.said.add(id);
    saveSaid(this.active.route.route_id, this.said);
    return true;
  }

  /** A connection status or an error: spoken and on its own line, never in place of the instruction card. */
  status(text, kind = "info") {
    if (!text || this.mode === "ended") return;
    this.view.status(text, kind);
    this.output.say(text, { kind, lang: this.lang });
    if (kind === "warning") this.output.vibrate("warning");
  }

  say(text, kind = "info", index = null, audioUrl = null) {
    if (!text) return;
    this.lastText = text;
    this.view.show(text, kind, index !== null && index !== undefined);
    // A "prepare" still waiting when its spot is passed would mislead: it is dropped then.
    const spot = index !== null && index !== undefined ? this.tracker.instructions[index]?.distance_m : null;
    const tracker = this.tracker;
    const stale = kind === "prepare" && spot !== null && spot !== undefined
      ? () => this.tracker !== tracker || tracker.progress >= spot
      : null;
    this.output.say(text, { kind, audioUrl, lang: this.lang, stale });
    if (kind === "warning") this.output.vibrate("warning");
    else if (kind === "now" && index !== null && index !== undefined) {
      const instruction = this.tracker.instructions[index];
      const modifier = instruction?.maneuver?.modifier || "";
      if (modifier.includes("left")) this.output.vibrate("left");
      else if (modifier.includes("right")) this.output.vibrate("right");
    }
  }

  // --------------------------------------------------------------------------------------------- buttons
  repeat() {
    if (this.mode === "online" && this.send({ type: "repeat" })) return;
    this.say(this.lastText || t("nothing_said"), "info");
  }

  whereAmI() {
    if (this.mode === "online" && this.send({ type: "where_am_i" })) return;
    const settings = this.settings();
    const next = this.tracker.nextManeuver();
    const remaining = Math.max(this.tracker.length - this.tracker.progress, 0);
    const parts = [t("local_where_offline")];
    if (next) parts.push(t("local_where_next", { distance: distanceIn(next.distance, settings), text: next.instruction.text }));
    parts.push(this.phrase("where_destination", { distance: distance(remaining, settings) }));
    this.say(parts.join(" "), "info");
  }

  togglePause() {
    this.paused = !this.paused;
    if (!(this.mode === "online" && this.send({ type: this.paused ? "pause" : "resume" }))) {
      this.say(this.phrase(this.paused ? "paused" : "resumed"), "info");
    }
    return this.paused;
  }

  stop() {
    this.send({ type: "stop" });
    this.say(this.phrase("stopped"), "info");
    this.end("stopped");
  }

  arrive(text) {
    if (this.mode === "ended") return;
    this.output.dropWaiting();
    this.say(text, "now");
    this.output.vibrate("arrive");
    this.end("arrived");
  }

  end(reason) {
    this.mode = "ended";
    clearTimeout(this.reconnectTimer);
    window.removeEventListener("offline", this.onOffline);
    window.removeEventListener("online", this.onOnline);
    if (this.watchId !== null) navigator.geolocation.clearWatch(this.watchId);
    this.watchId = null;
    this.wakeLock.release();
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      setTimeout(() => ws.close(), 500);
    }
    this.view.finished(reason);
  }
}
