// Delivery: one event delivery's fields, its attempt log newest first, and "Retry".

import { url, seg } from "../api.js";
import { h, heading, dl, lamp, time, link } from "../dom.js";
import { attemptsTable } from "./job.js";
import { retryButton } from "./deliveries.js";

export const title = "Delivery";

/** Mounts the page for params[0] (the delivery id); returns {refresh}. */
export function mount(view, ctx, params) {
  const id = params[0];
  const region = h("div", { class: "data" });
  view.append(heading("Delivery", link("#/deliveries", "← Deliveries", { class: "back" })), region);
  const refresh = ctx.watch(region, () => [url("deliveries/" + seg(id))], (d) => h("div", {},
    h("div", { class: "toolbar" }, h("h2", { class: "title", text: d.destination }), lamp(d.status), retryButton(ctx, d)),
    dl([
      ["ID", h("code", { text: d.id })],
      ["Event", link("#/events/" + seg(d.eventId), d.eventId, { class: "mono" })],
      ["Destination", d.destination],
      ["Status", lamp(d.status)],
      ["Attempts", String(d.attempts)],
      ["Next attempt", time(d.nextAttemptAt)],
      ["Error", d.error ? h("span", { class: "error-text", text: d.error }) : null],
      ["Created", time(d.createdAt)],
      ["Updated", time(d.updatedAt)],
    ]),
    h("h2", { text: "Attempts" }),
    attemptsTable(d.logs || [])));
  return { refresh };
}
