// The failed-authentication throttle (auth_throttle.h): GCRA per address, bounded tables.
#include "core/http/auth_throttle.h"

#include <arpa/inet.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

namespace dispatch::http {

std::string throttleKey(std::string_view peer) {
  if (peer.empty() || peer.size() >= INET6_ADDRSTRLEN) return "";
  const std::string text(peer);
  unsigned char bytes[16];
  if (inet_pton(AF_INET, text.c_str(), bytes) == 1) {
    return std::string("4") + std::string(reinterpret_cast<const char*>(bytes), 4);
  }
  if (inet_pton(AF_INET6, text.c_str(), bytes) != 1) return "";
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  if (std::memcmp(bytes, kMapped, sizeof kMapped) == 0) {
    return std::string("4") + std::string(reinterpret_cast<const char*>(bytes + 12), 4);
  }
  return std::string("6") + std::string(reinterpret_cast<const char*>(bytes), 8);
}

namespace {

class SteadyClock final : public Clock {
 public:
  TimeMs nowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace

AuthThrottle::AuthThrottle() : clock_(steadyClock()) {}

const Clock& AuthThrottle::steadyClock() {
  static const SteadyClock clock;
  return clock;
}

double AuthThrottle::waitMs(const Entry& e, double now, const Options& options) {
  const double window = static_cast<double>(options.windowMs);
  const double interval = window / options.limit;
  // Never more than a window ahead (a smaller window after a reload, a clock step).
  return std::min(e.fullAtMs - now, window) - (window - interval);
}

int64_t AuthThrottle::retryAfterSeconds(const std::string& key, const Options& options) const {
  // The valid path: no address has failed recently, so no lock is taken.
  if (options.limit <= 0 || key.empty() || addressCount_.load(std::memory_order_acquire) == 0) {
    return 0;
  }
  const double now = static_cast<double>(clock_.nowMs());
  std::shared_lock lock(addressMu_);
  auto it = addresses_.find(key);
  if (it == addresses_.end()) return 0;
  const double wait = waitMs(it->second, now, options);
  if (wait <= 0) return 0;
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(wait / 1000.0)));
}

void AuthThrottle::recordFailure(const std::string& key, const Options& options) {
  if (options.limit <= 0 || options.windowMs <= 0 || key.empty()) return;
  const double now = static_cast<double>(clock_.nowMs());
  const double interval = static_cast<double>(options.windowMs) / options.limit;
  std::unique_lock lock(addressMu_);
  // Addresses whose bucket is full again are as good as absent: drop those at the old end.
  while (!addressOrder_.empty() && addresses_.at(addressOrder_.front()).fullAtMs <= now) {
    addresses_.erase(addressOrder_.front());
    addressOrder_.pop_front();
  }
  auto it = addresses_.find(key);
  if (it == addresses_.end()) {
    // Room first: drop the least recently failing addresses. A flood of distinct addresses
    // thus costs at most maxAddresses entries.
    const size_t cap = std::max<size_t>(1, options.maxAddresses);
    while (addresses_.size() >= cap) {
      addresses_.erase(addressOrder_.front());
      addressOrder_.pop_front();
    }
    addressOrder_.push_back(key);
    it = addresses_.emplace(key, Entry{now, std::prev(addressOrder_.end())}).first;
  } else {
    addressOrder_.splice(addressOrder_.end(), addressOrder_, it->second.lru);
  }
  // From at least now (an idle bucket fills up, it does not save credit) and at most the
  // state of `limit` failures at once, however many were counted meanwhile.
  const double ahead = static_cast<double>(options.windowMs) - interval;
  it->second.fullAtMs = std::clamp(it->second.fullAtMs, now, now + ahead) + interval;
  addressCount_.store(addresses_.size(), std::memory_order_release);
}

void AuthThrottle::rememberKey(const std::string& digest) {
  std::lock_guard lock(keyMu_);
  auto it = keys_.find(digest);
  if (it != keys_.end()) {
    keyOrder_.splice(keyOrder_.end(), keyOrder_, it->second);
    return;
  }
  while (keys_.size() >= kMaxKnownKeys) {
    keys_.erase(keyOrder_.front());
    keyOrder_.pop_front();
  }
  keyOrder_.push_back(digest);
  keys_.emplace(digest, std::prev(keyOrder_.end()));
}

bool AuthThrottle::knowsKey(const std::string& digest) const {
  std::lock_guard lock(keyMu_);
  return keys_.count(digest) > 0;
}

void AuthThrottle::forgetKey(const std::string& digest) {
  std::lock_guard lock(keyMu_);
  auto it = keys_.find(digest);
  if (it == keys_.end()) return;
  keyOrder_.erase(it->second);
  keys_.erase(it);
}

size_t AuthThrottle::trackedAddresses() const {
  std::shared_lock lock(addressMu_);
  return addresses_.size();
}

size_t AuthThrottle::knownKeys() const {
  std::lock_guard lock(keyMu_);
  return keys_.size();
}

}  // namespace dispatch::http
