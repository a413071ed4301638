// Retention (config.md `projects[].retention`): what is older than a project's retention is
// deleted for good — events whose deliveries all finished before the cutoff (with those
// deliveries, their attempts and skips) and jobs finished before it (with their delivery,
// its attempts and the job's callback). Work still open is never deleted, however old: an
// event waits for its last delivery, a job for its end (and its callback's).
// Purging nodes take turns (an advisory lock per batch); batches are small so the deletions
// never hold many row locks for long.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/store/db.h"
#include "core/util/status.h"
#include "core/util/time.h"

namespace dispatch::store {

struct PurgeCounts {
  int64_t events = 0;  // events deleted (each with its deliveries and their attempts)
  int64_t jobs = 0;    // jobs deleted (each with its delivery, attempts and callback)
};

// Deletes, for one project, what is older than `cutoff` (none: the project keeps its events
// and jobs) and the jobs with a retention of their own that ran out by `now`, in batches of
// at most `batch` rows until none is left or `stop` (checked before each batch) says so.
// Adds what it deleted to `counts`. Returns without deleting when another node holds the
// purge lock (`*skipped` = true).
Status purgeProject(Db& db, const std::string& projectId, std::optional<TimeMs> cutoff, TimeMs now,
                    int batch, PurgeCounts* counts, bool* skipped = nullptr,
                    const std::function<bool()>& stop = nullptr);

// Runs a purge over every project of the current configuration every `intervalMs` (the first
// one `firstAfterMs` after start), on its own thread.
class RetentionPurger {
 public:
  // Project name → retention (ms), read at each pass (so a reload applies).
  using RetentionSource = std::function<std::map<std::string, int64_t>()>;

  RetentionPurger(Db& db, RetentionSource retention, const Clock& clock,
                  int64_t intervalMs = 10 * 60'000, int64_t firstAfterMs = 60'000, int batch = 500);
  ~RetentionPurger();
  RetentionPurger(const RetentionPurger&) = delete;
  RetentionPurger& operator=(const RetentionPurger&) = delete;

  void start();
  void stop();  // waits for the batch in progress, if any; idempotent
  // One pass over every configured project (what the thread runs each interval).
  Status runOnce(PurgeCounts* counts);

 private:
  void loop();

  Db& db_;
  RetentionSource retention_;
  const Clock& clock_;
  int64_t intervalMs_;
  int64_t firstAfterMs_;
  int batch_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace dispatch::store
