// Transforms: a playground. Lua (prefilled from a link's transform), a sample event or a stored
// one, "Run" through POST /api/v1/transforms/run; shows outcome, type, headersOut, body, logs,
// the error with its line, and the run's duration. Nothing is stored or sent.

import { request, url } from "../api.js";
import { h, heading, field, table, dl, pre, json, button, flash, uid } from "../dom.js";
import { form, input, textarea, submit, val, jsonObject } from "../forms.js";

export const title = "Transforms";

const BLANK = "function transform(e)\n  -- e.type, e.headers, e.body (a table when the body is JSON)\n  log(e.type)\n  return e\nend\n";
const SAMPLE_HEADERS = '{\n  "content-type": "application/json"\n}';
const SAMPLE_BODY = '{"id": 1, "type": "order.paid"}';

/** Mounts the page; returns {refresh}. */
export function mount(view, ctx) {
  const st = { transforms: [] };
  const picker = h("select", { name: "from" }, h("option", { value: "" }, "A blank script"));
  const lua = textarea("lua", { value: BLANK, rows: "14", class: "code", wrap: "off" });
  const source = input("source", { placeholder: "optional" });
  picker.addEventListener("change", () => {
    const t = st.transforms[Number(picker.value)];
    lua.value = t ? t.lua : BLANK;
    if (t) source.value = t.slug;
  });
  const modeName = uid("mode");
  const sample = h("div", { class: "grid" },
    field("Type", input("type", { placeholder: "order.paid" })),
    field("Source", source),
    field("Headers (JSON object)", textarea("headers", { value: SAMPLE_HEADERS, rows: "4" })),
    field("Body (text)", textarea("body", { value: SAMPLE_BODY, rows: "6" })));
  const stored = h("div", { class: "grid", hidden: true }, field("Event ID", input("eventId", { placeholder: "an event's id" })));
  const radio = (value, text, checked) => h("label", { class: "check" },
    h("input", { type: "radio", name: modeName, value, checked, onchange: () => {
      sample.hidden = value !== "sample";
      stored.hidden = value !== "stored";
    } }), " ", text);
  const result = h("div", { class: "data", "aria-live": "polite" });

  const f = form({ class: "card playground", "aria-label": "Transform playground" }, async (fm) => {
    const body = { lua: lua.value };
    if (fm.querySelector(`input[name="${modeName}"]:checked`).value === "stored") {
      body.eventId = val(fm, "eventId").trim();
    } else {
      const headers = jsonObject(val(fm, "headers"), "headers", undefined);
      if (!headers.ok) { flash(headers.message, false); return; }
      body.event = { body: val(fm, "body") };
      if (headers.value) body.event.headers = headers.value;
      if (val(fm, "type")) body.event.type = val(fm, "type");
      if (val(fm, "source").trim()) body.event.source = val(fm, "source").trim();
    }
    const r = await ctx.run(() => request("POST", url("transforms/run"), body));
    if (r) result.replaceChildren(r.ok ? renderResult(r.data, lua) : h("p", { class: "error", text: r.message }));
  },
  field("Start from", picker, "A link's transform from the config, or a blank script"),
  field("Lua", lua),
  h("fieldset", {}, h("legend", { text: "Event" }),
    h("div", { class: "radios" }, radio("sample", "A sample", true), radio("stored", "A stored event", false)),
    sample, stored),
  submit("Run"));

  view.append(heading("Transforms"), f, h("h2", { text: "Result" }), result);
  result.append(h("p", { class: "note", text: "Run the script to see what a link would deliver." }));

  const refresh = async (force) => {
    if (!force) return;
    const r = await request("GET", url("sources", ctx.admin ? { project: ctx.project() } : {}));
    if (!r.ok || !Array.isArray(r.data)) return;
    st.transforms = [];
    for (const s of r.data) for (const l of s.links || []) {
      if (l.transform) st.transforms.push({ slug: s.slug, lua: l.transform.lua, label: `${s.slug} → ${l.destination}: ${l.transform.name}` });
    }
    picker.replaceChildren(h("option", { value: "" }, "A blank script"),
      ...st.transforms.map((t, i) => h("option", { value: String(i) }, t.label)));
  };
  return { refresh };
}

// Selects line n (1-based) of the textarea and focuses it.
function goToLine(ta, n) {
  const lines = ta.value.split("\n");
  const start = lines.slice(0, n - 1).reduce((a, l) => a + l.length + 1, 0);
  ta.focus();
  ta.setSelectionRange(start, start + (lines[n - 1] || "").length);
}

function renderResult(d, lua) {
  const m = d.error ? /:(\d+):/.exec(d.error) : null;
  const line = m ? Number(m[1]) : null;
  const headers = d.headersOut ? Object.entries(d.headersOut) : null;
  const body = d.body === null || d.body === undefined ? null : typeof d.body === "string" ? d.body : json(d.body);
  return h("div", {},
    dl([
      ["Outcome", h("span", { class: "outcome", "data-outcome": d.outcome, text: d.outcome })],
      ["Type", d.type === null ? null : d.type === "" ? "(none)" : h("code", { text: d.type })],
      ["Duration", `${d.durationUs} µs`],
      ["Error", d.error ? h("div", {}, pre(d.error, "error-text"),
        line ? button(`Go to line ${line}`, () => goToLine(lua, line)) : null) : null],
    ]),
    headers ? [h("h3", { text: "Headers out" }), table("headers-out", ["Name", "Value"],
      headers.map(([k, v]) => h("tr", { "data-id": k }, h("td", {}, h("code", { text: k })), h("td", { class: "wrap", text: v }))),
      "No headers set.")] : null,
    body !== null ? [h("h3", { text: "Body" }), pre(body, "body")] : null,
    h("h3", { text: "Logs" }),
    d.logs && d.logs.length ? pre(d.logs.join("\n"), "logs") : h("p", { class: "note", text: "No log() lines." }));
}
