// Deliveries: newest first, filtered by status and destination, "Retry" on a DEAD or FAILED
// one, and a "Redrive" per destination (re-arms all its DEAD deliveries).

import { request, url, seg } from "../api.js";
import { h, heading, field, select, table, lamp, stateLamp, time, link, button, pager, uid, errorCell } from "../dom.js";
import { form, input, submit, val } from "../forms.js";
import { STATUSES } from "./jobs.js";

export const title = "Deliveries";

/** The "Retry" button of a DEAD or FAILED delivery that had an attempt, else null. */
export function retryButton(ctx, d) {
  if ((d.status !== "DEAD" && d.status !== "FAILED") || d.attempts === 0) return null;
  return button("Retry", (ev) => ctx.run(() => request("POST", url("deliveries/" + seg(d.id) + "/retry")),
    { button: ev.currentTarget }));
}

/** The query naming the project where an endpoint needs one (admin only). */
export function projectQuery(ctx) { return ctx.admin ? { project: ctx.project() } : {}; }

/** Mounts the page; returns {refresh}. */
export function mount(view, ctx, params, query) {
  const st = { status: STATUSES.includes(query.get("status")) ? query.get("status") : "",
    destination: query.get("destination") || "", page: 1 };
  const region = h("div", { class: "data" });
  const redriveRegion = h("div", { class: "data" });
  const go = (p) => { st.page = p; refresh1(true); };
  const listId = uid("destinations");
  const names = h("datalist", { id: listId });
  const status = select({ name: "status" }, [["", "All"], ...STATUSES.filter((s) => s !== "CANCELLED").map((s) => [s, s])], st.status);
  const filters = form({ class: "toolbar filters", role: "search", "aria-label": "Filter deliveries" }, async (f) => {
    st.status = val(f, "status");
    st.destination = val(f, "destination").trim();
    st.page = 1;
    await refresh1(true);
  },
  field("Status", status),
  field("Destination", input("destination", { value: st.destination, list: listId, placeholder: "any" })),
  names,
  submit("Filter"));
  status.addEventListener("change", () => filters.requestSubmit());

  const render = (data) => h("div", {},
    table("deliveries", ["Created", "Delivery", "Event", "Destination", "Status", "Attempts", "Next attempt", "Error", "Actions"],
      data.deliveries.map((d) => h("tr", { "data-id": d.id },
        h("td", {}, time(d.createdAt)),
        h("td", {}, link("#/deliveries/" + seg(d.id), "…" + d.id.slice(-12), { class: "mono", title: d.id })),
        h("td", {}, link("#/events/" + seg(d.eventId), "…" + d.eventId.slice(-12), { class: "mono", title: d.eventId })),
        h("td", { class: "nowrap", text: d.destination }),
        h("td", {}, lamp(d.status)),
        h("td", { class: "num", text: d.attempts }),
        h("td", {}, time(d.nextAttemptAt)),
        errorCell(d.error),
        h("td", { class: "actions" }, retryButton(ctx, d))))),
    pager(data.pagination, go));

  const renderRedrive = (list) => {
    names.replaceChildren(...(list || []).map((d) => h("option", { value: d.name })));
    return table("redrive", ["Destination", "State", "Pending", "Actions"], (list || []).map((d) => h("tr", { "data-id": d.name },
      h("td", { text: d.name }),
      h("td", {}, stateLamp(d.state)),
      h("td", { class: "num", text: d.pending }),
      h("td", { class: "actions" }, button("Redrive", (ev) => ctx.run(
        () => request("POST", url("destinations/" + seg(d.name) + "/redrive", projectQuery(ctx))),
        { confirm: `Redrive "${d.name}"? Every DEAD delivery to it is sent again.`, button: ev.currentTarget }))))),
    "This project has no destinations.");
  };

  view.append(heading("Deliveries"), filters, region,
    h("h2", { text: "Redrive a destination" }),
    h("p", { class: "note", text: ctx.admin ? `Destinations of project ${ctx.project() || "(none)"}: re-arm every DEAD delivery.`
      : "Re-arm every DEAD delivery of a destination." }),
    redriveRegion);
  const refresh1 = ctx.watch(region, () => [url("deliveries", { status: st.status, destination: st.destination, page: st.page, limit: 20 })], render);
  const refresh2 = ctx.watch(redriveRegion, () => (ctx.admin && !ctx.project() ? [] : [url("destinations", projectQuery(ctx))]),
    (list) => (list ? renderRedrive(list) : h("p", { class: "note", text: "Pick a project." })));
  return { refresh: (force) => Promise.all([refresh1(force), refresh2(force)]) };
}
