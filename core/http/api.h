// The REST API's routes and what they share. Handlers translate HTTP ⇄ service calls and
// nothing more: the rules, the tenant scoping and the stores are the services' (core/jobs,
// core/ingest), all built by the composition root (core/app).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/http/request.h"
#include "core/http/router.h"
#include "core/ingest/catalog_service.h"
#include "core/ingest/destination_service.h"
#include "core/ingest/event_service.h"
#include "core/ingest/ingest_service.h"
#include "core/jobs/job_service.h"
#include "core/jobs/key_service.h"
#include "core/jobs/schedule_service.h"
#include "core/model/delivery.h"
#include "core/route/routing.h"
#include "core/util/json.h"
#include "core/util/time.h"

namespace dispatch::http {

class AuthThrottle;

// What the handlers call. Every service outlives the router it is added to.
struct ApiContext {
  jobs::JobService& jobs;
  jobs::KeyService& keys;
  jobs::ScheduleService& schedules;
  ingest::EventService& events;
  ingest::DestinationService& destinations;
  ingest::CatalogService& catalog;
  ingest::IngestService& ingest;
  std::function<std::shared_ptr<const config::Config>()> config;
  // The routing table of the current config snapshot.
  std::function<std::shared_ptr<const route::Routing>()> routing;
  std::function<void(TimeMs)> notifyDue;  // wake the local scheduler
  // Re-reads the config file; returns errors (empty on success).
  std::function<std::vector<std::string>()> reload;
  // Whether the store answers (GET /readyz).
  std::function<bool()> storeReady;
  // Failed-authentication throttle (auth_throttle.h). Null: nothing is throttled.
  AuthThrottle* authThrottle = nullptr;
};

// Who is calling: a project's API key, or the admin token.
struct Caller {
  bool admin = false;
  std::string projectId;  // empty for admin
  std::string projectName;
  // What the services may show this caller: nullopt (every project) for the admin.
  std::optional<std::string> scope() const {
    if (admin) return std::nullopt;
    return projectId;
  }
};

// Resolves credentials from `x-api-key` or `Authorization: Bearer`. kUnauthorized on
// anything missing, malformed, unknown or revoked; kRateLimited (with Retry-After) while the
// caller's address has failed too often (ctx.authThrottle).
Result<Caller> authenticate(const Request& req, ApiContext& ctx);
Result<Caller> authenticateAdmin(const Request& req, ApiContext& ctx);

// 415 unless the request declares a JSON body (empty bodies pass).
std::optional<Response> requireJson(const Request& req);

void addHealthRoutes(Router& router, ApiContext& ctx);
void addKeyRoutes(Router& router, ApiContext& ctx);
void addJobRoutes(Router& router, ApiContext& ctx);
void addScheduleRoutes(Router& router, ApiContext& ctx);
void addHookRoutes(Router& router, ApiContext& ctx);
void addEventRoutes(Router& router, ApiContext& ctx);
void addDestinationRoutes(Router& router, ApiContext& ctx);
void addTransformRoutes(Router& router, ApiContext& ctx);
void addAdminRoutes(Router& router, ApiContext& ctx);
void addCatalogRoutes(Router& router, ApiContext& ctx);
// The dashboard's files at /ui/ (and `/` → /ui/), with their security headers.
void addUiRoutes(Router& router);

// Writes "pagination":{"total","page","limit","totalPages"} into an open object.
void writePagination(json::Writer& w, int64_t total, int page, int limit);

// The `status` query parameter as a delivery state; nullopt when absent; kInvalid naming
// the six states.
Result<std::optional<model::State>> stateQueryParam(const Request& req);

// A whole-number query parameter within [lo, hi]; `dflt` when absent; kInvalid naming it.
Result<int> intQueryParam(const Request& req, const char* name, int dflt, int lo, int hi);

}  // namespace dispatch::http
