// Events, deliveries, replay, retry and redrive (contracts/http-api.md). The rules and the
// scoping are EventService's.
#include "core/http/api.h"
#include "core/http/envelope.h"
#include "core/ingest/event_service.h"
#include "core/jobs/job_json.h"
#include "core/util/crypto.h"
#include "core/util/json.h"

namespace dispatch::http {
namespace {

Result<store::Page> pageParams(const Request& req) {
  store::Page p;
  auto page = intQueryParam(req, "page", 1, 1, 1'000'000);
  if (!page) return page.status();
  auto limit = intQueryParam(req, "limit", 20, 1, 100);
  if (!limit) return limit.status();
  p.page = *page;
  p.limit = *limit;
  return p;
}

void writeDelivery(json::Writer& w, const store::DeliveryView& d, bool withLogs) {
  w.beginObject();
  w.key("id").string(d.id);
  w.key("eventId").stringOrNull(d.eventId);
  w.key("destination").string(d.destination);
  w.key("status").string(model::toString(d.status));
  w.key("attempts").number(static_cast<int64_t>(d.attempts));
  w.key("nextAttemptAt")
      .stringOrNull(d.nextAttemptAt ? std::optional(formatIsoUtc(*d.nextAttemptAt)) : std::nullopt);
  w.key("error").stringOrNull(d.error);
  w.key("createdAt").string(formatIsoUtc(d.createdAt));
  w.key("updatedAt").string(formatIsoUtc(d.updatedAt));
  if (withLogs) {
    w.key("logs");
    jobs::writeAttempts(w, d.logs);
  }
  w.endObject();
}

Response listEvents(Request& req, ApiContext& ctx) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  auto page = pageParams(req);
  if (!page) return errorResponse(page.status());
  auto evs = ctx.events.listEvents(caller->scope(), req.queryParam("source"),
                                   req.queryParam("type"), *page);
  if (!evs) return errorResponse(evs.status());
  json::Writer w;
  w.beginObject().key("events").beginArray();
  for (const auto& e : evs->items) {
    w.beginObject();
    w.key("id").string(e.id);
    w.key("source").string(e.source);
    w.key("eventType").string(e.eventType);
    w.key("receivedAt").string(formatIsoUtc(e.receivedAt));
    w.endObject();
  }
  w.endArray();
  writePagination(w, evs->total, page->page, page->limit);
  w.endObject();
  return envelope(200, "Events fetched successfully", w.str());
}

Response getEvent(Request& req, ApiContext& ctx) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  auto ev = ctx.events.getEvent(caller->scope(), req.params[0]);
  if (!ev) return errorResponse(ev.status());
  json::Writer w;
  w.beginObject();
  w.key("id").string(ev->id);
  w.key("source").string(ev->source);
  w.key("eventType").string(ev->eventType);
  w.key("headers").raw(ev->headersJson);
  if (json::isValidUtf8(ev->body) && ev->body.find('\0') == std::string::npos) {
    w.key("body").string(ev->body);
  } else {
    w.key("body").string(crypto::base64Encode(ev->body));
    w.key("bodyEncoding").string("base64");
  }
  w.key("receivedAt").string(formatIsoUtc(ev->receivedAt));
  w.key("deliveries").beginArray();
  for (const auto& d : ev->deliveries) writeDelivery(w, d, true);
  w.endArray();
  w.key("skipped").beginArray();
  for (const auto& s : ev->skips) {
    w.beginObject().key("destination").string(s.destination).key("reason").string(s.reason);
    w.endObject();
  }
  w.endArray();
  w.endObject();
  return envelope(200, "Event fetched successfully", w.str());
}

Response replay(Request& req, ApiContext& ctx) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  if (auto r = requireJson(req)) return *r;
  auto ids = ctx.events.replay(caller->scope(), req.params[0]);
  if (!ids) return errorResponse(ids.status());
  json::Writer w;
  w.beginObject().key("deliveries").beginArray();
  for (const auto& id : ids.value()) w.string(id);
  w.endArray().endObject();
  return envelope(202, "Event replayed", w.str());
}

Response listDeliveries(Request& req, ApiContext& ctx) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  auto status = stateQueryParam(req);
  if (!status) return errorResponse(status.status());
  auto page = pageParams(req);
  if (!page) return errorResponse(page.status());
  auto ds =
      ctx.events.listDeliveries(caller->scope(), *status, req.queryParam("destination"), *page);
  if (!ds) return errorResponse(ds.status());
  json::Writer w;
  w.beginObject().key("deliveries").beginArray();
  for (const auto& d : ds->items) writeDelivery(w, d, false);
  w.endArray();
  writePagination(w, ds->total, page->page, page->limit);
  w.endObject();
  return envelope(200, "Deliveries fetched successfully", w.str());
}

Response getDelivery(Request& req, ApiContext& ctx) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  auto d = ctx.events.getDelivery(caller->scope(), req.params[0]);
  if (!d) return errorResponse(d.status());
  json::Writer w;
  writeDelivery(w, *d, true);
  return envelope(200, "Delivery fetched successfully", w.str());
}

Response retry(Request& req, ApiContext& ctx) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  if (auto r = requireJson(req)) return *r;
  auto d = ctx.events.retry(caller->scope(), req.params[0]);
  if (!d) return errorResponse(d.status());
  json::Writer w;
  writeDelivery(w, *d, false);
  return envelope(202, "Delivery re-armed", w.str());
}

Response redrive(Request& req, ApiContext& ctx) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  if (auto r = requireJson(req)) return *r;
  auto n = ctx.events.redrive(caller->scope(), req.queryParam("project"), req.params[0]);
  if (!n) return errorResponse(n.status());
  json::Writer w;
  w.beginObject().key("rearmed").number(*n).endObject();
  return envelope(202, "Dead deliveries re-armed", w.str());
}

}  // namespace

void addEventRoutes(Router& router, ApiContext& ctx) {
  router.add("GET", "/api/v1/events", [&ctx](Request& r) { return listEvents(r, ctx); });
  router.add("GET", "/api/v1/events/{id}", [&ctx](Request& r) { return getEvent(r, ctx); });
  router.add("POST", "/api/v1/events/{id}/replay", [&ctx](Request& r) { return replay(r, ctx); });
  router.add("GET", "/api/v1/deliveries", [&ctx](Request& r) { return listDeliveries(r, ctx); });
  router.add("GET", "/api/v1/deliveries/{id}", [&ctx](Request& r) { return getDelivery(r, ctx); });
  router.add("POST", "/api/v1/deliveries/{id}/retry", [&ctx](Request& r) { return retry(r, ctx); });
  router.add("POST", "/api/v1/destinations/{name}/redrive",
             [&ctx](Request& r) { return redrive(r, ctx); });
}

}  // namespace dispatch::http
