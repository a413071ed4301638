// Prometheus text rendering.
#include "core/util/metrics.h"

#include <cstdio>
#include <map>
#include <mutex>

namespace dispatch::metrics {

void Histogram::observeMs(int64_t ms) {
  if (ms < 0) ms = 0;
  double s = static_cast<double>(ms) / 1000.0;
  size_t i = 0;
  while (i < kBounds.size() && s > kBounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sumMs_.fetch_add(static_cast<uint64_t>(ms), std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void Histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
  uint64_t cumulative = 0;
  char buf[64];
  std::string sep = labels.empty() ? "" : labels + ",";
  for (size_t i = 0; i <= kBounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    if (i < kBounds.size()) {
      std::snprintf(buf, sizeof buf, "%g", kBounds[i]);
    } else {
      std::snprintf(buf, sizeof buf, "+Inf");
    }
    out += name + "_bucket{" + sep + "le=\"" + buf + "\"} " + std::to_string(cumulative) + "\n";
  }
  std::snprintf(buf, sizeof buf, "%.3f", sumMs_.load(std::memory_order_relaxed) / 1000.0);
  std::string l = labels.empty() ? "" : "{" + labels + "}";
  out += name + "_sum" + l + " " + buf + "\n";
  out += name + "_count" + l + " " + std::to_string(count_.load(std::memory_order_relaxed)) + "\n";
}

Registry& global() {
  static Registry r;
  return r;
}

namespace {

void counter(std::string& out, const char* name, const char* help,
             std::initializer_list<std::pair<const char*, const Counter*>> series) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n";
  for (const auto& [labels, c] : series) {
    out += std::string(name) + (labels[0] ? std::string("{") + labels + "}" : "") + " " +
           std::to_string(c->value()) + "\n";
  }
}

}  // namespace

namespace {
std::mutex& blocksMutex() {
  static std::mutex m;
  return m;
}
std::map<std::string, std::string>& blocks() {
  static std::map<std::string, std::string> b;
  return b;
}
}  // namespace

std::string render() {
  Registry& r = global();
  std::string out;
  out.reserve(4096);
  counter(out, "dispatch_ingest_requests_total", "Source endpoint requests by result.",
          {{"result=\"accepted\"", &r.ingestAccepted},
           {"result=\"duplicate\"", &r.ingestDuplicate},
           {"result=\"rejected\"", &r.ingestRejected}});
  counter(out, "dispatch_jobs_created_total", "Jobs scheduled through the API.",
          {{"", &r.jobsCreated}});
  counter(out, "dispatch_delivery_attempts_total", "Delivery attempts by outcome.",
          {{"outcome=\"success\"", &r.deliverySuccess},
           {"outcome=\"retry\"", &r.deliveryRetry},
           {"outcome=\"dead\"", &r.deliveryDead}});
  counter(out, "dispatch_delivery_deferred_total", "Deliveries deferred by a rate limit.",
          {{"", &r.deliveryDeferred}});
  counter(out, "dispatch_delivery_held_total",
          "Deliveries held without an attempt: destination paused or circuit open.",
          {{"", &r.deliveryHeld}});
  counter(out, "dispatch_retention_deleted_total",
          "Rows deleted by retention (events with their deliveries; jobs with theirs).",
          {{"kind=\"event\"", &r.retentionEvents}, {"kind=\"job\"", &r.retentionJobs}});
  counter(out, "dispatch_http_connections_closed_total",
          "Client connections the server closed: over max_connections, timed out, bad framing.",
          {{"reason=\"limit\"", &r.httpRefusedLimit},
           {"reason=\"timeout\"", &r.httpTimeout},
           {"reason=\"bad_request\"", &r.httpBadRequest}});
  out += "# HELP dispatch_http_connections Open client connections.\n";
  out += "# TYPE dispatch_http_connections gauge\n";
  out += "dispatch_http_connections " + std::to_string(r.httpConnections.value()) + "\n";
  out +=
      "# HELP dispatch_delivery_queue_depth Claimed deliveries waiting or in flight on this "
      "node.\n";
  out += "# TYPE dispatch_delivery_queue_depth gauge\n";
  out += "dispatch_delivery_queue_depth " + std::to_string(r.queueDepth.value()) + "\n";
  out += "# HELP dispatch_attempt_duration_seconds Duration of delivery attempts.\n";
  out += "# TYPE dispatch_attempt_duration_seconds histogram\n";
  r.attemptLatency.render(out, "dispatch_attempt_duration_seconds", "");
  out += "# HELP dispatch_ingest_duration_seconds Source endpoint request handling time.\n";
  out += "# TYPE dispatch_ingest_duration_seconds histogram\n";
  r.ingestLatency.render(out, "dispatch_ingest_duration_seconds", "");
  out += "# HELP dispatch_store_commit_duration_seconds Group-commit transaction time.\n";
  out += "# TYPE dispatch_store_commit_duration_seconds histogram\n";
  r.storeCommitLatency.render(out, "dispatch_store_commit_duration_seconds", "");
  std::lock_guard<std::mutex> g(blocksMutex());
  for (const auto& [key, text] : blocks()) out += text;
  return out;
}

void setBlock(const std::string& key, std::string text) {
  std::lock_guard<std::mutex> g(blocksMutex());
  blocks()[key] = std::move(text);
}

}  // namespace dispatch::metrics
