// Job: every field of one job, "Cancel" while it is SCHEDULED, and its attempt log newest first.

import { url, seg } from "../api.js";
import { h, heading, dl, table, lamp, time, link, pre, json, orDash, errorCell } from "../dom.js";
import { cancelButton } from "./jobs.js";

export const title = "Job";

/** Mounts the page for params[0] (the job id); returns {refresh}. */
export function mount(view, ctx, params) {
  const id = params[0];
  const region = h("div", { class: "data" });
  view.append(heading("Job", link("#/jobs", "← Jobs", { class: "back" })), region);
  const refresh = ctx.watch(region, () => [url("jobs/" + seg(id))], (j) => render(ctx, j));
  return { refresh };
}

function render(ctx, j) {
  const headers = j.headers ? Object.entries(j.headers) : null;
  return h("div", {},
    h("div", { class: "toolbar" }, h("h2", { class: "title", text: j.title }), lamp(j.status),
      j.status === "SCHEDULED" ? cancelButton(ctx, j) : null),
    dl([
      ["ID", h("code", { text: j.id })],
      ["Project", j.project ? j.project.name : ctx.projectName(j.projectId)],
      ["Webhook URL", h("code", { class: "wrap", text: j.webhookUrl })],
      ["Fire at", time(j.fireAt)],
      ["Failures", String(j.retryCount)],
      ["Callback URL", j.callbackUrl ? h("code", { class: "wrap", text: j.callbackUrl }) : null],
      ["Headers", headers && headers.length ? h("ul", { class: "plain" },
        headers.map(([k, v]) => h("li", {}, h("code", { text: `${k}: ${v}` })))) : null],
      ["Redact response", j.redactResponse ? "yes" : "no"],
      ["Retention", j.retention || null],
      ["Schedule", j.scheduleId ? h("code", { text: j.scheduleId }) : undefined],
      ["Created", time(j.createdAt)],
      ["Updated", time(j.updatedAt)],
    ]),
    h("h2", { text: "Payload" }),
    pre(json(j.payload), "payload"),
    h("h2", { text: "Attempts" }),
    attemptsTable(j.logs || []));
}

/** The attempt log as table.attempts, newest first. */
export function attemptsTable(logs) {
  const rows = [...logs].sort((a, b) => b.attempt - a.attempt).map((a) => h("tr", { "data-id": a.id },
    h("td", { class: "num", text: a.attempt }),
    h("td", {}, lamp(a.status)),
    h("td", { class: "num", text: orDash(a.responseCode) }),
    h("td", { class: "num", text: `${a.durationMs} ms` }),
    h("td", {}, a.responseBody === null || a.responseBody === undefined ? h("span", { class: "none", text: "—" })
      : pre(a.responseBody, "cell")),
    errorCell(a.error),
    h("td", {}, time(a.firedAt))));
  return table("attempts", ["Attempt", "Status", "Code", "Duration", "Response body", "Error", "Fired at"], rows,
    "No attempt yet.");
}
