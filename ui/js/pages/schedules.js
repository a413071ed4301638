// Schedules: cron, zone, next and last fire, paused; create (project keys), Pause/Resume
// (PATCH {paused}) and Delete.

import { request, url, seg } from "../api.js";
import { h, heading, field, table, time, button, pager, flash } from "../dom.js";
import { form, input, textarea, submit, val, jsonObject } from "../forms.js";

export const title = "Schedules";

/** Mounts the page; returns {refresh}. */
export function mount(view, ctx) {
  const st = { page: 1 };
  const region = h("div", { class: "data" });
  const go = (p) => { st.page = p; refresh(true); };
  const render = (data) => h("div", {},
    table("schedules", ["Title", "Cron", "Zone", "Next fire", "Last fired", "Paused", ctx.admin ? "Project" : null, "Actions"]
      .filter(Boolean), data.schedules.map((s) => row(ctx, s))),
    pager(data.pagination, go));
  view.append(heading("Schedules"), region,
    ctx.admin
      ? h("p", { class: "note", text: "Schedules are created with a project API key: sign in with one to create them." })
      : createForm(ctx));
  const refresh = ctx.watch(region, () => [url("schedules", { page: st.page, limit: 20 })], render);
  return { refresh };
}

function row(ctx, s) {
  const patch = (paused) => (ev) => ctx.run(() => request("PATCH", url("schedules/" + seg(s.id)), { paused }),
    { button: ev.currentTarget });
  return h("tr", { "data-id": s.id },
    h("td", { text: s.title }),
    h("td", {}, h("code", { text: s.cron })),
    h("td", { text: s.timezone }),
    h("td", {}, time(s.nextFireAt)),
    h("td", {}, time(s.lastFiredAt)),
    h("td", { text: s.paused ? "yes" : "no" }),
    ctx.admin ? h("td", { text: ctx.projectName(s.projectId) }) : null,
    h("td", { class: "actions" },
      s.paused ? button("Resume", patch(false)) : button("Pause", patch(true)),
      button("Delete", (ev) => ctx.run(() => request("DELETE", url("schedules/" + seg(s.id))),
        { confirm: `Delete the schedule "${s.title}"? It will make no more jobs.`, button: ev.currentTarget }),
      { class: "danger" })));
}

function browserZone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch { return "UTC"; }
}

function createForm(ctx) {
  return form({ class: "card", "aria-labelledby": "create-schedule-h" }, async (fm) => {
    const payload = jsonObject(val(fm, "payload"), "payload", {});
    if (!payload.ok) { flash(payload.message, false); return; }
    const body = { title: val(fm, "title"), webhookUrl: val(fm, "webhookUrl"), cron: val(fm, "cron"),
      timezone: val(fm, "timezone") || "UTC", payload: payload.value, paused: fm.elements.namedItem("paused").checked };
    const r = await ctx.run(() => request("POST", url("schedules"), body));
    if (r && r.ok) fm.elements.namedItem("title").value = "";
  },
  h("h2", { id: "create-schedule-h", text: "Create a schedule" }),
  h("div", { class: "grid" },
    field("Title", input("title", { required: true, maxlength: "200" })),
    field("Webhook URL", input("webhookUrl", { type: "url", required: true, placeholder: "https://example.com/hook" })),
    field("Cron", input("cron", { required: true, placeholder: "0 9 * * MON-FRI" }), "Five fields, or @hourly, @daily, @weekly, @monthly, @yearly"),
    field("Time zone", input("timezone", { value: browserZone() }), "An IANA name, e.g. Europe/Berlin"),
    field("Payload (JSON object)", textarea("payload", { value: "{}", rows: "3" })),
    h("div", { class: "field check" }, h("label", {}, h("input", { type: "checkbox", name: "paused" }), " Start paused"))),
  submit("Create schedule"));
}
