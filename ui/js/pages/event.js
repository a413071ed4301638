// Event: its headers (the server has already removed credentials), its body as text, the
// deliveries routing made with their attempts, the links it skipped, and "Replay".

import { request, url, seg } from "../api.js";
import { h, heading, dl, table, lamp, time, link, button, pre, errorCell } from "../dom.js";
import { retryButton } from "./deliveries.js";

export const title = "Event";

/** Mounts the page for params[0] (the event id); returns {refresh}. */
export function mount(view, ctx, params) {
  const id = params[0];
  const st = { indent: false };
  const region = h("div", { class: "data" });
  const replay = button("Replay", (ev) => ctx.run(() => request("POST", url("events/" + seg(id) + "/replay")),
    { button: ev.currentTarget }), { class: "primary" });
  view.append(heading("Event", link("#/events", "← Events", { class: "back" }), replay), region);
  const refresh = ctx.watch(region, () => [url("events/" + seg(id))], (e) => render(ctx, e, st, () => refresh(true)));
  return { refresh };
}

function bodyText(e, indent) {
  if (!indent || e.bodyEncoding === "base64") return e.body;
  try { return JSON.stringify(JSON.parse(e.body), null, 2); } catch { return e.body; }
}

function render(ctx, e, st, rerender) {
  const headers = Object.entries(e.headers || {});
  const indent = h("input", { type: "checkbox", name: "indent", id: "indent-json", checked: st.indent });
  indent.addEventListener("change", () => { st.indent = indent.checked; rerender(); });
  return h("div", {},
    dl([
      ["ID", h("code", { text: e.id })],
      ["Source", link("#/events?source=" + encodeURIComponent(e.source), e.source)],
      ["Type", e.eventType ? h("code", { text: e.eventType }) : "(none)"],
      ["Received", time(e.receivedAt)],
    ]),
    h("h2", { text: "Headers" }),
    table("headers", ["Name", "Value"], headers.map(([k, v]) => h("tr", { "data-id": k },
      h("td", {}, h("code", { text: k })), h("td", { class: "wrap", text: v }))), "No headers."),
    h("div", { class: "section-head" }, h("h2", { text: "Body" }),
      e.bodyEncoding === "base64" ? h("span", { class: "note", text: "Not UTF-8 text: shown as base64." })
        : h("label", { class: "check", for: "indent-json" }, indent, " Indent JSON")),
    pre(bodyText(e, st.indent), "body"),
    h("h2", { text: "Deliveries" }),
    deliveriesTable(ctx, e.deliveries || []),
    h("h2", { text: "Skipped links" }),
    table("skipped", ["Destination", "Reason"], (e.skipped || []).map((s) => h("tr", { "data-id": s.destination },
      h("td", { text: s.destination }), h("td", { text: s.reason }))), "No link skipped this event."));
}

function attemptList(logs) {
  if (!logs.length) return h("span", { class: "none", text: "—" });
  return h("ol", { class: "attempt-list" }, [...logs].sort((a, b) => b.attempt - a.attempt).map((a) => h("li", {},
    h("span", { class: "num", text: `#${a.attempt}` }), " ", lamp(a.status), " ",
    h("span", { text: a.responseCode === null ? "no answer" : `HTTP ${a.responseCode}` }), " · ",
    h("span", { text: `${a.durationMs} ms` }), " · ", time(a.firedAt),
    a.error ? h("div", { class: "error-text", text: a.error }) : null,
    a.responseBody ? pre(a.responseBody, "cell") : null)));
}

function deliveriesTable(ctx, list) {
  return table("deliveries", ["Destination", "Status", "Attempts", "Next attempt", "Error", "Attempt log", "Actions"],
    list.map((d) => h("tr", { "data-id": d.id },
      h("td", {}, link("#/deliveries/" + seg(d.id), d.destination)),
      h("td", {}, lamp(d.status)),
      h("td", { class: "num", text: d.attempts }),
      h("td", {}, time(d.nextAttemptAt)),
      errorCell(d.error),
      h("td", {}, attemptList(d.logs || [])),
      h("td", { class: "actions" }, retryButton(ctx, d)))),
    "No delivery: no link took this event.");
}
