// The delivery engine: wires the scheduler, worker pool, congestion control, completion
// writer and lease renewer together, and stops them in the order that keeps the work safe.
#include "core/delivery/engine.h"

#include <algorithm>

namespace dispatch::delivery {
namespace {

CongestionControl::Options congestionOptions(const EngineOptions& o) {
  CongestionControl::Options c;
  c.inFlight = o.congestedInFlight > 0 ? o.congestedInFlight : std::max(1, o.workers / 8);
  c.afterMs = o.congestedAfterMs;
  c.slowMs = o.slowReceiverMs;
  return c;
}

WorkPool::Options poolOptions(const EngineOptions& o) {
  WorkPool::Options p;
  p.workers = o.workers;
  p.claimBatch = o.claimBatch;
  p.leaseMs = o.leaseMs;
  return p;
}

Scheduler::Options schedulerOptions(const EngineOptions& o) {
  Scheduler::Options s;
  s.claimBatch = o.claimBatch;
  s.leaseMs = o.leaseMs;
  s.pollMs = o.pollMs;
  s.horizonMs = o.horizonMs;
  return s;
}

int64_t heartbeatMs(const EngineOptions& o) {
  return o.heartbeatMs > 0 ? o.heartbeatMs : std::max<int64_t>(o.leaseMs / 3, 10);
}

}  // namespace

Engine::Engine(store::Db& db, RoutingSource routing, plugin::HttpSender& http, const Clock& clock,
               EngineOptions options, store::GroupCommitter* committer)
    : store_(db, committer),
      health_(db, routing, clock, [this](TimeMs t) { scheduler_.notifyDue(t); }),
      runner_(std::move(routing), http, clock, &health_),
      clock_(clock),
      opts_(options),
      congestion_(clock, congestionOptions(options)),
      writer_(
          store_, clock, options.completionBatch, [this](TimeMs t) { scheduler_.notifyDue(t); },
          [this](const std::vector<model::Completion>& batch) {
            pool_.settle(batch);
            scheduler_.roomFreed();
          }),
      pool_(
          runner_, congestion_, writer_, clock, poolOptions(options),
          [this](TimeMs t) { scheduler_.notifyDue(t); }, [this] { scheduler_.roomFreed(); }),
      // The scheduler and the renewer have a connection each, outside the shared pool: a
      // busy pool must not delay a claim due now, nor a renewal until the leases run out.
      scheduler_(db, pool_, clock, schedulerOptions(options)),
      renewer_(db.url(), pool_, clock, options.leaseMs, heartbeatMs(options)) {}

Engine::~Engine() { stop(0); }

void Engine::start() {
  if (started_.exchange(true)) return;
  health_.start();  // the gates are known before the first claim
  scheduler_.start();
  renewer_.start();
  pool_.start();
  writer_.start(opts_.completionWriters);
}

void Engine::notifyDue(TimeMs due) { scheduler_.notifyDue(due); }

int Engine::reserve(int n) { return pool_.reserve(n); }

void Engine::handOver(std::vector<model::Claimed> items, int reserved) {
  // Stopping: the work goes back to the store at once (fenced by lease_seq), as unstarted
  // queued work does, rather than waiting out its lease.
  LeaseList giveBack = pool_.handOver(std::move(items), reserved);
  if (!giveBack.empty()) store_.release(giveBack);
}

void Engine::stop(int64_t graceMs) {
  if (!started_.load()) return;
  std::lock_guard<std::mutex> g(stopMu_);
  if (stopped_) return;
  stopped_ = true;
  pool_.stopTaking();
  scheduler_.stop();
  // Only now that the scheduler has stopped can nothing more be claimed: a claim that was
  // in progress when we began stopping is handed back too. Workers take nothing once
  // stopping.
  store_.release(pool_.takeUnstarted());
  // Wait for in-flight attempts to finish recording: the workers hand each outcome to the
  // writer before they count the attempt done, so the writer's wait comes second.
  int64_t deadline = clock_.monotonicMs() + graceMs;
  pool_.waitIdle(deadline);
  writer_.waitIdle(deadline);
  writer_.stop();
  // The heartbeat ran until now: a lease is short beside the grace period, and an attempt
  // finishing its work must not be taken over by another node meanwhile.
  renewer_.stop();
  bool attemptsRunning;
  LeaseList running = pool_.held(&attemptsRunning);
  if (attemptsRunning || !running.empty()) {
    // Still running past the grace period: give the work back (fenced by lease_seq) so
    // another node or the next start delivers it.
    store_.release(running);
    pool_.finish(/*detach=*/true);
  } else {
    pool_.finish(/*detach=*/false);
  }
  health_.stop();  // after the last attempt: its counts and circuit changes are written
}

}  // namespace dispatch::delivery
