// POST /hooks/{slug}: the source endpoints. The handler only translates HTTP; the rules
// are in core/ingest.
#include <chrono>

#include "core/http/api.h"
#include "core/http/envelope.h"
#include "core/ingest/ingest_service.h"
#include "core/util/json.h"
#include "core/util/metrics.h"

namespace dispatch::http {
namespace {

// Answers after the group commit without holding a worker thread while it waits.
void hook(Request& req, ApiContext& ctx, Reply reply) {
  auto routing = ctx.routing();
  ingest::HookRequest hr;
  hr.slug = req.params[0];
  hr.header = [&req](std::string_view n) { return req.header(n); };
  hr.headers = req.headers;
  // Repeated query parameters: the first value wins (as transforms see them).
  for (auto& [k, v] : req.queryParams()) {
    bool seen = false;
    for (const auto& [hk, hv] : hr.query) seen = seen || hk == k;
    if (!seen) hr.query.emplace_back(std::move(k), std::move(v));
  }
  hr.body = std::move(req.body);
  auto t0 = std::chrono::steady_clock::now();
  // `routing` rides along so the snapshot the plan came from outlives the commit.
  ctx.ingest.acceptAsync(
      *routing, hr, [&ctx, t0, routing, reply = std::move(reply)](Result<ingest::HookResult> res) {
        auto& m = metrics::global();
        m.ingestLatency.observeMs(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now() - t0)
                                      .count());
        if (!res) {
          m.ingestRejected.inc();
          return reply(errorResponse(res.status()));
        }
        (res->duplicate ? m.ingestDuplicate : m.ingestAccepted).inc();
        json::Writer w;
        w.beginObject().key("event_id").string(res->eventId).endObject();
        if (res->duplicate) return reply(envelope(200, "Duplicate event", w.str()));
        if (res->wakeScheduler) ctx.notifyDue(0);
        reply(envelope(202, "Event accepted", w.str()));
      });
}

}  // namespace

void addHookRoutes(Router& router, ApiContext& ctx) {
  router.addAsync("POST", "/hooks/{slug}",
                  [&ctx](Request& r, Reply reply) { hook(r, ctx, std::move(reply)); });
}

}  // namespace dispatch::http
