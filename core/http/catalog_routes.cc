// Who is calling and what the config gives them (docs/api.md "Caller, projects and sources"):
// the dashboard's sign-in, its project picker and its Sources page. The scoping is
// CatalogService's.
#include "core/http/api.h"
#include "core/http/envelope.h"
#include "core/util/json.h"

namespace dispatch::http {
namespace {

void writeProject(json::Writer& w, const std::string& id, const std::string& name) {
  w.beginObject();
  w.key("id").string(id);
  w.key("name").string(name);
  w.endObject();
}

Response me(Request& req, ApiContext& ctx) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  json::Writer w;
  w.beginObject();
  w.key("admin").boolean(caller->admin);
  w.key("project");
  if (caller->admin) {
    w.null();
  } else {
    writeProject(w, caller->projectId, caller->projectName);
  }
  w.endObject();
  return envelope(200, "Caller fetched successfully", w.str());
}

Response listProjects(Request& req, ApiContext& ctx) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  json::Writer w;
  w.beginArray();
  for (const auto& p : ctx.catalog.projects(caller->scope())) writeProject(w, p.id, p.name);
  w.endArray();
  return envelope(200, "Projects fetched successfully", w.str());
}

std::optional<std::string> nonEmpty(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
}

void writeSource(json::Writer& w, const ingest::SourceView& s) {
  w.beginObject();
  w.key("slug").string(s.slug);
  w.key("project");
  writeProject(w, s.project.id, s.project.name);
  w.key("path").string("/hooks/" + s.slug);
  w.key("preset").string(s.preset);
  w.key("allowUnsigned").boolean(s.allowUnsigned);
  w.key("eventType");
  if (!s.eventTypeHeader.empty()) {
    w.beginObject().key("header").string(s.eventTypeHeader).endObject();
  } else if (!s.eventTypePath.empty()) {
    w.beginObject().key("path").string(s.eventTypePath).endObject();
  } else {
    w.null();
  }
  w.key("idempotencyHeader").stringOrNull(nonEmpty(s.idempotencyHeader));
  w.key("links").beginArray();
  for (const auto& l : s.links) {
    w.beginObject();
    w.key("destination").string(l.destination);
    w.key("events").beginArray();
    for (const auto& e : l.events) w.string(e);
    w.endArray();
    w.key("filtered").boolean(l.filtered);
    w.key("transform");
    if (l.lua.empty()) {
      w.null();
    } else {
      w.beginObject().key("name").string(l.transformName).key("lua").string(l.lua).endObject();
    }
    w.endObject();
  }
  w.endArray();
  w.endObject();
}

Response listSources(Request& req, ApiContext& ctx) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  auto sources = ctx.catalog.sources(caller->scope(), req.queryParam("project"));
  if (!sources) return errorResponse(sources.status());
  json::Writer w;
  w.beginArray();
  for (const auto& s : *sources) writeSource(w, s);
  w.endArray();
  return envelope(200, "Sources fetched successfully", w.str());
}

}  // namespace

void addCatalogRoutes(Router& router, ApiContext& ctx) {
  router.add("GET", "/api/v1/me", [&ctx](Request& r) { return me(r, ctx); });
  router.add("GET", "/api/v1/projects", [&ctx](Request& r) { return listProjects(r, ctx); });
  router.add("GET", "/api/v1/sources", [&ctx](Request& r) { return listSources(r, ctx); });
}

}  // namespace dispatch::http
