// Jobs: newest first with status lamps, a status filter and pages; "Schedule job" (project
// keys only: the admin token cannot create jobs) and "Cancel" for a SCHEDULED job.

import { request, url, seg } from "../api.js";
import { h, heading, field, select, table, lamp, time, link, button, pager, flash } from "../dom.js";
import { form, input, textarea, submit, val, jsonObject, localValue, localToIso } from "../forms.js";

export const title = "Jobs";
/** The six job states, in the order of the state machine. */
export const STATUSES = ["SCHEDULED", "FIRING", "SUCCESS", "FAILED", "DEAD", "CANCELLED"];

/** Mounts the page; returns {refresh}. */
export function mount(view, ctx, params, query) {
  const st = { status: STATUSES.includes(query.get("status")) ? query.get("status") : "", page: 1 };
  const region = h("div", { class: "data" });
  const status = select({ name: "status" }, [["", "All"], ...STATUSES.map((s) => [s, s])], st.status);
  status.addEventListener("change", () => { st.status = status.value; st.page = 1; refresh(true); });
  const go = (p) => { st.page = p; refresh(true); };

  const render = (data) => h("div", {},
    table("jobs", ["Status", "Title", "Fire at", "Failures", "Created", ctx.admin ? "Project" : null, "Actions"].filter(Boolean),
      data.jobs.map((j) => row(ctx, j))),
    pager(data.pagination, go));

  view.append(
    heading("Jobs"),
    h("div", { class: "toolbar" }, field("Status", status)),
    region,
    ctx.admin
      ? h("p", { class: "note", text: "Jobs are created with a project API key: sign in with one to schedule jobs." })
      : scheduleForm(ctx));
  const refresh = ctx.watch(region, () => [url("jobs", { status: st.status, page: st.page, limit: 20 })], render);
  return { refresh };
}

function row(ctx, j) {
  return h("tr", { "data-id": j.id },
    h("td", {}, lamp(j.status)),
    h("td", {}, link("#/jobs/" + seg(j.id), j.title)),
    h("td", {}, time(j.fireAt)),
    h("td", { class: "num", text: j.retryCount }),
    h("td", {}, time(j.createdAt)),
    ctx.admin ? h("td", { text: j.project ? j.project.name : ctx.projectName(j.projectId) }) : null,
    h("td", { class: "actions" }, j.status === "SCHEDULED" ? cancelButton(ctx, j) : null));
}

/** The "Cancel" button of a SCHEDULED job (asks first). */
export function cancelButton(ctx, j) {
  return button("Cancel", (ev) => ctx.run(() => request("DELETE", url("jobs/" + seg(j.id))),
    { confirm: `Cancel the job "${j.title}"? It will not fire.`, button: ev.currentTarget }), { class: "danger" });
}

function scheduleForm(ctx) {
  const fireAt = input("fireAt", { type: "datetime-local", step: "1", required: true });
  const reset = () => { fireAt.value = localValue(new Date(Date.now() + 60000)); };
  reset();
  const f = form({ class: "card", "aria-labelledby": "schedule-job-h" }, async (fm) => {
    const payload = jsonObject(val(fm, "payload"), "payload", {});
    if (!payload.ok) { flash(payload.message, false); return; }
    const body = { title: val(fm, "title"), webhookUrl: val(fm, "webhookUrl"), fireAt: localToIso(val(fm, "fireAt")),
      payload: payload.value };
    if (!body.fireAt) delete body.fireAt;
    const cb = val(fm, "callbackUrl").trim();
    if (cb) body.callbackUrl = cb;
    const r = await ctx.run(() => request("POST", url("jobs"), body));
    if (r && r.ok) { fm.elements.namedItem("title").value = ""; reset(); }
  },
  h("h2", { id: "schedule-job-h", text: "Schedule a job" }),
  h("div", { class: "grid" },
    field("Title", input("title", { required: true, maxlength: "200" })),
    field("Webhook URL", input("webhookUrl", { type: "url", required: true, placeholder: "https://example.com/hook" })),
    field("Fire at", fireAt, "Your local time"),
    field("Callback URL (optional)", input("callbackUrl", { type: "url" })),
    field("Payload (JSON object)", textarea("payload", { value: "{}", rows: "3" }))),
  submit("Schedule job"));
  return f;
}
