// Destinations: state lamp (healthy / open / half-open / paused), last hour's success rate and
// attempts, pending deliveries, last success, failure and error; "Pause" / "Resume".

import { request, url, seg } from "../api.js";
import { h, heading, table, stateLamp, time, link, button, errorCell } from "../dom.js";
import { projectQuery } from "./deliveries.js";

export const title = "Destinations";

function rate(r) { return r === null || r === undefined ? "—" : `${Number((r * 100).toFixed(1))} %`; }

/** Mounts the page; returns {refresh}. */
export function mount(view, ctx) {
  const region = h("div", { class: "data" });
  view.append(heading("Destinations"),
    h("p", { class: "note", text: ctx.admin ? `Project ${ctx.project() || "(none)"}: pick another in the header.`
      : "Health over the last hour; a paused destination holds its deliveries until it is resumed." }),
    region);
  const act = (d, verb) => (ev) => ctx.run(
    () => request("POST", url("destinations/" + seg(d.name) + "/" + verb, projectQuery(ctx))), { button: ev.currentTarget });
  const render = (list) => {
    if (!list) return h("p", { class: "note", text: "Pick a project." });
    return table("destinations", ["Name", "Type", "State", "Success (1 h)", "Attempts (1 h)", "Pending", "Last success",
      "Last failure", "Last error", "Actions"], list.map((d) => h("tr", { "data-id": d.name },
      h("td", {}, link("#/deliveries?destination=" + encodeURIComponent(d.name), d.name)),
      h("td", { text: d.type }),
      h("td", {}, stateLamp(d.state)),
      h("td", { class: "num", text: rate(d.successRate) }),
      h("td", { class: "num", text: d.attempts }),
      h("td", { class: "num", text: d.pending }),
      h("td", {}, time(d.lastSuccessAt)),
      h("td", {}, time(d.lastFailureAt)),
      errorCell(d.lastError),
      h("td", { class: "actions" }, d.state === "paused" ? button("Resume", act(d, "resume")) : button("Pause", act(d, "pause"))))),
    "This project has no destinations.");
  };
  const refresh = ctx.watch(region, () => (ctx.admin && !ctx.project() ? [] : [url("destinations", projectQuery(ctx))]), render);
  return { refresh };
}
