// The job API's rules on top of the store: validation, idempotency, creation that wakes
// the scheduler. Used by the HTTP handlers and the CLI alike.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/config/config.h"
#include "core/model/job.h"
#include "core/store/job_store.h"

namespace dispatch::jobs {

struct ScheduleResult {
  model::Job job;
  bool created = true;
};

class JobService {
 public:
  JobService(store::Db& db, const config::Config& cfg, const Clock& clock,
             store::GroupCommitter* committer = nullptr)
      : store_(db, committer), cfg_(cfg), clock_(clock) {}

  // Validates `body` (the POST /api/v1/jobs JSON) and creates the job.
  Result<ScheduleResult> schedule(const std::string& projectId, std::string_view body,
                                  const std::optional<std::string>& idempotencyKey);
  // As schedule, without holding this thread while the job waits for its group commit:
  // `done` runs once, here (a refusal, an existing job) or on a group-commit writer thread.
  void scheduleAsync(const std::string& projectId, std::string_view body,
                     const std::optional<std::string>& idempotencyKey,
                     std::function<void(Result<ScheduleResult>)> done);

  store::JobStore& store() { return store_; }

 private:
  store::JobStore store_;
  const config::Config& cfg_;
  const Clock& clock_;
};

}  // namespace dispatch::jobs
