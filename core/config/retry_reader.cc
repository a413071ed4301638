// `retry:` and `retry_on:` nodes → model::RetryPolicy (contracts/config.md, retry fields).
#include <charconv>

#include "core/config/config_sections.h"

namespace dispatch::config::internal {

void readRetry(Reader& r, const Field& f, model::RetryPolicy& policy) {
  std::optional<Field> backoff, schedule;
  std::optional<bool> jitter;
  const std::vector<Key> keys = {
      {"max_attempts", [&](const Field& x) { set(policy.maxAttempts, r.integer(x, 1, 100)); }},
      {"backoff",
       [&](const Field& x) {
         backoff = x;
         auto s = r.string(x);
         if (!s) return;
         if (*s == "exponential") {
           policy.backoff = model::Backoff::kExponential;
         } else if (*s == "fixed") {
           policy.backoff = model::Backoff::kFixed;
         } else {
           r.error(x, "must be exponential or fixed");
         }
       }},
      {"initial", [&](const Field& x) { set(policy.initialMs, r.duration(x)); }},
      {"max_delay", [&](const Field& x) { set(policy.maxDelayMs, r.duration(x)); }},
      {"jitter", [&](const Field& x) { jitter = r.boolean(x); }},
      {"schedule",
       [&](const Field& x) {
         schedule = x;
         std::vector<int64_t> delays;
         r.forEachItem(x, [&](const Field& item) {
           if (auto d = r.duration(item)) delays.push_back(*d);
         });
         if (x.node.IsSequence() && x.node.size() == 0) r.error(x, "must not be empty");
         policy.scheduleMs = std::move(delays);
       }},
  };
  r.readMap(f, keys);
  if (backoff && schedule) {
    r.error(*schedule, "cannot be combined with backoff");
  } else if (schedule) {
    // An explicit schedule is exact unless jitter is asked for explicitly.
    policy.backoff = model::Backoff::kSchedule;
    policy.jitter = false;
  } else if (backoff) {
    policy.scheduleMs.clear();  // a computed backoff replaces an inherited schedule
  }
  if (jitter) policy.jitter = *jitter;
}

void readRetryOn(Reader& r, const Field& f, model::RetryOn& out) {
  model::RetryOn on;
  on.network = on.timeout = on.anyStatus = on.status5xx = on.status4xx = false;
  on.statuses.clear();
  const bool isList = r.forEachItem(f, [&](const Field& x) {
    auto s = r.string(x);
    if (!s) return;
    int code = 0;
    auto [ptr, ec] = std::from_chars(s->data(), s->data() + s->size(), code);
    const bool isCode = ec == std::errc() && ptr == s->data() + s->size();
    if (*s == "network") {
      on.network = true;
    } else if (*s == "timeout") {
      on.timeout = true;
    } else if (*s == "4xx") {
      on.status4xx = true;
    } else if (*s == "5xx") {
      on.status5xx = true;
    } else if (isCode && code >= 100 && code <= 599) {
      on.statuses.push_back(code);
    } else {
      r.error(x, "must be network, timeout, 4xx, 5xx or a status code 100..599");
    }
  });
  if (isList) out = std::move(on);
}

}  // namespace dispatch::config::internal
