// Process-wide metrics in the Prometheus text exposition format: counters, gauges and
// histograms with fixed label sets. Updates are lock-free atomics; safe from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace dispatch::metrics {

class Counter {
 public:
  void inc(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Gauge {
 public:
  void set(int64_t v) { v_.store(v, std::memory_order_relaxed); }
  void add(int64_t d) { v_.fetch_add(d, std::memory_order_relaxed); }
  int64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

// Latency histogram in seconds with fixed buckets (1 ms … 30 s).
class Histogram {
 public:
  static constexpr std::array<double, 12> kBounds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                  0.1,   0.25,   0.5,   1.0,  5.0,   30.0};
  void observeMs(int64_t ms);
  // Appends `name_bucket{le=…}`, `name_sum`, `name_count` lines (with `labels`, may be "").
  void render(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets_{};
  std::atomic<uint64_t> sumMs_{0};
  std::atomic<uint64_t> count_{0};
};

struct Registry {
  Counter ingestAccepted, ingestDuplicate, ingestRejected;
  Counter jobsCreated;
  Counter deliverySuccess, deliveryRetry, deliveryDead, deliveryDeferred;
  Counter deliveryHeld;  // handed back unattempted: destination paused or circuit open
  Counter retentionEvents, retentionJobs;  // deleted by retention
  Gauge queueDepth;                        // claimed and waiting for a worker, plus in flight
  Gauge httpConnections;                   // open client connections
  // Connections the front door ended: refused at the limit, timed out, bad framing.
  Counter httpRefusedLimit, httpTimeout, httpBadRequest;
  Histogram attemptLatency;
  Histogram ingestLatency;
  Histogram storeCommitLatency;
};

Registry& global();

// The whole exposition text.
std::string render();

// Sets a block of exposition lines (with their HELP and TYPE) kept under `key` and appended
// to render(): series whose label sets change at run time, such as one per destination.
void setBlock(const std::string& key, std::string text);

}  // namespace dispatch::metrics
