// The engine's scheduler: a thread that sleeps until the next wake-up of its DueSchedule and
// then claims whatever is due in the store (SKIP LOCKED, leased) into the WorkPool, as much
// as the pool has room for, coming back as soon as room frees up when a claim filled its
// batch; and a listener thread that hears of work created elsewhere (LISTEN/NOTIFY). It has
// a connection of its own, so a busy pool cannot delay a claim due now. Thread-safe; its
// mutex guards the schedule only and is never held while another part's lock is taken.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "core/delivery/due_schedule.h"
#include "core/delivery/work_pool.h"
#include "core/store/db.h"
#include "core/store/delivery_store.h"
#include "core/util/time.h"

namespace dispatch::delivery {

class Scheduler {
 public:
  struct Options {
    int claimBatch = 256;  // rows per claim query at most
    int64_t leaseMs = 3'000;
    int64_t pollMs = 1'000;
    int64_t horizonMs = 60'000;
  };

  // Claims into `pool` through its own connection to `dbUrl`; listens on `dbUrl`.
  // Claims on a connection of its own, to the database of `shared`, sealing as it does.
  Scheduler(store::Db& shared, WorkPool& pool, const Clock& clock, Options options);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void start();
  // Stops claiming and listening; returns when both threads have ended. Idempotent.
  void stop();
  // Something becomes due at `due` (created on this node, heard of, a retry decided here).
  void notifyDue(TimeMs due);
  // Room was freed (an attempt ended, outcomes were committed): if the last claim filled
  // its batch, claim again now rather than at the next due time.
  void roomFreed();

 private:
  void loop();
  void refill(TimeMs now);
  // Asks the store for the next lease expiry and arms it (wakes when it runs out).
  void armNextLeaseExpiry(TimeMs now);
  // Claims what is due into the pool: how many, or -1 when the store failed.
  int claimOnce(TimeMs now);
  // Sleeps until the schedule's next wake-up, a notifyDue(), a roomFreed() or stop().
  // False once stopping.
  bool sleep();

  store::Db db_;
  store::DeliveryStore store_;
  WorkPool& pool_;
  const Clock& clock_;
  const Options opts_;

  std::mutex mu_;
  std::condition_variable cv_;
  DueSchedule schedule_;
  bool kicked_ = false;                // with mu_: something changed since the loop last looked
  std::atomic<bool> backlog_{false};   // the last claim filled its batch: more may be due
  std::atomic<bool> stopping_{false};  // also ends the listener
  std::thread thread_;
  std::thread listener_;
};

}  // namespace dispatch::delivery
