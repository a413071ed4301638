// /api/v1/admin/reload (admin): re-read the config file, as SIGHUP does.
#include "core/http/api.h"
#include "core/http/envelope.h"

namespace dispatch::http {
namespace {

Response reload(Request& req, ApiContext& ctx) {
  auto caller = authenticateAdmin(req, ctx);
  if (!caller) return errorResponse(caller.status());
  if (auto r = requireJson(req)) return *r;
  std::vector<std::string> errors = ctx.reload();
  if (!errors.empty()) {
    std::string msg = "Config refused: ";
    for (size_t i = 0; i < errors.size(); ++i) msg += (i ? "; " : "") + errors[i];
    return envelope(400, msg);
  }
  return envelope(200, "Config reloaded", R"({"reloaded":true})");
}

}  // namespace

void addAdminRoutes(Router& router, ApiContext& ctx) {
  router.add("POST", "/api/v1/admin/reload", [&ctx](Request& r) { return reload(r, ctx); });
}

}  // namespace dispatch::http
