// Per-destination rate limits (`rate_limit: 50/s`), per node: a token bucket per key.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "core/util/time.h"

namespace dispatch::delivery {

class RateLimiter {
 public:
  // Takes a token for `key` at `now` with `ratePerSec` (burst = max(1, rate)). Returns 0
  // when allowed, else the ms to wait before a token is available. Thread-safe.
  int64_t acquire(const std::string& key, double ratePerSec, TimeMs now);

 private:
  struct Bucket {
    double tokens = 0;
    TimeMs last = 0;
  };
  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace dispatch::delivery
