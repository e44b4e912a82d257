// The volunteer API: accounts, obstacle reports, quests. Every request names the UI language (`lang=`), so the
// server's error messages come in it; every POST carries the session's CSRF token (`X-CSRF-Token`), fetched once
// from GET /api/csrf and renewed by login and register. A POST refused for a stale token is retried once.

import { ApiError, fetchJson } from "../api.js";
import { language } from "../i18n.js";

export { ApiError };

let csrfToken = null;

function url(path, query = {}) {
  const params = new URLSearchParams({ ...query, lang: language() });
  return `${path}?${params}`;
}

async function request(method, path, { query = {}, body = undefined, retry = true } = {}) {
  const headers = { Accept: "application/json" };
  const options = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  if (method !== "GET") headers["X-CSRF-Token"] = await csrf();
  try {
    return await fetchJson(url(path, query), options);
  } catch (error) {
    if (error.code === "csrf_failed" && retry && method !== "GET") {
      csrfToken = null; // the session changed (expired, or logged out elsewhere): one more try with a fresh token
      return request(method, path, { query, body, retry: false });
    }
    throw error;
  }
}

export async function csrf() {
  if (!csrfToken) csrfToken = (await request("GET", "/api/csrf")).csrf_token;
  return csrfToken;
}

/** The logged-in user, or null. */
export async function me() {
  try {
    return (await request("GET", "/api/accounts/me")).user;
  } catch (error) {
    if (error.status === 401) return null;
    throw error;
  }
}

export async function register(name, email, password) {
  const data = await request("POST", "/api/accounts/register", { body: { name, email, password } });
  csrfToken = data.csrf_token;
  return data.user;
}

export async function login(email, password) {
  const data = await request("POST", "/api/accounts/login", { body: { email, password } });
  csrfToken = data.csrf_token;
  return data.user;
}

export async function logout() {
  await request("POST", "/api/accounts/logout");
  csrfToken = null; // the session is gone, and its token with it
}

export async function createReport(report) {
  return (await request("POST", "/api/reports", { body: report })).report;
}

export async function nearbyReports(lat, lon, radius = 500) {
  const query = { lat: lat.toFixed(6), lon: lon.toFixed(6), radius_m: String(radius) };
  return (await request("GET", "/api/reports", { query })).reports;
}

export async function vote(reportId, answer) {
  return (await request("POST", `/api/reports/${reportId}/votes`, { body: { answer } })).report;
}

/** The nearest walkable way to a point: {snap: {lat, lon, distance_m}, edge: {name, highway, ...}}. */
export async function snap(lat, lon) {
  return request("GET", "/api/snap", { query: { lat: lat.toFixed(7), lon: lon.toFixed(7) } });
}

export async function nearbyQuests(lat, lon, radius = 250) {
  const query = { lat: lat.toFixed(6), lon: lon.toFixed(6), radius: String(radius) };
  return (await request("GET", "/api/quests", { query })).quests;
}

export async function answerQuest(quest, answer) {
  return request("POST", "/api/quests/answer", { body: { quest, answer } });
}
