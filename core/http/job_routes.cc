// /api/v1/jobs: schedule, list, get, cancel.
#include "core/http/api.h"
#include "core/http/envelope.h"
#include "core/jobs/job_json.h"
#include "core/jobs/job_service.h"
#include "core/util/metrics.h"
#include "core/util/uuid.h"

namespace dispatch::http {
namespace {

// Answers after the group commit without holding a worker thread while it waits.
void schedule(Request& req, ApiContext& ctx, Reply reply) {
  auto caller = authenticate(req, ctx);
  if (!caller) return reply(errorResponse(caller.status()));
  if (caller->admin) return reply(envelope(400, "Jobs are created with a project API key"));
  if (auto r = requireJson(req)) return reply(std::move(*r));
  auto cfg = ctx.config();
  jobs::JobService svc(ctx.db, *cfg, ctx.clock, ctx.committer);
  svc.scheduleAsync(
      caller->projectId, req.body, req.header("Idempotency-Key"),
      [&ctx, reply = std::move(reply)](Result<jobs::ScheduleResult> res) {
        if (!res) return reply(errorResponse(res.status()));
        if (!res->created) {
          return reply(envelope(200, "Job already exists", jobs::jobJson(res->job, false, false)));
        }
        ctx.notifyDue(res->job.fireAt);
        metrics::global().jobsCreated.inc();
        reply(envelope(201, "Job scheduled successfully", jobs::jobJson(res->job, false, false)));
      });
}

Response list(Request& req, ApiContext& ctx) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  model::JobFilter f;
  if (auto s = req.queryParam("status")) {
    auto st = model::parseState(*s);
    if (!st) {
      return envelope(400,
                      "status must be one of SCHEDULED, FIRING, SUCCESS, FAILED, DEAD, "
                      "CANCELLED");
    }
    f.status = st;
  }
  auto page = intQueryParam(req, "page", 1, 1, 1'000'000);
  if (!page) return errorResponse(page.status());
  auto limit = intQueryParam(req, "limit", 20, 1, 100);
  if (!limit) return errorResponse(limit.status());
  f.page = *page;
  f.limit = *limit;
  auto pid = req.queryParam("projectId");
  if (caller->admin) {
    if (pid) {
      if (!isUuid(*pid)) return envelope(400, "projectId must be a UUID");
      f.projectId = *pid;
    }
  } else {
    // A key sees its own project only; asking for another one shows nothing.
    if (pid && *pid != caller->projectId) {
      if (!isUuid(*pid)) return envelope(400, "projectId must be a UUID");
      f.projectId = "00000000-0000-0000-0000-000000000000";
    } else {
      f.projectId = caller->projectId;
    }
  }
  auto cfg = ctx.config();
  auto res = store::JobStore(ctx.db).list(f);
  if (!res) return errorResponse(res.status());
  json::Writer w;
  w.beginObject().key("jobs").beginArray();
  for (const auto& j : res->jobs) jobs::writeJob(w, j, true, false);
  w.endArray();
  writePagination(w, res->total, f.page, f.limit);
  w.endObject();
  return envelope(200, "Jobs fetched successfully", w.str());
}

Response get(Request& req, ApiContext& ctx) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  std::optional<std::string> scope;
  if (!caller->admin) scope = caller->projectId;
  auto job = store::JobStore(ctx.db).get(req.params[0], scope);
  if (!job) return errorResponse(job.status());
  return envelope(200, "Job fetched successfully", jobs::jobJson(*job, true, true));
}

Response cancel(Request& req, ApiContext& ctx) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  if (auto r = requireJson(req)) return *r;
  std::string projectId = caller->projectId;
  if (caller->admin) {
    auto job = store::JobStore(ctx.db).get(req.params[0], std::nullopt);
    if (!job) return errorResponse(job.status());
    projectId = job->projectId;
  }
  Status st = store::JobStore(ctx.db).cancel(req.params[0], projectId);
  if (!st) return errorResponse(st);
  return envelope(200, "Job cancelled successfully");
}

}  // namespace

void addJobRoutes(Router& router, ApiContext& ctx) {
  router.addAsync("POST", "/api/v1/jobs",
                  [&ctx](Request& r, Reply reply) { schedule(r, ctx, std::move(reply)); });
  router.add("GET", "/api/v1/jobs", [&ctx](Request& r) { return list(r, ctx); });
  router.add("GET", "/api/v1/jobs/{id}", [&ctx](Request& r) { return get(r, ctx); });
  router.add("DELETE", "/api/v1/jobs/{id}", [&ctx](Request& r) { return cancel(r, ctx); });
}

}  // namespace dispatch::http
