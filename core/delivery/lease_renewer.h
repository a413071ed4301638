// The heartbeat of the engine's leases: a thread that, every heartbeat, renews in one
// statement every lease the node holds (queued or started work) that runs out within the
// lease less half a beat, on a connection of its own so a busy pool cannot delay it. Queued
// work whose lease was not renewed (taken over) is dropped from the WorkPool. After a failed
// renewal it tries again soon rather than a beat later.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "core/delivery/work_pool.h"
#include "core/store/db.h"
#include "core/store/delivery_store.h"
#include "core/util/status.h"
#include "core/util/time.h"

namespace dispatch::delivery {

class LeaseRenewer {
 public:
  // Renews the leases `pool` holds to `leaseMs` every `heartbeatMs`, through its own
  // connection to `dbUrl`.
  LeaseRenewer(const std::string& dbUrl, WorkPool& pool, const Clock& clock, int64_t leaseMs,
               int64_t heartbeatMs);
  ~LeaseRenewer();
  LeaseRenewer(const LeaseRenewer&) = delete;
  LeaseRenewer& operator=(const LeaseRenewer&) = delete;

  void start();
  // Ends the heartbeat; returns when the thread has. Idempotent.
  void stop();

 private:
  void loop();
  // One heartbeat: renews the leases held (`now` is when they were read) and drops queued
  // work whose lease was not renewed. An error when the store did not answer.
  Status renewHeld(TimeMs now);

  store::Db db_;
  store::DeliveryStore store_;
  WorkPool& pool_;
  const Clock& clock_;
  const int64_t leaseMs_;
  const int64_t heartbeatMs_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace dispatch::delivery
