// /api/v1/schedules: create, list, get, update, delete. The rules are ScheduleService's.
#include "core/http/api.h"
#include "core/http/envelope.h"
#include "core/jobs/job_json.h"
#include "core/jobs/job_service.h"
#include "core/jobs/schedule_service.h"

namespace dispatch::http {
namespace {

Response create(Request& req, ApiContext& ctx) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  if (caller->admin) {
    return errorResponse(Status(Code::kInvalid, "Schedules are created with a project API key"));
  }
  if (auto r = requireJson(req)) return *r;
  auto s = ctx.schedules.create(caller->projectId, req.body);
  if (!s) return errorResponse(s.status());
  return envelope(201, "Schedule created successfully", jobs::scheduleJson(*s, false));
}

Response list(Request& req, ApiContext& ctx) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  auto page = intQueryParam(req, "page", 1, 1, 1'000'000);
  if (!page) return errorResponse(page.status());
  auto limit = intQueryParam(req, "limit", 20, 1, 100);
  if (!limit) return errorResponse(limit.status());
  auto res = ctx.schedules.list(caller->scope(), req.queryParam("projectId"), *page, *limit);
  if (!res) return errorResponse(res.status());
  json::Writer w;
  w.beginObject().key("schedules").beginArray();
  for (const auto& s : res->schedules) jobs::writeSchedule(w, s, false);
  w.endArray();
  writePagination(w, res->total, *page, *limit);
  w.endObject();
  return envelope(200, "Schedules fetched successfully", w.str());
}

Response get(Request& req, ApiContext& ctx) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  auto s = ctx.schedules.get(caller->scope(), req.params[0]);
  if (!s) return errorResponse(s.status());
  return envelope(200, "Schedule fetched successfully", jobs::scheduleJson(*s, true));
}

Response update(Request& req, ApiContext& ctx) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  if (auto r = requireJson(req)) return *r;
  auto s = ctx.schedules.update(caller->scope(), req.params[0], req.body);
  if (!s) return errorResponse(s.status());
  return envelope(200, "Schedule updated successfully", jobs::scheduleJson(*s, false));
}

Response remove(Request& req, ApiContext& ctx) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  if (auto r = requireJson(req)) return *r;
  if (Status st = ctx.schedules.remove(caller->scope(), req.params[0]); !st) {
    return errorResponse(st);
  }
  return envelope(200, "Schedule deleted successfully");
}

}  // namespace

void addScheduleRoutes(Router& router, ApiContext& ctx) {
  router.add("POST", "/api/v1/schedules", [&ctx](Request& r) { return create(r, ctx); });
  router.add("GET", "/api/v1/schedules", [&ctx](Request& r) { return list(r, ctx); });
  router.add("GET", "/api/v1/schedules/{id}", [&ctx](Request& r) { return get(r, ctx); });
  router.add("PATCH", "/api/v1/schedules/{id}", [&ctx](Request& r) { return update(r, ctx); });
  router.add("DELETE", "/api/v1/schedules/{id}", [&ctx](Request& r) { return remove(r, ctx); });
}

}  // namespace dispatch::http
