// POST /hooks/{slug}: the source endpoints. The handler only translates HTTP; the rules
// are in core/ingest.
#include "core/http/api.h"
#include "core/http/envelope.h"
#include "core/ingest/ingest_service.h"
#include "core/util/json.h"

namespace dispatch::http {
namespace {

route::Headers queryPairs(const Request& req) {
  route::Headers out;
  std::string_view q = req.query;
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view part = q.substr(0, amp);
    size_t eq = part.find('=');
    std::string key(part.substr(0, eq));
    if (!key.empty()) {
      auto v = req.queryParam(key);
      out.emplace_back(key, v.value_or(""));
    }
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

Response hook(Request& req, ApiContext& ctx) {
  auto routing = ctx.routing();
  store::EventStore events(ctx.db, ctx.committer);
  store::KeyStore keys(ctx.db);
  ingest::IngestService svc(events, keys, ctx.clock);
  ingest::HookRequest hr;
  hr.slug = req.params[0];
  hr.header = [&req](std::string_view n) { return req.header(n); };
  hr.headers = req.headers;
  hr.query = queryPairs(req);
  hr.body = std::move(req.body);
  auto res = svc.accept(*routing, hr);
  if (!res) return errorResponse(res.status());
  json::Writer w;
  w.beginObject().key("event_id").string(res->eventId).endObject();
  if (res->duplicate) return envelope(200, "Duplicate event", w.str());
  ctx.notifyDue(0);
  return envelope(202, "Event accepted", w.str());
}

}  // namespace

void addHookRoutes(Router& router, ApiContext& ctx) {
  router.add("POST", "/hooks/{slug}", [&ctx](Request& r) { return hook(r, ctx); });
}

}  // namespace dispatch::http
