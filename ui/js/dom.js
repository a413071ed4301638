// DOM helpers. Every value from the server becomes a text node (textContent or
// createTextNode): nothing here parses HTML, so an event body holding <script> stays text.

let idSeq = 0;

/**
 * Builds an element. attrs: "class", "text", "hidden", "value", "checked", "disabled",
 * "selected", on<Event> listeners, anything else as an attribute. Children: nodes, strings
 * (as text), arrays, and null/false/undefined (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = String(v);
    else if (k === "value") el.value = String(v);
    else if (k === "checked" || k === "disabled" || k === "selected" || k === "hidden") el[k] = !!v;
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** A fresh id for label/input pairs. */
export function uid(prefix = "f") { idSeq += 1; return `${prefix}-${idSeq}`; }

// Compact: the year only when it is not this one.
const timeOpts = { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" };
const thisYear = new Intl.DateTimeFormat(undefined, timeOpts);
const otherYear = new Intl.DateTimeFormat(undefined, { ...timeOpts, year: "numeric" });

/** A <time> in the browser's zone with the UTC instant as title, or "—" for null. */
export function time(iso) {
  if (!iso) return h("span", { class: "none", text: "—" });
  const d = new Date(iso);
  const bad = Number.isNaN(d.getTime());
  const text = bad ? String(iso) : (d.getFullYear() === new Date().getFullYear() ? thisYear : otherYear).format(d);
  return h("time", { datetime: iso, title: iso, text });
}

/** A job/delivery/attempt status lamp: colour and word. */
export function lamp(status) { return h("span", { class: "lamp", "data-status": status, text: status }); }

/** A destination state lamp (healthy / open / half-open / paused). */
export function stateLamp(state) { return h("span", { class: "lamp", "data-state": state, text: state }); }

/** Text for a possibly-null value. */
export function orDash(v) { return v === null || v === undefined || v === "" ? "—" : String(v); }

/** A table cell for an error message, or a muted "—" when there is none. */
export function errorCell(v) {
  return v ? h("td", { class: "error-text", text: v }) : h("td", {}, h("span", { class: "none", text: "—" }));
}

/** A button (type=button unless given) running onClick. */
export function button(text, onClick, attrs = {}) {
  return h("button", { type: "button", ...attrs, onclick: onClick }, text);
}

/** A link to a hash route; `text` may be a string or a node. */
export function link(href, text, attrs = {}) { return h("a", { href, ...attrs }, text); }

/** A labelled form control: <div class="field"><label for>…</label>control hint</div>. */
export function field(label, control, hint) {
  if (!control.id) control.id = uid();
  const hintEl = hint ? h("small", { class: "hint", id: control.id + "-hint", text: hint }) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: control.id, text: label }), control, hintEl);
}

/** A <select> of [value, text] pairs. */
export function select(attrs, options, current) {
  return h("select", attrs, options.map(([v, t]) => h("option", { value: v, selected: v === current }, t)));
}

/** A table in its scrolling wrapper: headers, <tr>s, and a line when there are none. */
export function table(cls, headers, rows, emptyText = "Nothing here yet.") {
  const t = h("table", { class: cls || null },
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, rows.length ? rows : h("tr", { class: "empty" },
      h("td", { colspan: String(headers.length), text: emptyText }))));
  return h("div", { class: "table-wrap" }, t);
}

/** A definition list of [term, value] pairs (null values skipped). */
export function dl(pairs) {
  return h("dl", { class: "fields" }, pairs.filter((p) => p && p[1] !== undefined)
    .map(([k, v]) => h("div", {}, h("dt", { text: k }), h("dd", {}, v === null ? orDash(v) : v))));
}

/** Preformatted text (textContent only). */
export function pre(text, cls) { return h("pre", { class: cls || null, text: text === null || text === undefined ? "" : String(text) }); }

/** JSON shown indented. */
export function json(value) { return JSON.stringify(value, null, 2); }

/** Shows an action's outcome (the API's message) in #flash. */
export function flash(message, ok) {
  const el = document.getElementById("flash");
  el.className = ok ? "ok" : "err";
  el.textContent = message;
}

/** Empties #flash. */
export function clearFlash() { const el = document.getElementById("flash"); el.className = ""; el.textContent = ""; }

// What identifies the focused element across a re-render: its row and its text/name.
function focusKey(region) {
  const a = document.activeElement;
  if (!a || a === document.body || !region.contains(a)) return null;
  const row = a.closest("[data-id]");
  return { tag: a.tagName, row: row ? row.getAttribute("data-id") : null,
    text: a.textContent, name: a.getAttribute("name"), href: a.getAttribute("href") };
}

// Focuses the same control again; else (a "Pause" that became "Resume") the same kind of
// control in the same row.
function refocus(region, key) {
  const rowOf = (el) => { const row = el.closest("[data-id]"); return row ? row.getAttribute("data-id") : null; };
  const all = [...region.querySelectorAll(key.tag)].filter((el) => rowOf(el) === key.row);
  const same = all.find((el) => el.textContent === key.text && el.getAttribute("name") === key.name
    && el.getAttribute("href") === key.href);
  const target = same || (key.row !== null ? all.find((el) => !el.disabled) : null);
  if (target) target.focus({ preventScroll: true });
}

/** Replaces a data region's content, keeping focus and the tables' horizontal scroll. */
export function swap(region, ...nodes) {
  const key = focusKey(region);
  const scrolls = [...region.querySelectorAll(".table-wrap")].map((w) => w.scrollLeft);
  region.replaceChildren();
  append(region, nodes);
  region.querySelectorAll(".table-wrap").forEach((w, i) => { if (scrolls[i]) w.scrollLeft = scrolls[i]; });
  if (key) refocus(region, key);
}

/** The page heading, focusable so that a route change can move focus to it. */
export function heading(text, ...extra) {
  return h("div", { class: "page-head" }, h("h1", { tabindex: "-1", text }), ...extra);
}

/** A pager: "Page x of y (n)", Previous and Next buttons calling go(page). */
export function pager(p, go) {
  if (!p) return null;
  const pages = Math.max(p.totalPages, 1);
  return h("div", { class: "pager" },
    button("Previous", () => go(p.page - 1), { disabled: p.page <= 1 }),
    h("span", { text: `Page ${p.page} of ${pages} · ${p.total} in all` }),
    button("Next", () => go(p.page + 1), { disabled: p.page >= p.totalPages }));
}

/** A message for a failed load, as an alert inside the data region. */
export function failure(r) { return h("p", { class: "error", role: "alert", text: r.message }); }
