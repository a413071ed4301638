// Token buckets.
#include "core/delivery/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace dispatch::delivery {

int64_t RateLimiter::acquire(const std::string& key, double rate, TimeMs now) {
  if (rate <= 0) return 0;
  double burst = std::max(1.0, rate);
  std::lock_guard<std::mutex> g(mu_);
  auto [it, fresh] = buckets_.try_emplace(key);
  Bucket& b = it->second;
  if (fresh) {
    b.tokens = burst;
    b.last = now;
  }
  b.tokens = std::min(burst, b.tokens + (now - b.last) * rate / 1000.0);
  b.last = now;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0;
  }
  return static_cast<int64_t>(std::ceil((1.0 - b.tokens) * 1000.0 / rate));
}

}  // namespace dispatch::delivery
