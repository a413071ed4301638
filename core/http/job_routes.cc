// /api/v1/jobs: schedule, list, get, cancel. The rules and the scoping are JobService's.
#include "core/http/api.h"
#include "core/http/envelope.h"
#include "core/jobs/job_json.h"
#include "core/jobs/job_service.h"
#include "core/util/metrics.h"

namespace dispatch::http {
namespace {

// Answers after the group commit without holding a worker thread while it waits.
void schedule(Request& req, ApiContext& ctx, Reply reply) {
  auto caller = authenticate(req, ctx);
  if (!caller) return reply(errorResponse(caller.status()));
  auto project = jobs::creatorProject(caller->scope());
  if (!project) return reply(errorResponse(project.status()));
  if (auto r = requireJson(req)) return reply(std::move(*r));
  ctx.jobs.scheduleAsync(
      *project, req.body, req.header("Idempotency-Key"),
      [reply = std::move(reply)](Result<jobs::ScheduleResult> res) {
        if (!res) return reply(errorResponse(res.status()));
        if (!res->created) {
          return reply(envelope(200, "Job already exists", jobs::jobJson(res->job, false, false)));
        }
        metrics::global().jobsCreated.inc();
        reply(envelope(201, "Job scheduled successfully", jobs::jobJson(res->job, false, false)));
      });
}

Response list(Request& req, ApiContext& ctx) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  jobs::ListQuery q;
  auto status = stateQueryParam(req);
  if (!status) return errorResponse(status.status());
  q.status = *status;
  auto page = intQueryParam(req, "page", 1, 1, 1'000'000);
  if (!page) return errorResponse(page.status());
  auto limit = intQueryParam(req, "limit", 20, 1, 100);
  if (!limit) return errorResponse(limit.status());
  q.page = *page;
  q.limit = *limit;
  q.projectId = req.queryParam("projectId");
  auto res = ctx.jobs.list(caller->scope(), q);
  if (!res) return errorResponse(res.status());
  json::Writer w;
  w.beginObject().key("jobs").beginArray();
  for (const auto& j : res->jobs) jobs::writeJob(w, j, true, false);
  w.endArray();
  writePagination(w, res->total, q.page, q.limit);
  w.endObject();
  return envelope(200, "Jobs fetched successfully", w.str());
}

Response get(Request& req, ApiContext& ctx) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  auto job = ctx.jobs.get(caller->scope(), req.params[0]);
  if (!job) return errorResponse(job.status());
  return envelope(200, "Job fetched successfully", jobs::jobJson(*job, true, true));
}

Response cancel(Request& req, ApiContext& ctx) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  if (auto r = requireJson(req)) return *r;
  if (Status st = ctx.jobs.cancel(caller->scope(), req.params[0]); !st) return errorResponse(st);
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
