// Events, deliveries, replay, retry, redrive and config reload (contracts/http-api.md).
#include "core/http/api.h"
#include "core/http/envelope.h"
#include "core/ingest/replay.h"
#include "core/jobs/job_json.h"
#include "core/store/event_store.h"
#include "core/store/project_store.h"
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

std::optional<std::string> scopeOf(const Caller& c) {
  if (c.admin) return std::nullopt;
  return c.projectId;
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
  int64_t total = 0;
  auto evs = store::EventStore(ctx.db, nullptr)
                 .listEvents(scopeOf(*caller), req.queryParam("source"), req.queryParam("type"),
                             *page, &total);
  if (!evs) return errorResponse(evs.status());
  json::Writer w;
  w.beginObject().key("events").beginArray();
  for (const auto& e : evs.value()) {
    w.beginObject();
    w.key("id").string(e.id);
    w.key("source").string(e.source);
    w.key("eventType").string(e.eventType);
    w.key("receivedAt").string(formatIsoUtc(e.receivedAt));
    w.endObject();
  }
  w.endArray();
  writePagination(w, total, page->page, page->limit);
  w.endObject();
  return envelope(200, "Events fetched successfully", w.str());
}

Response getEvent(Request& req, ApiContext& ctx) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  auto ev = store::EventStore(ctx.db, nullptr).getEvent(req.params[0], scopeOf(*caller));
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
  store::EventStore events(ctx.db, nullptr);
  auto ids = ingest::replayEvent(*ctx.routing(), events, req.params[0], scopeOf(*caller));
  if (!ids) return errorResponse(ids.status());
  ctx.notifyDue(0);
  json::Writer w;
  w.beginObject().key("deliveries").beginArray();
  for (const auto& id : ids.value()) w.string(id);
  w.endArray().endObject();
  return envelope(202, "Event replayed", w.str());
}

Response listDeliveries(Request& req, ApiContext& ctx) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  std::optional<model::State> status;
  if (auto s = req.queryParam("status")) {
    status = model::parseState(*s);
    if (!status) {
      return envelope(400,
                      "status must be one of SCHEDULED, FIRING, SUCCESS, FAILED, DEAD, "
                      "CANCELLED");
    }
  }
  auto page = pageParams(req);
  if (!page) return errorResponse(page.status());
  int64_t total = 0;
  auto ds =
      store::EventStore(ctx.db, nullptr)
          .listDeliveries(scopeOf(*caller), status, req.queryParam("destination"), *page, &total);
  if (!ds) return errorResponse(ds.status());
  json::Writer w;
  w.beginObject().key("deliveries").beginArray();
  for (const auto& d : ds.value()) writeDelivery(w, d, false);
  w.endArray();
  writePagination(w, total, page->page, page->limit);
  w.endObject();
  return envelope(200, "Deliveries fetched successfully", w.str());
}

Response getDelivery(Request& req, ApiContext& ctx) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  auto d = store::EventStore(ctx.db, nullptr).getDelivery(req.params[0], scopeOf(*caller));
  if (!d) return errorResponse(d.status());
  json::Writer w;
  writeDelivery(w, *d, true);
  return envelope(200, "Delivery fetched successfully", w.str());
}

Response retry(Request& req, ApiContext& ctx) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  if (auto r = requireJson(req)) return *r;
  auto d = store::EventStore(ctx.db, nullptr).retryDelivery(req.params[0], scopeOf(*caller));
  if (!d) return errorResponse(d.status());
  ctx.notifyDue(0);
  json::Writer w;
  writeDelivery(w, *d, false);
  return envelope(202, "Delivery re-armed", w.str());
}

Response redrive(Request& req, ApiContext& ctx) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  if (auto r = requireJson(req)) return *r;
  std::string projectId = caller->projectId;
  if (caller->admin) {
    auto p = req.queryParam("project");
    if (!p || p->empty()) return envelope(400, "project is required");
    auto row = store::ProjectStore(ctx.db).find(*p);
    if (!row) return errorResponse(row.status());
    projectId = row->id;
  }
  auto n = store::EventStore(ctx.db, nullptr).redrive(projectId, req.params[0]);
  if (!n) return errorResponse(n.status());
  ctx.notifyDue(0);
  json::Writer w;
  w.beginObject().key("rearmed").number(*n).endObject();
  return envelope(202, "Dead deliveries re-armed", w.str());
}

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

void addEventRoutes(Router& router, ApiContext& ctx) {
  router.add("GET", "/api/v1/events", [&ctx](Request& r) { return listEvents(r, ctx); });
  router.add("GET", "/api/v1/events/{id}", [&ctx](Request& r) { return getEvent(r, ctx); });
  router.add("POST", "/api/v1/events/{id}/replay", [&ctx](Request& r) { return replay(r, ctx); });
  router.add("GET", "/api/v1/deliveries", [&ctx](Request& r) { return listDeliveries(r, ctx); });
  router.add("GET", "/api/v1/deliveries/{id}", [&ctx](Request& r) { return getDelivery(r, ctx); });
  router.add("POST", "/api/v1/deliveries/{id}/retry", [&ctx](Request& r) { return retry(r, ctx); });
  router.add("POST", "/api/v1/destinations/{name}/redrive",
             [&ctx](Request& r) { return redrive(r, ctx); });
  router.add("POST", "/api/v1/admin/reload", [&ctx](Request& r) { return reload(r, ctx); });
}

}  // namespace dispatch::http
