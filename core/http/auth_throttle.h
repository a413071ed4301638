// Throttling of failed authentication attempts (API keys, the admin token) per client
// address, so a guesser is slowed to `limit` failures per `window` while every other client
// is untouched. docs/api.md ("Authentication") has the rules as users see them.
//
// Per address it keeps one number, GCRA style (a token bucket written as the time its
// bucket will be full again): each failure pushes that time `window / limit` further; the
// address is throttled while it lies more than `window - window / limit` ahead. So an
// address may fail `limit` times in a row, then once per `window / limit`.
//
// Memory is bounded: at most `maxAddresses` addresses (the least recently failing one is
// dropped first) and kMaxKnownKeys digests. IPv6 clients are counted per /64, the block
// one subscriber normally holds; an IPv4-mapped IPv6 peer counts as its IPv4 address.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/util/time.h"

namespace dispatch::http {

// The throttle's key for a peer address in text form (`203.0.113.7`, `2001:db8::1`,
// `::ffff:203.0.113.7`): the IPv4 address, or the IPv6 /64. Empty when `peer` is not an IP
// address (nothing to count by).
std::string throttleKey(std::string_view peer);

class AuthThrottle {
 public:
  // Read per call, so a config reload applies at once.
  struct Options {
    int limit = 20;                // failures per window per address; 0 disables. Default: 20
    int64_t windowMs = 60'000;     // Default: 1m
    size_t maxAddresses = 10'000;  // addresses tracked at once. Default: 10000
  };
  // Digests of credentials that authenticated, kept to let them through a throttled address.
  static constexpr size_t kMaxKnownKeys = 4096;

  // On a monotonic clock, so a wall-clock step neither opens nor jams a bucket.
  AuthThrottle();
  // On `clock` (tests), which must outlive the throttle.
  explicit AuthThrottle(const Clock& clock) : clock_(clock) {}
  AuthThrottle(const AuthThrottle&) = delete;
  AuthThrottle& operator=(const AuthThrottle&) = delete;

  // 0 when `key` (throttleKey()) may attempt now; else the whole seconds (≥ 1) until it
  // may. An empty key is never throttled. Thread-safe; takes a shared lock only when some
  // address has failed recently.
  int64_t retryAfterSeconds(const std::string& key, const Options& options) const;
  // Counts one failed attempt from `key`. Thread-safe.
  void recordFailure(const std::string& key, const Options& options);

  // The set of credential digests (SHA-256 of what was presented) that authenticated
  // recently: such a credential is still checked from a throttled address. Thread-safe.
  void rememberKey(const std::string& digest);
  bool knowsKey(const std::string& digest) const;
  void forgetKey(const std::string& digest);

  size_t trackedAddresses() const;
  size_t knownKeys() const;

 private:
  struct Entry {
    double fullAtMs = 0;  // when the address's bucket is full again (GCRA "TAT")
    std::list<std::string>::iterator lru;
  };
  // Time left until the next attempt is allowed, in ms; ≤ 0 when allowed.
  static double waitMs(const Entry& e, double now, const Options& options);
  static const Clock& steadyClock();

  const Clock& clock_;

  mutable std::shared_mutex addressMu_;
  std::unordered_map<std::string, Entry> addresses_;
  std::list<std::string> addressOrder_;  // least recently failing first
  std::atomic<size_t> addressCount_{0};  // lets the valid path skip the lock when empty

  mutable std::mutex keyMu_;
  std::unordered_map<std::string, std::list<std::string>::iterator> keys_;
  std::list<std::string> keyOrder_;  // least recently used first
};

}  // namespace dispatch::http
