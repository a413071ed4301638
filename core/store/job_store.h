// Jobs and their delivery rows (a job's delivery shares the job's id).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/model/job.h"
#include "core/store/db.h"
#include "core/store/group_commit.h"

namespace dispatch::store {

class Sealer;

struct CreateOutcome {
  model::Job job;
  bool created = true;  // false: an existing job with the same Idempotency-Key
};

class JobStore {
 public:
  // With a committer, creations are group-committed with other requests.
  explicit JobStore(Db& db, GroupCommitter* committer = nullptr) : db_(db), committer_(committer) {}
  // Inserts the job and its SCHEDULED delivery in one transaction and notifies every node.
  Result<CreateOutcome> create(const model::NewJob& job);
  // As create, without waiting for the group commit: `done` runs after it, on a writer
  // thread (or here, without a committer). When the Idempotency-Key's holder must be read
  // back (a concurrent request won), that read runs on the writer thread too: it is rare.
  void createAsync(model::NewJob job, std::function<void(Result<CreateOutcome>)> done);
  // The job with its logs (newest first). `projectId` null: any project (admin).
  Result<model::Job> get(const std::string& id, const std::optional<std::string>& projectId);
  Result<model::JobPage> list(const model::JobFilter& filter);
  // The project's job created with this Idempotency-Key, if any (without logs).
  Result<std::optional<model::Job>> findByIdempotencyKey(const std::string& projectId,
                                                         const std::string& key);
  // SCHEDULED → CANCELLED. kNotFound (absent/other project), kConflict (not SCHEDULED).
  Status cancel(const std::string& id, const std::string& projectId);

 private:
  static Result<model::Job> getIn(void* tx, const std::string& id,
                                  const std::optional<std::string>& projectId, bool withLogs,
                                  const Sealer* sealer);
  Db& db_;
  GroupCommitter* committer_;
};

}  // namespace dispatch::store
