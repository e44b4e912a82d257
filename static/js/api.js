// The server's REST API. Errors become ApiError with the server's message, which is already in the request's
// language; a network failure becomes an ApiError with the app's own "no connection" text.

import { t } from "./i18n.js";

export class ApiError extends Error {
  constructor(message, code, status = 0) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** fetch, then the JSON body (null for 204); a failure becomes an ApiError with the server's message, which is
 * already in the request's language, or the app's own text when there is no usable answer. */
export async function fetchJson(url, options = {}) {
  let response;
  try {
    response = await fetch(url, options);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(t("error_network"), "network");
  }
  if (response.status === 204) return null;
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const error = body && body.error;
    if (error && error.message) throw new ApiError(error.message, error.code || "error", response.status);
    throw new ApiError(t("error_http", { status: response.status }), "http", response.status);
  }
  if (body === null) throw new ApiError(t("error_http", { status: response.status }), "http", response.status);
  return body;
}

export function geocode(query, lang, near, signal) {
  const params = new URLSearchParams({ q: query, lang, limit: "8" });
  if (near) {
    params.set("lat", near.lat.toFixed(6));
    params.set("lon", near.lon.toFixed(6));
  }
  return fetchJson(`/api/geocode?${params}`, { signal, headers: { Accept: "application/json" } });
}

export function planRoute(body) {
  return fetchJson("/api/route", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
  });
}

/** The server's state, with the profiles and named preference values a route may be planned with. */
export function health() {
  return fetchJson("/api/health", { headers: { Accept: "application/json" } });
}

export function speechUrl(text, lang) {
  return `/api/speech?${new URLSearchParams({ text: text.slice(0, 500), lang })}`;
}

/** The server's error message for a failed speech request (503: no engine), or null. */
export async function speechError(url) {
  try {
    const response = await fetch(url);
    if (response.ok) return null;
    const body = await response.json();
    return body?.error?.message || null;
  } catch {
    return null;
  }
}
