// The REST API's routes and what they share. Handlers translate HTTP ⇄ domain calls; the
// rules live in core/jobs and the stores.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/config/config.h"
#include "core/delivery/handoff.h"
#include "core/http/request.h"
#include "core/http/router.h"
#include "core/route/routing.h"
#include "core/store/db.h"
#include "core/store/group_commit.h"
#include "core/util/json.h"
#include "core/util/time.h"

namespace dispatch::delivery {
class Engine;
}

namespace dispatch::http {

class AuthThrottle;

struct ApiContext {
  store::Db& db;
  std::function<std::shared_ptr<const config::Config>()> config;
  std::function<void(TimeMs)> notifyDue;  // wake the local scheduler
  const Clock& clock;
  // Re-reads the config file; returns errors (empty on success).
  std::function<std::vector<std::string>()> reload;
  // Group commit for the write-heavy endpoints (job creation, ingest). May be null.
  store::GroupCommitter* committer = nullptr;
  // The routing table of the current config snapshot.
  std::function<std::shared_ptr<const route::Routing>()> routing;
  // This node's engine, for work handed over at creation (delivery/handoff.h). May be null.
  delivery::Handoff* handoff = nullptr;
  // Failed-authentication throttle (auth_throttle.h). Null: nothing is throttled.
  AuthThrottle* authThrottle = nullptr;
};

// Who is calling: a project's API key, or the admin token.
struct Caller {
  bool admin = false;
  std::string projectId;  // empty for admin
  std::string projectName;
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
void addHookRoutes(Router& router, ApiContext& ctx);
void addEventRoutes(Router& router, ApiContext& ctx);

// Writes "pagination":{"total","page","limit","totalPages"} into an open object.
void writePagination(json::Writer& w, int64_t total, int page, int limit);

// A whole-number query parameter within [lo, hi]; `dflt` when absent; kInvalid naming it.
Result<int> intQueryParam(const Request& req, const char* name, int dflt, int lo, int hi);

}  // namespace dispatch::http
