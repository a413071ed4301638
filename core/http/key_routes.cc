// /api/v1/projects/{project}/keys (admin): create, list, revoke. The rules are KeyService's.
#include "core/http/api.h"
#include "core/http/envelope.h"
#include "core/jobs/key_service.h"
#include "core/util/json.h"

namespace dispatch::http {
namespace {

void writeKey(json::Writer& w, const store::ApiKeyRow& k, const std::string* plain) {
  w.beginObject();
  w.key("id").string(k.id);
  w.key("label").string(k.label);
  if (plain) w.key("key").string(*plain);
  w.key("last4").string(k.last4);
  w.key("createdAt").string(formatIsoUtc(k.createdAt));
  if (!plain) {
    w.key("lastUsedAt")
        .stringOrNull(k.lastUsedAt ? std::optional(formatIsoUtc(*k.lastUsedAt)) : std::nullopt);
    w.key("revokedAt")
        .stringOrNull(k.revokedAt ? std::optional(formatIsoUtc(*k.revokedAt)) : std::nullopt);
  }
  w.endObject();
}

// Authenticates the admin and resolves {project}; an error response otherwise.
std::optional<Response> adminAndProject(Request& req, ApiContext& ctx, store::ProjectRow* out) {
  auto caller = authenticateAdmin(req, ctx);
  if (!caller) return errorResponse(caller.status());
  auto p = ctx.keys.project(req.params[0]);
  if (!p) return errorResponse(p.status());
  *out = *p;
  return std::nullopt;
}

Response create(Request& req, ApiContext& ctx) {
  store::ProjectRow project;
  if (auto r = adminAndProject(req, ctx, &project)) return *r;
  if (auto r = requireJson(req)) return *r;
  std::string label;
  if (!req.body.empty()) {
    auto doc = json::parse(req.body);
    if (!doc) return envelope(400, "Request body is not valid JSON");
    if (!doc->isObject()) return envelope(400, "Request body must be a JSON object");
    if (const json::Value* l = doc->find("label"); l && !l->isNull()) {
      if (!l->isString()) return envelope(400, "label must be a string");
      label = l->asString();
    }
  }
  auto created = ctx.keys.create(project.id, label);
  if (!created) return errorResponse(created.status());
  json::Writer w;
  writeKey(w, created->row, &created->key);
  return envelope(201, "API key created", w.str());
}

Response list(Request& req, ApiContext& ctx) {
  store::ProjectRow project;
  if (auto r = adminAndProject(req, ctx, &project)) return *r;
  auto keys = ctx.keys.list(project.id);
  if (!keys) return errorResponse(keys.status());
  json::Writer w;
  w.beginArray();
  for (const auto& k : keys.value()) writeKey(w, k, nullptr);
  w.endArray();
  return envelope(200, "API keys fetched successfully", w.str());
}

Response revoke(Request& req, ApiContext& ctx) {
  store::ProjectRow project;
  if (auto r = adminAndProject(req, ctx, &project)) return *r;
  Status st = ctx.keys.revoke(project.id, req.params[1]);
  if (!st) return errorResponse(st);
  return envelope(200, "API key revoked");
}

}  // namespace

void addKeyRoutes(Router& router, ApiContext& ctx) {
  router.add("POST", "/api/v1/projects/{project}/keys",
             [&ctx](Request& r) { return create(r, ctx); });
  router.add("GET", "/api/v1/projects/{project}/keys", [&ctx](Request& r) { return list(r, ctx); });
  router.add("DELETE", "/api/v1/projects/{project}/keys/{id}",
             [&ctx](Request& r) { return revoke(r, ctx); });
}

}  // namespace dispatch::http
