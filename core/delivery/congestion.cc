// Per-receiver congestion accounting of the delivery engine.
#include "core/delivery/congestion.h"

#include <algorithm>

#include "core/net/network_policy.h"

namespace dispatch::delivery {

CongestionControl::CongestionControl(const Clock& clock, Options options)
    : clock_(clock), opts_(options) {}

CongestionControl::Admission CongestionControl::admit(const std::string& key) {
  std::lock_guard<std::mutex> g(mu_);
  Admission a;
  a.startedMs = clock_.monotonicMs();
  a.deferMs = deferMsLocked(key, a.startedMs);
  if (a.deferMs == 0) starts_[key].insert(a.startedMs);
  return a;
}

void CongestionControl::finish(const std::string& key, int64_t startedMs) {
  std::lock_guard<std::mutex> g(mu_);
  if (latency_.size() > 10'000) latency_.clear();  // bounded memory
  auto [lat, fresh] = latency_.try_emplace(key, 0.0);
  double took = static_cast<double>(clock_.monotonicMs() - startedMs);
  lat->second = fresh ? took : 0.8 * lat->second + 0.2 * took;
  auto rs = starts_.find(key);
  if (rs == starts_.end()) return;
  auto one = rs->second.find(startedMs);
  if (one != rs->second.end()) rs->second.erase(one);
  if (rs->second.empty()) starts_.erase(rs);
}

int64_t CongestionControl::deferMs(const std::string& key) const {
  std::lock_guard<std::mutex> g(mu_);
  return deferMsLocked(key, clock_.monotonicMs());
}

int CongestionControl::inFlight(const std::string& key) const {
  std::lock_guard<std::mutex> g(mu_);
  auto it = starts_.find(key);
  return it == starts_.end() ? 0 : static_cast<int>(it->second.size());
}

int64_t CongestionControl::deferMsLocked(const std::string& key, int64_t now) const {
  auto it = starts_.find(key);
  if (it == starts_.end()) return 0;
  if (static_cast<int>(it->second.size()) < std::max(1, opts_.inFlight)) return 0;
  int64_t oldestAge = now - *it->second.begin();
  auto lat = latency_.find(key);
  bool slow = lat != latency_.end() && lat->second >= opts_.slowMs;
  if (oldestAge < opts_.afterMs && !slow) return 0;
  // Come back about when a slot may be free: the age of the oldest attempt, 1-30 s.
  return std::clamp<int64_t>(oldestAge, 1'000, 30'000);
}

std::string receiverKey(const std::string& url) {
  // Under the pool's lock for every claimed delivery: a split, not a full parse.
  Result<net::UrlParts> parts = net::splitUrl(url, net::Userinfo::kSkip);
  if (!parts) return url;
  std::string key = parts->scheme + "://";
  if (parts->bracketed) {
    key.append("[").append(parts->host).append("]");
  } else {
    key.append(parts->host);
  }
  if (parts->port) key.append(":").append(*parts->port);
  return key;
}

}  // namespace dispatch::delivery
