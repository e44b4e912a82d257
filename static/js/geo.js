// Distances on the earth and a small route tracker for guidance on the device (when the server cannot be reached):
// fixes are matched to the route line, progress only moves forward, and each instruction is announced early
// ("prepare") and at the spot ("now"). How far ahead, and the other thresholds, come with the route (`tracking`,
// docs/protocol.md), so the device announces by the server's rules instead of a copy of them.

const EARTH_RADIUS_M = 6371008.8;

const rad = (deg) => (deg * Math.PI) / 180;

/** Great-circle distance in metres between two lat/lon points. */
export function haversine(lat1, lon1, lat2, lon2) {
  const dLat = rad(lat2 - lat1);
  const dLon = rad(lon2 - lon1);
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** Initial bearing in degrees (0 = north) from the first point to the second. */
export function bearing(lat1, lon1, lat2, lon2) {
  const y = Math.sin(rad(lon2 - lon1)) * Math.cos(rad(lat2));
  const x = Math.cos(rad(lat1)) * Math.sin(rad(lat2)) - Math.sin(rad(lat1)) * Math.cos(rad(lat2)) * Math.cos(rad(lon2 - lon1));
  return ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360;
}

const clamp = (value, low, high) => Math.min(Math.max(value, low), high);

/** How far ahead a sent rule ({fixed_m, seconds, min_m, max_m, lag_s, accuracy_share}) says something. */
export function aheadMetres(rule, speed, accuracy) {
  return clamp(rule.fixed_m + rule.seconds * speed, rule.min_m, rule.max_m) + rule.lag_s * speed
    + rule.accuracy_share * accuracy;
}

export class RouteTracker {
  /** `route` as POST /api/route returns it (GeoJSON LineString, lon/lat order), with its `tracking` rules. */
  constructor(route) {
    this.route = route;
    this.instructions = route.instructions || [];
    this.rules = route.tracking;
    this.infoTypes = new Set(this.rules.info_types);
    this.speed = this.rules.speed_mps.default;
    const coordinates = route.geometry.coordinates;
    this.lat = coordinates.map((c) => c[1]);
    this.lon = coordinates.map((c) => c[0]);
    const along = [0];
    for (let i = 1; i < coordinates.length; i++) {
      along.push(along[i - 1] + haversine(this.lat[i - 1], this.lon[i - 1], this.lat[i], this.lon[i]));
    }
    // Instruction distances come from the graph's edge lengths: scale the line to agree with them.
    const total = along[along.length - 1];
    const scale = total > 0 && route.distance_m ? route.distance_m / total : 1;
    this.along = along.map((d) => d * scale);
    this.length = route.distance_m || total;
    this.progress = 0;
    this.behind = 0;
    this.announced = new Set();
    this.arrived = false;
    this.lastFix = null;
  }

  /** Mark what the server has already said, so the device does not say it again. */
  markSaid(index, kind) {
    if (index === null || index === undefined) return;
    this.announced.add(`${index}:prepare`);
    if (kind !== "prepare") this.announced.add(`${index}:now`);
  }

  /** Where a fix lies on the route: distance along it and distance from it, in metres. */
  match(lat, lon, accuracy = 10) {
    const cosLat = Math.cos(rad(lat));
    const toXY = (la, lo) => [rad(lo - lon) * cosLat * EARTH_RADIUS_M, rad(la - lat) * EARTH_RADIUS_M];
    const reach = this.progress + Math.max(60, 4 * accuracy);
    let best = null;
    let fallback = null;
    for (let i = 0; i < this.lat.length - 1; i++) {
      const [x0, y0] = toXY(this.lat[i], this.lon[i]);
      const [x1, y1] = toXY(this.lat[i + 1], this.lon[i + 1]);
      const dx = x1 - x0;
      const dy = y1 - y0;
      const squared = Math.max(dx * dx + dy * dy, 1e-9);
      const s = Math.min(1, Math.max(0, (-x0 * dx - y0 * dy) / squared));
      const distance = Math.hypot(x0 + s * dx, y0 + s * dy);
      const along = this.along[i] + s * (this.along[i + 1] - this.along[i]);
      const candidate = { along, distance };
      if (!fallback || distance < fallback.distance) fallback = candidate;
      // Prefer the stretch the walker can have reached, so a route that doubles back does not skip ahead.
      if (along >= this.progress - this.rules.turn_back_m && along <= reach && (!best || distance < best.distance)) {
        best = candidate;
      }
    }
    return best && best.distance <= Math.max(40, 2 * accuracy) ? best : fallback;
  }

  /** How far ahead "prepare" and "now" are said at the walker's speed and this fix's accuracy. */
  aheadDistances(accuracy) {
    const uncertainty = Math.min(accuracy, this.rules.accuracy_cap_m);
    return { prepare: aheadMetres(this.rules.prepare, this.speed, uncertainty),
      now: aheadMetres(this.rules.now, this.speed, uncertainty) };
  }

  /**
   * Take one fix; returns {announcements: [{kind, index, instruction, ahead, early}], arrived, remaining,
   * nextManeuver} (`early`: said before the spot, with its distance). `paused`: track, but say nothing (what is
   * passed while paused is not said later).
   */
  update(fix, paused = false) {
    const result = { announcements: [], arrived: false, remaining: null, nextManeuver: null, onRoute: true };
    if (this.arrived) return result;
    const rules = this.rules;
    if (Number.isFinite(fix.speed) && fix.speed >= 0) this.speed = clamp(fix.speed, rules.speed_mps.min, rules.speed_mps.max);
    const accuracy = Math.min(fix.accuracy || 10, 50);
    const matched = this.match(fix.lat, fix.lon, accuracy);
    if (!matched) return result;
    result.onRoute = matched.distance <= Math.max(rules.off_route.min_m, rules.off_route.accuracy_factor * accuracy);
    if (result.onRoute) {
      if (matched.along < this.progress - rules.turn_back_m) {
        this.behind += 1;
        if (this.behind >= 2) this.progress = matched.along; // really turned back
      } else {
        this.behind = 0;
        this.progress = Math.max(this.progress, Math.min(matched.along, this.length));
      }
    }
    this.lastFix = fix;
    const { prepare, now } = this.aheadDistances(accuracy);
    for (let index = 1; index < this.instructions.length; index++) {
      const instruction = this.instructions[index];
      if (instruction.type === "arrive") continue;
      const ahead = instruction.distance_m - this.progress;
      if (ahead > prepare) break;
      const key = (kind) => `${index}:${kind}`;
      if (ahead < -2 * now) { // passed long ago (a jump of the fix): saying it now would mislead
        this.announced.add(key("now"));
        continue;
      }
      if (paused) continue;
      if (this.infoTypes.has(instruction.type)) {
        if (ahead <= now && !this.announced.has(key("now"))) {
          this.announced.add(key("now"));
          result.announcements.push({ kind: "info", index, instruction, ahead, early: false });
        }
        continue;
      }
      if (ahead > now && !this.announced.has(key("prepare")) && !this.announced.has(key("now"))) {
        this.announced.add(key("prepare"));
        result.announcements.push({ kind: instruction.type === "warning" ? "warning" : "prepare", index, instruction,
          ahead, early: true });
      } else if (ahead <= now && !this.announced.has(key("now"))) {
        this.announced.add(key("now"));
        result.announcements.push({ kind: instruction.type === "warning" ? "warning" : "now", index, instruction,
          ahead, early: false });
      }
    }
    const remaining = Math.max(this.length - this.progress, 0);
    const toEnd = haversine(fix.lat, fix.lon, this.lat[this.lat.length - 1], this.lon[this.lon.length - 1]);
    if (remaining <= Math.max(rules.arrival_m, accuracy) || toEnd <= rules.arrival_m) {
      this.arrived = true;
      result.arrived = true;
    }
    result.remaining = remaining;
    result.nextManeuver = this.nextManeuver();
    return result;
  }

  /** {index, instruction, distance} of the next instruction that is not a landmark, or null. */
  nextManeuver() {
    for (let index = 1; index < this.instructions.length; index++) {
      const instruction = this.instructions[index];
      if (!this.infoTypes.has(instruction.type) && instruction.distance_m > this.progress) {
        return { index, instruction, distance: instruction.distance_m - this.progress };
      }
    }
    return null;
  }
}
