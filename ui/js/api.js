// The HTTP API client: the token in sessionStorage, Bearer auth, the {status,message,data}
// envelope, and conditional GETs (If-None-Match with an ETag kept per URL) for live refresh.

const TOKEN_KEY = "dispatch.token";
const CACHE_MAX = 64;

// url -> {etag, text, result}: the last 200 answer of each polled URL.
const cache = new Map();
let onUnauthorized = () => {};

/** The token of this tab, or "" when signed out. */
export function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }

/** Keeps the token in this tab's sessionStorage (never a cookie, never a URL). */
export function setToken(value) { sessionStorage.setItem(TOKEN_KEY, value); cache.clear(); }

/** Forgets the token and every cached answer. */
export function clearToken() { sessionStorage.removeItem(TOKEN_KEY); cache.clear(); }

/** Registers what to do when a signed-in request answers 401 (the key was revoked, say). */
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

/** Builds "/api/v1/<path>?k=v" from a path and an object of query values (empty ones left out). */
export function url(path, query = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return "/api/v1/" + path + (s ? "?" + s : "");
}

/** Encodes one path segment (an id, a name). */
export function seg(value) { return encodeURIComponent(String(value)); }

// One request; answers {ok, status, message, data, text, etag} and never throws (a network
// failure is status 0).
async function send(method, path, { body, tokenOverride, etag } = {}) {
  const headers = { Accept: "application/json" };
  const t = tokenOverride ?? token();
  if (t) headers.Authorization = "Bearer " + t;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (etag) headers["If-None-Match"] = etag;
  let res;
  try {
    res = await fetch(path, {
      method, headers, cache: "no-store", credentials: "omit", redirect: "error",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    return { ok: false, status: 0, message: "The server cannot be reached", data: null, text: "" };
  }
  if (res.status === 304) return { ok: true, status: 304, message: "", data: null, text: "" };
  const text = await res.text();
  let env = null;
  try { env = JSON.parse(text); } catch { env = null; }
  const message = env && typeof env.message === "string" ? env.message : `HTTP ${res.status}`;
  const out = { ok: res.ok && !!env && env.status === true, status: res.status, message,
    data: env ? env.data : null, text, etag: res.headers.get("ETag") };
  if (res.status === 429) {
    const after = res.headers.get("Retry-After");
    if (after) out.message += ` (retry in ${after} s)`;
  }
  if (res.status === 401 && !tokenOverride) onUnauthorized(out.message);
  return out;
}

/** Any request with the session's token: resolves to {ok, status, message, data}. */
export function request(method, path, body) { return send(method, path, { body }); }

/** GET /api/v1/me with a token not yet kept: the sign-in check. */
export function checkToken(value) { return send("GET", url("me"), { tokenOverride: value }); }

/**
 * A conditional GET for live refresh: {changed, ok, status, message, data}. `changed` is false
 * on a 304, or on a 200 whose body equals the last one (a server without ETags).
 */
export async function poll(path) {
  const prev = cache.get(path);
  const r = await send("GET", path, { etag: prev && prev.etag });
  if (r.status === 304 && prev) return { ...prev.result, changed: false };
  if (r.status === 304) return { ok: false, status: 304, message: "Unexpected 304", data: null, changed: true };
  if (!r.ok) { cache.delete(path); return { ...r, changed: true }; }
  if (prev && prev.text === r.text) return { ...prev.result, changed: false };
  const result = { ok: true, status: r.status, message: r.message, data: r.data };
  cache.delete(path);
  cache.set(path, { etag: r.etag, text: r.text, result });
  if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value);
  return { ...result, changed: true };
}
