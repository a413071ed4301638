// Destinations: health, pause and resume (contracts/http-api.md "Destinations: health,
// pause, circuit breaker"). The rules and the scoping are DestinationService's. Redrive,
// which acts on deliveries, is with the delivery routes (event_routes.cc).
#include <cstdio>

#include "core/http/api.h"
#include "core/http/envelope.h"
#include "core/util/json.h"

namespace dispatch::http {
namespace {

std::optional<std::string> isoOrNull(const std::optional<TimeMs>& t) {
  if (!t) return std::nullopt;
  return formatIsoUtc(*t);
}

// No URL, secret or header value: a destination's config stays with its operator.
void writeDestination(json::Writer& w, const ingest::DestinationView& d) {
  const model::DestinationHealth& h = d.health;
  w.beginObject();
  w.key("name").string(d.name);
  w.key("type").string(d.type);
  w.key("state").string(model::stateName(h.gate));
  w.key("successRate");
  if (h.attempts > 0) {
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.4g",
                  static_cast<double>(h.successes) / static_cast<double>(h.attempts));
    w.raw(rate);
  } else {
    w.null();
  }
  w.key("attempts").number(h.attempts);
  w.key("lastSuccessAt").stringOrNull(isoOrNull(h.lastSuccessAt));
  w.key("lastFailureAt").stringOrNull(isoOrNull(h.lastFailureAt));
  w.key("lastError").stringOrNull(h.lastError);
  w.key("pending").number(h.pending);
  w.endObject();
}

Response listDestinations(Request& req, ApiContext& ctx) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  auto list = ctx.destinations.list(caller->scope(), req.queryParam("project"));
  if (!list) return errorResponse(list.status());
  json::Writer w;
  w.beginArray();
  for (const auto& d : *list) writeDestination(w, d);
  w.endArray();
  return envelope(200, "Destinations fetched successfully", w.str());
}

Response pauseOrResume(Request& req, ApiContext& ctx, bool pause) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  if (auto r = requireJson(req)) return *r;
  const std::optional<std::string> project = req.queryParam("project");
  auto d = pause ? ctx.destinations.pause(caller->scope(), project, req.params[0])
                 : ctx.destinations.resume(caller->scope(), project, req.params[0]);
  if (!d) return errorResponse(d.status());
  json::Writer w;
  writeDestination(w, *d);
  return envelope(200, pause ? "Destination paused" : "Destination resumed", w.str());
}

}  // namespace

void addDestinationRoutes(Router& router, ApiContext& ctx) {
  router.add("GET", "/api/v1/destinations",
             [&ctx](Request& r) { return listDestinations(r, ctx); });
  router.add("POST", "/api/v1/destinations/{name}/pause",
             [&ctx](Request& r) { return pauseOrResume(r, ctx, true); });
  router.add("POST", "/api/v1/destinations/{name}/resume",
             [&ctx](Request& r) { return pauseOrResume(r, ctx, false); });
}

}  // namespace dispatch::http
