// The REST API's routes and what they share. Handlers translate HTTP ⇄ domain calls; the
// rules live in core/jobs and the stores.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/config/config.h"
#include "core/http/request.h"
#include "core/http/router.h"
#include "core/store/db.h"
#include "core/store/group_commit.h"
#include "core/util/time.h"

namespace dispatch::delivery {
class Engine;
}

namespace dispatch::http {

struct ApiContext {
  store::Db& db;
  std::function<std::shared_ptr<const config::Config>()> config;
  std::function<void(TimeMs)> notifyDue;  // wake the local scheduler
  const Clock& clock;
  // Re-reads the config file; returns errors (empty on success).
  std::function<std::vector<std::string>()> reload;
  // Group commit for the write-heavy endpoints (job creation, ingest). May be null.
  store::GroupCommitter* committer = nullptr;
};

// Who is calling: a project's API key, or the admin token.
struct Caller {
  bool admin = false;
  std::string projectId;  // empty for admin
  std::string projectName;
};

// Resolves credentials from `x-api-key` or `Authorization: Bearer`. kUnauthorized on
// anything missing, malformed, unknown or revoked.
Result<Caller> authenticate(const Request& req, ApiContext& ctx);
Result<Caller> authenticateAdmin(const Request& req, ApiContext& ctx);

// 415 unless the request declares a JSON body (empty bodies pass).
std::optional<Response> requireJson(const Request& req);

void addHealthRoutes(Router& router, ApiContext& ctx);
void addKeyRoutes(Router& router, ApiContext& ctx);
void addJobRoutes(Router& router, ApiContext& ctx);

}  // namespace dispatch::http
