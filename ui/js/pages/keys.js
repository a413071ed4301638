// Keys (admin token): the API keys of the project picked in #project, "Create key" (the key
// shown once in #new-key, gone when the page is left) and "Revoke".

import { request, url, seg } from "../api.js";
import { h, heading, field, table, time, button } from "../dom.js";
import { form, input, submit, val } from "../forms.js";
import { copyText } from "./sources.js";

export const title = "Keys";

/** Mounts the page; returns {refresh}. */
export function mount(view, ctx) {
  const project = ctx.project();
  const region = h("div", { class: "data" });
  const created = h("div", { class: "new-key-box", hidden: true, role: "region", "aria-label": "New key" });
  const base = "projects/" + seg(project) + "/keys";
  const f = form({ class: "card inline", "aria-label": "Create a key" }, async (fm) => {
    const r = await ctx.run(() => request("POST", url(base), { label: val(fm, "label") }));
    if (!r || !r.ok) return;
    fm.elements.namedItem("label").value = "";
    const code = h("code", { id: "new-key", text: r.data.key });
    created.replaceChildren(
      h("p", {}, "New key ", h("strong", { text: r.data.label || "(no label)" }), ` for project ${project}. Copy it now: it is not shown again.`),
      h("div", { class: "key-line" }, code, " ", button("Copy key", () => copyText(r.data.key, code, "Key"))));
    created.hidden = false;
  },
  field("Label", input("label", { maxlength: "200", placeholder: "e.g. ci" })),
  submit("Create key"));

  const render = (list) => table("keys", ["Label", "Key", "Created", "Last used", "Revoked", "Actions"],
    [...list].reverse().map((k) => h("tr", { "data-id": k.id, class: k.revokedAt ? "revoked" : null },
      h("td", { text: k.label || "(no label)" }),
      h("td", {}, h("code", { text: "sk_…" + k.last4 })),
      h("td", {}, time(k.createdAt)),
      h("td", {}, time(k.lastUsedAt)),
      h("td", {}, time(k.revokedAt)),
      h("td", { class: "actions" }, k.revokedAt ? null : button("Revoke", (ev) => ctx.run(
        () => request("DELETE", url(base + "/" + seg(k.id))),
        { confirm: `Revoke the key "${k.label || k.last4}"? Requests with it are refused from now on.`, button: ev.currentTarget }),
      { class: "danger" })))),
    "No keys yet.");

  if (!project) {
    view.append(heading("Keys"), h("p", { class: "note", text: "No project is configured." }));
    return { refresh: async () => {} };
  }
  view.append(heading("Keys"), h("p", { class: "note", text: `API keys of project ${project}: pick another in the header.` }),
    f, created, region);
  const refresh = ctx.watch(region, () => [url(base)], render);
  return { refresh };
}
