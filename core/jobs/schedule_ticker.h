// A node's schedule ticker: makes the job of each schedule's next tick a little ahead of the
// tick (the lead), so the job fires from the delivery heap at its millisecond like any job.
// Every node runs one; a schedule row is locked by one node at a time (SKIP LOCKED) and a
// tick has one job whatever happens (a unique index), so nodes, restarts and a node killed
// mid-batch make neither a second job nor a gap.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "core/store/schedule_store.h"
#include "core/util/status.h"
#include "core/util/time.h"

namespace dispatch::jobs {

class ScheduleTicker {
 public:
  struct Options {
    int64_t leadMs = 30'000;  // jobs are made this long before their tick
    int64_t pollMs = 1'000;   // how often the store is asked for near ticks
    int batch = 500;          // schedules per transaction
  };
  // `notifyDue` is told the earliest fire time of the jobs a batch made (the local scheduler).
  ScheduleTicker(store::Db& db, const Clock& clock, std::function<void(TimeMs)> notifyDue,
                 Options options);
  ScheduleTicker(store::Db& db, const Clock& clock, std::function<void(TimeMs)> notifyDue)
      : ScheduleTicker(db, clock, std::move(notifyDue), Options{}) {}
  ~ScheduleTicker();
  ScheduleTicker(const ScheduleTicker&) = delete;
  ScheduleTicker& operator=(const ScheduleTicker&) = delete;

  void start();
  void stop();
  // Asks for a pass now (a schedule was created or changed here).
  void wake();
  // One pass: batches until no schedule within the lead is left. The number of jobs made.
  Result<int> runOnce();

 private:
  void loop();

  store::ScheduleStore store_;
  const Clock& clock_;
  std::function<void(TimeMs)> notifyDue_;
  Options opts_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace dispatch::jobs
