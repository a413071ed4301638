// Events: newest first, filtered by source and type, in pages; each links to its event page.

import { request, url, seg } from "../api.js";
import { h, heading, field, table, time, link, pager, uid } from "../dom.js";
import { form, input, submit, val } from "../forms.js";

export const title = "Events";

/** Mounts the page; returns {refresh}. */
export function mount(view, ctx, params, query) {
  const st = { source: query.get("source") || "", type: query.get("type") || "", page: 1 };
  const region = h("div", { class: "data" });
  const go = (p) => { st.page = p; refresh(true); };
  const listId = uid("sources");
  const sources = h("datalist", { id: listId });
  const filters = form({ class: "toolbar filters", role: "search", "aria-label": "Filter events" }, async (f) => {
    st.source = val(f, "source").trim();
    st.type = val(f, "type");
    st.page = 1;
    await refresh(true);
  },
  field("Source", input("source", { value: st.source, list: listId, placeholder: "any" })),
  field("Type", input("type", { value: st.type, placeholder: "any" })),
  sources,
  submit("Filter"));
  const render = (data) => h("div", {},
    table("events", ["Received", "Source", "Type", "Event"], data.events.map((e) => h("tr", { "data-id": e.id },
      h("td", {}, link("#/events/" + seg(e.id), time(e.receivedAt))),
      h("td", { class: "nowrap", text: e.source }),
      h("td", {}, e.eventType ? h("code", { text: e.eventType }) : h("span", { class: "none", text: "(none)" })),
      h("td", {}, h("span", { class: "mono", title: e.id, text: "…" + e.id.slice(-12) }))))),
    pager(data.pagination, go));
  view.append(heading("Events"), filters, region);
  fillSources(ctx, sources);
  // An empty type box means "any type" here; the API's `type=` (events without a type) is not offered.
  const refresh = ctx.watch(region, () => [url("events", { source: st.source, type: st.type, page: st.page, limit: 20 })], render);
  return { refresh };
}

/** Fills a <datalist> with the caller's source slugs (once; a missing endpoint leaves it empty). */
export async function fillSources(ctx, list) {
  const r = await request("GET", url("sources"));
  if (!r.ok || !Array.isArray(r.data)) return;
  const slugs = [...new Set(r.data.map((s) => s.slug))];
  list.replaceChildren(...slugs.map((s) => h("option", { value: s })));
}
