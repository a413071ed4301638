// The dashboard's entry: sign-in and sign-out, the nav and the admin's project picker, hash
// routing, and the live loop (the open page re-polls its URLs every second with If-None-Match,
// not while the tab is hidden; a 304 costs one small request and no re-render).

import * as api from "./api.js";
import { h, button, flash, clearFlash, swap, failure } from "./dom.js";
import * as jobs from "./pages/jobs.js";
import * as job from "./pages/job.js";
import * as schedules from "./pages/schedules.js";
import * as events from "./pages/events.js";
import * as event from "./pages/event.js";
import * as deliveries from "./pages/deliveries.js";
import * as delivery from "./pages/delivery.js";
import * as destinations from "./pages/destinations.js";
import * as sources from "./pages/sources.js";
import * as transforms from "./pages/transforms.js";
import * as keys from "./pages/keys.js";

const POLL_MS = 1000;
const PROJECT_KEY = "dispatch.project";

// [pattern, page module, nav text (top-level pages only)]
const ROUTES = [
  [/^\/jobs$/, jobs, "Jobs"],
  [/^\/jobs\/([^/]+)$/, job],
  [/^\/schedules$/, schedules, "Schedules"],
  [/^\/events$/, events, "Events"],
  [/^\/events\/([^/]+)$/, event],
  [/^\/deliveries$/, deliveries, "Deliveries"],
  [/^\/deliveries\/([^/]+)$/, delivery],
  [/^\/destinations$/, destinations, "Destinations"],
  [/^\/sources$/, sources, "Sources"],
  [/^\/transforms$/, transforms, "Transforms"],
  [/^\/keys$/, keys, "Keys"],
];

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const session = document.getElementById("session");

// The signed-in state: {me, projects}, or null on the sign-in screen.
let state = null;
let current = null;   // the mounted page: {refresh(force)}
let generation = 0;   // bumped at each mount, so late answers of an old page are dropped
let timer = null;
let conn = null;

// ---- the context handed to pages ----

const ctx = {
  /** True for the admin token. */
  get admin() { return !!(state && state.me.admin); },
  /** The project a page acts on: the key's own, or the admin's pick in #project ("" if none). */
  project() {
    if (!state) return "";
    if (!state.me.admin) return state.me.project ? state.me.project.name : "";
    const sel = document.getElementById("project");
    return sel ? sel.value : "";
  },
  /** Every project the caller sees: [{id, name}]. */
  get projects() { return state ? state.projects : []; },
  /** Project name by id (for admin lists). */
  projectName(id) { const p = this.projects.find((x) => x.id === id); return p ? p.name : id; },
  /** Runs an action: confirm first if asked, show the API's message in #flash, refresh. */
  async run(fn, { confirm, button: btn } = {}) {
    if (btn && btn.getAttribute("aria-busy") === "true") return null;
    if (confirm && !window.confirm(confirm)) return null;
    // Busy, not disabled: disabling the focused button would drop focus to <body>.
    if (btn) btn.setAttribute("aria-busy", "true");
    let r;
    try { r = await fn(); } finally { if (btn) btn.removeAttribute("aria-busy"); }
    flash(r.message, r.ok);
    refreshNow();
    return r;
  },
  /**
   * A live data region: refresh(force) polls urls() and re-renders with render(...data) when
   * an answer changed (or the URLs did). A lost connection keeps the last data on screen.
   */
  watch(region, urls, render) {
    let lastKey = null;
    const gen = generation;
    return async (force) => {
      const list = urls();
      const key = list.join(" ");
      if (!list.length) { if (force || key !== lastKey) { lastKey = key; swap(region, render()); } return; }
      const rs = await Promise.all(list.map((u) => api.poll(u)));
      if (gen !== generation || urls().join(" ") !== key) return;
      const down = rs.find((r) => r.status === 0);
      setConnection(!down);
      if (down && lastKey !== null) return;
      if (!force && key === lastKey && !rs.some((r) => r.changed)) return;
      lastKey = key;
      const bad = rs.find((r) => !r.ok);
      swap(region, bad ? failure(bad) : render(...rs.map((r) => r.data)));
    };
  },
  /** Re-polls the open page now. */
  refresh() { return refreshNow(); },
};

function setConnection(ok) {
  if (!conn) return;
  conn.hidden = ok;
}

// ---- live loop ----

async function tick() {
  clearTimeout(timer);
  timer = null;
  if (current && !document.hidden) {
    try { await current.refresh(false); } catch (e) { console.error(e); }
  }
  if (!document.hidden && state) timer = setTimeout(tick, POLL_MS);
}

async function refreshNow() {
  if (!current) return;
  try { await current.refresh(false); } catch (e) { console.error(e); }
}

document.addEventListener("visibilitychange", () => {
  if (document.hidden) { clearTimeout(timer); timer = null; } else if (state && !timer) tick();
});

// ---- routing ----

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/jobs";
  const [path, qs] = raw.split("?");
  return { path, query: new URLSearchParams(qs || "") };
}

async function route() {
  if (!state) return;
  const { path, query } = parseHash();
  const hit = ROUTES.map(([re, mod, label]) => [path.match(re), mod, label]).find(([m]) => m);
  if (!hit) { location.replace("#/jobs"); return; }
  const [m, mod] = hit;
  clearFlash();
  markNav(path);
  await mount(mod, m.slice(1).map(decodeURIComponent), query, true);
}

async function mount(mod, params, query, moveFocus) {
  generation += 1;
  clearTimeout(timer);
  timer = null;
  main.replaceChildren();
  if (mod === keys && !ctx.admin) {
    main.append(h("h1", { tabindex: "-1", text: "Keys" }),
      h("p", { text: "API keys are managed with the admin token." }));
    current = null;
  } else {
    current = mod.mount(main, ctx, params, query);
  }
  document.title = (mod.title || "Dispatch") + " · Dispatch";
  if (moveFocus) { const h1 = main.querySelector("h1"); if (h1) h1.focus({ preventScroll: true }); }
  if (current) { try { await current.refresh(true); } catch (e) { console.error(e); } }
  tick();
}

function markNav(path) {
  for (const a of nav.querySelectorAll("a")) {
    const here = path === a.getAttribute("href").slice(1) || path.startsWith(a.getAttribute("href").slice(1) + "/");
    if (here) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
}

window.addEventListener("hashchange", route);

// ---- sign-in / out ----

function showSignin(message) {
  state = null;
  current = null;
  generation += 1;
  clearTimeout(timer);
  timer = null;
  nav.hidden = true;
  nav.replaceChildren();
  session.hidden = true;
  session.replaceChildren();
  clearFlash();
  const input = h("input", { id: "token", name: "token", type: "password", autocomplete: "off",
    required: true, spellcheck: "false", "aria-describedby": "signin-help" });
  const error = h("p", { id: "signin-error", role: "alert", class: "error", text: message || "" });
  const form = h("form", { id: "signin", class: "card signin" },
    h("h1", { text: "Sign in" }),
    h("p", { id: "signin-help", text: "Paste a project API key (sk_…) to see its project, or the admin token to see every project and manage keys. It is kept in this tab only." }),
    h("label", { for: "token", text: "API key or admin token" }),
    input,
    h("button", { type: "submit", class: "primary", text: "Sign in" }),
    error);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const value = input.value.trim();
    if (!value) return;
    const btn = form.querySelector("button");
    btn.disabled = true;
    error.textContent = "";
    const r = await api.checkToken(value);
    btn.disabled = false;
    if (!r.ok) { error.textContent = r.message; input.focus(); return; }
    api.setToken(value);
    await enter(r.data);
  });
  main.replaceChildren(form);
  document.title = "Sign in · Dispatch";
  input.focus();
}

function signOut() {
  api.clearToken();
  sessionStorage.removeItem(PROJECT_KEY);
  showSignin("");
}

async function enter(me) {
  let projects = me.project ? [me.project] : [];
  const r = await api.request("GET", api.url("projects"));
  if (r.ok && Array.isArray(r.data)) projects = r.data;
  state = { me, projects };
  buildChrome();
  if (!location.hash || location.hash === "#" || location.hash === "#/") history.replaceState(null, "", "#/jobs");
  await route();
}

function buildChrome() {
  const me = state.me;
  nav.replaceChildren(...ROUTES.filter(([, mod, label]) => label && (mod !== keys || me.admin))
    .map(([, , label]) => h("a", { href: "#/" + label.toLowerCase(), text: label })));
  nav.hidden = false;
  conn = h("span", { class: "conn", role: "status", hidden: true, text: "Connection lost: retrying" });
  const who = me.admin ? h("span", { class: "who", text: "Admin" })
    : h("span", { class: "who", text: "Project " + (me.project ? me.project.name : "?") });
  const parts = [conn, who];
  if (me.admin) {
    const saved = sessionStorage.getItem(PROJECT_KEY);
    const sel = h("select", { id: "project", name: "project" },
      state.projects.map((p) => h("option", { value: p.name, selected: p.name === saved }, p.name)));
    sel.addEventListener("change", () => {
      sessionStorage.setItem(PROJECT_KEY, sel.value);
      const { path, query } = parseHash();
      const hit = ROUTES.map(([re, mod]) => [path.match(re), mod]).find(([m]) => m);
      if (hit) mount(hit[1], hit[0].slice(1).map(decodeURIComponent), query, false);
    });
    parts.push(h("label", { for: "project", class: "project-label", text: "Project" }), sel);
  }
  parts.push(button("Sign out", signOut, { id: "signout" }));
  session.replaceChildren(...parts);
  session.hidden = false;
}

api.setUnauthorizedHandler((message) => {
  if (!state) return;
  api.clearToken();
  showSignin(message);
});

async function start() {
  const t = api.token();
  if (!t) { showSignin(""); return; }
  const r = await api.checkToken(t);
  if (!r.ok) {
    if (r.status === 401) api.clearToken();
    showSignin(r.message);
    return;
  }
  await enter(r.data);
}

start();
