// Sources: each slug with the full URL to give a third party (this origin + its path) and
// "Copy URL", its preset, event-type rule, idempotency header and links.

import { url } from "../api.js";
import { h, heading, table, link, button, flash } from "../dom.js";

export const title = "Sources";

function typeRule(t) {
  if (!t) return "preset default";
  if (t.header) return `header ${t.header}`;
  if (t.path) return `body path ${t.path}`;
  return JSON.stringify(t);
}

/** Copies text with the Clipboard API, else selects `el`'s text for Ctrl+C. */
export async function copyText(text, el, what) {
  try {
    if (!navigator.clipboard || !window.isSecureContext) throw new Error("no clipboard");
    await navigator.clipboard.writeText(text);
    flash(`${what} copied`, true);
  } catch {
    const range = document.createRange();
    range.selectNodeContents(el);
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    flash(`${what} selected: press Ctrl+C (⌘C) to copy it`, true);
  }
}

function links(list) {
  if (!list || !list.length) return h("span", { class: "none", text: "no links" });
  return h("ul", { class: "plain" }, list.map((l) => h("li", {},
    "→ ", h("strong", { text: l.destination }),
    l.events && l.events.length ? [" on ", h("code", { text: l.events.join(", ") })] : null,
    l.filtered ? " · filtered" : null,
    l.transform ? [" · transform ", h("code", { text: l.transform.name })] : null)));
}

/** Mounts the page; returns {refresh}. */
export function mount(view, ctx) {
  const region = h("div", { class: "data" });
  view.append(heading("Sources"),
    h("p", { class: "note", text: "Give a sender the URL of its source; it must sign as the source's preset says." }),
    region);
  const render = (list) => table("sources", ["Slug", "URL", "Preset", "Event type", "Idempotency", "Unsigned", "Links", ctx.admin ? "Project" : null]
    .filter(Boolean), list.map((s) => {
    const full = location.origin + s.path;
    const code = h("code", { class: "url", text: full });
    return h("tr", { "data-id": s.slug },
      h("td", {}, link("#/events?source=" + encodeURIComponent(s.slug), s.slug, { title: "Events of " + s.slug })),
      h("td", { class: "url-cell" }, code, " ", button("Copy URL", () => copyText(full, code, "URL"))),
      h("td", { text: s.preset }),
      h("td", { text: typeRule(s.eventType) }),
      h("td", {}, s.idempotencyHeader ? h("code", { text: s.idempotencyHeader }) : "—"),
      h("td", { text: s.allowUnsigned ? "allowed" : "no" }),
      h("td", {}, links(s.links)),
      ctx.admin ? h("td", { text: s.project ? s.project.name : "" }) : null);
  }), "No sources: add one under the project's sources: in the config.");
  const refresh = ctx.watch(region, () => [url("sources", ctx.admin ? { project: ctx.project() } : {})], render);
  return { refresh };
}
