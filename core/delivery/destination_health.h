// Each node's view of its destinations' gates and health. Workers ask mayAttempt() before an
// attempt (a paused destination or an open circuit: the delivery is held, unattempted) and
// report each outcome with record(); a thread of its own, once a second or when a worker
// asks it to, applies the circuit's changes to the store (logging each), writes the node's
// attempt counts, re-reads every gate (so a pause made on any node is honoured here within a
// second), starts the trials of circuits whose cool-down is over, and renders the
// per-destination state gauges of /metrics. Thread-safe; its mutex is never held across a
// store call.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/delivery/circuit.h"
#include "core/route/routing.h"
#include "core/store/db.h"
#include "core/store/destination_store.h"
#include "core/util/time.h"

namespace dispatch::delivery {

class DestinationHealth {
 public:
  using RoutingFn = std::function<std::shared_ptr<const route::Routing>()>;
  using DueFn = std::function<void(TimeMs)>;

  // Stores through `db`; `refreshMs` is how often the gates are re-read.
  DestinationHealth(store::Db& db, RoutingFn routing, const Clock& clock, DueFn notifyDue,
                    int64_t refreshMs = 1'000);
  ~DestinationHealth();
  DestinationHealth(const DestinationHealth&) = delete;
  DestinationHealth& operator=(const DestinationHealth&) = delete;

  void start();
  // Writes what is left to write and ends the thread. Idempotent.
  void stop();

  // Whether delivery `id` to `dc` may be attempted now; false: hold it. May ask the store
  // (a half-open circuit's free trial slot).
  bool mayAttempt(const std::string& projectId, const config::DestinationConfig& dc,
                  const std::string& id);
  // An attempt's outcome: counted for the health figures and fed to the breaker.
  void record(const std::string& projectId, const config::DestinationConfig& dc,
              const std::string& id, const plugin::DeliveryResult& result,
              const std::optional<std::string>& error, TimeMs at);
  // Re-reads the gates now (after a pause or resume made on this node).
  void refreshNow();

 private:
  struct Change {
    CircuitChange kind = CircuitChange::kNone;
    std::string projectId;
    std::string destination;
    std::string deliveryId;
    int failures = 0;
  };

  void loop();
  void apply(const Change& c, const route::Routing* routing);
  // Flushes the counts, re-reads the gates, starts due trials, closes circuits whose
  // breaker was turned off, renders the gauges.
  void refresh(TimeMs now);
  void renderMetrics(const route::Routing* routing);

  store::Db& db_;
  store::DestinationStore store_;
  RoutingFn routing_;
  const Clock& clock_;
  DueFn notifyDue_;
  const int64_t refreshMs_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, model::Gate> gates_;  // "projectId/name": those holding something back
  std::map<std::string, FailureRun> runs_;
  std::map<std::string, store::DestinationTally> tallies_;
  std::vector<Change> changes_;
  bool kicked_ = false;
  bool refreshAsked_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace dispatch::delivery
