// Form helpers: forms that submit with Enter and leave validation to the API (its message is
// what the operator sees), JSON fields parsed before sending, and local-time inputs.

import { h } from "./dom.js";

/** A <form novalidate> whose submit runs onSubmit(form), one submission at a time. */
export function form(attrs, onSubmit, ...children) {
  const f = h("form", { novalidate: true, ...attrs }, ...children);
  f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    // A busy flag rather than `disabled`, which would take focus from a clicked button.
    if (f.getAttribute("aria-busy") === "true") return;
    f.setAttribute("aria-busy", "true");
    try { await onSubmit(f); } finally { f.removeAttribute("aria-busy"); }
  });
  return f;
}

/** An <input> named `name`. */
export function input(name, attrs = {}) { return h("input", { name, type: "text", autocomplete: "off", ...attrs }); }

/** A <textarea> named `name`. */
export function textarea(name, attrs = {}) { return h("textarea", { name, rows: "4", spellcheck: "false", ...attrs }); }

/** A submit button with the given text. */
export function submit(text) { return h("button", { type: "submit", class: "primary", text }); }

/** A form control's current value, by name. */
export function val(f, name) { const el = f.elements.namedItem(name); return el ? el.value : ""; }

/** Parses a JSON object field: {ok, value} or {ok: false, message}. Empty text gives `fallback`. */
export function jsonObject(text, label, fallback = undefined) {
  if (!text.trim()) return { ok: true, value: fallback };
  try {
    const v = JSON.parse(text);
    if (v === null || typeof v !== "object" || Array.isArray(v)) return { ok: false, message: `${label} must be a JSON object` };
    return { ok: true, value: v };
  } catch (e) {
    return { ok: false, message: `${label} is not valid JSON: ${e.message}` };
  }
}

function pad(n) { return String(n).padStart(2, "0"); }

/** A Date as a datetime-local value ("YYYY-MM-DDTHH:MM:SS", the browser's zone). */
export function localValue(d) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A datetime-local value as a UTC ISO timestamp with milliseconds, or "" if unreadable. */
export function localToIso(value) {
  if (!value) return "";
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? "" : d.toISOString();
}
