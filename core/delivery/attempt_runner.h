// Performs one attempt of a claimed delivery: builds the request (body, prefixed headers), has
// the destination render the bytes it sends and signs those (Standard Webhooks), hands it to
// the destination (jobs and callbacks: a plain POST of the signed body), and decides what
// follows with the retry policy. Thread-safe.
#pragma once

#include <functional>
#include <memory>

#include "core/delivery/destination_health.h"
#include "core/delivery/rate_limiter.h"
#include "core/model/delivery.h"
#include "core/plugin/destination.h"
#include "core/route/routing.h"
#include "core/util/time.h"

namespace dispatch::delivery {

using RoutingSource = std::function<std::shared_ptr<const route::Routing>()>;

class AttemptRunner {
 public:
  // With `health`, event deliveries pass their destination's gate (held while paused or
  // while its circuit is open) and report their outcomes to it.
  AttemptRunner(RoutingSource routing, plugin::HttpSender& http, const Clock& clock,
                DestinationHealth* health = nullptr)
      : routing_(std::move(routing)), http_(http), clock_(clock), health_(health) {}

  // One attempt; never throws. The Completion carries the attempt log row and the next
  // state; for a job reaching SUCCESS or DEAD with a callbackUrl, the callback to create;
  // for a rate-limited destination, a deferral, and for a paused or tripped one a hold (no
  // attempt made either way).
  model::Completion run(const model::Claimed& d);

 private:
  model::Completion runJob(const model::Claimed& d, const route::Routing& r);
  model::Completion runEvent(const model::Claimed& d, const route::Routing& r);

  RoutingSource routing_;
  plugin::HttpSender& http_;
  const Clock& clock_;
  DestinationHealth* health_;
  RateLimiter limiter_;
};

// The body POSTed for a job attempt: {"jobId","title","payload","firedAt"}, payload raw.
std::string jobBody(const model::Claimed& d, TimeMs firedAt);

// The callback body: {"jobId","status","attempts","responseCode","responseBody","firedAt"}.
std::string callbackBody(const std::string& jobId, model::State status, int attempts,
                         const model::Attempt& last);

}  // namespace dispatch::delivery
