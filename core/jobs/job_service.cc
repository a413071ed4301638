// Job scheduling rules.
#include "core/jobs/job_service.h"

#include <future>

#include "core/jobs/job_validation.h"
#include "core/util/text.h"
#include "core/util/uuid.h"

namespace dispatch::jobs {

Result<ScheduleResult> JobService::schedule(const std::string& projectId, std::string_view body,
                                            const std::optional<std::string>& idempotencyKey) {
  std::promise<Result<ScheduleResult>> promise;
  auto f = promise.get_future();
  scheduleAsync(projectId, body, idempotencyKey,
                [&promise](Result<ScheduleResult> r) { promise.set_value(std::move(r)); });
  return f.get();
}

void JobService::scheduleAsync(const std::string& projectId, std::string_view body,
                               const std::optional<std::string>& idempotencyKey,
                               std::function<void(Result<ScheduleResult>)> done) {
  if (idempotencyKey && (idempotencyKey->empty() || idempotencyKey->size() > 255)) {
    return done(Status(Code::kInvalid, "Idempotency-Key must be 1-255 characters"));
  }
  if (idempotencyKey) {
    if (Status st = text::check("Idempotency-Key", *idempotencyKey); !st) return done(st);
  }
  // Looked up before validating: a retried request must get its job back although by now
  // its fireAt may be in the past (the job may even have fired).
  if (idempotencyKey) {
    auto existing = store_.findByIdempotencyKey(projectId, *idempotencyKey);
    if (!existing) return done(existing.status());
    if (existing->has_value()) {
      return done(ScheduleResult{std::move(existing.value()).value(), false});
    }
  }
  ValidationLimits limits;
  limits.maxPayloadBytes = cfg_.jobs.maxPayloadBytes;
  limits.policy = {cfg_.delivery.allowHttp, cfg_.delivery.allowPrivateNetworks};
  TimeMs now = clock_.nowMs();
  auto req = validateJobRequest(body, limits, now);
  if (!req) return done(req.status());
  model::NewJob nj;
  nj.id = newUuidV7();
  nj.projectId = projectId;
  nj.title = req->title;
  nj.webhookUrl = req->webhookUrl;
  nj.payload = req->payload;
  nj.fireAt = req->fireAt;
  nj.callbackUrl = req->callbackUrl;
  nj.idempotencyKey = idempotencyKey;
  nj.createdAt = now;
  store_.createAsync(std::move(nj), [done = std::move(done)](Result<store::CreateOutcome> out) {
    if (!out) return done(out.status());
    done(ScheduleResult{std::move(out->job), out->created});
  });
}

}  // namespace dispatch::jobs
