// Performs one attempt of a claimed delivery: builds the request (body, Standard Webhooks
// signature, prefixed headers), sends it, and decides what follows. Owns no state beyond
// its collaborators; thread-safe.
#pragma once

#include <functional>
#include <memory>

#include "core/config/config.h"
#include "core/delivery/delivery.h"
#include "core/net/http_client.h"
#include "core/util/time.h"

namespace dispatch::delivery {

using ConfigSource = std::function<std::shared_ptr<const config::Config>()>;

class AttemptRunner {
 public:
  AttemptRunner(ConfigSource config, net::HttpClient& http, const Clock& clock)
      : config_(std::move(config)), http_(http), clock_(clock) {}

  // One attempt; never throws. The Completion carries the attempt log row, the next state
  // and, for a job reaching SUCCESS or DEAD with a callbackUrl, the callback to create.
  Completion run(const Claimed& d);

 private:
  ConfigSource config_;
  net::HttpClient& http_;
  const Clock& clock_;
};

// The body POSTed for a job attempt: {"jobId","title","payload","firedAt"}, payload raw.
std::string jobBody(const Claimed& d, TimeMs firedAt);

// The callback body: {"jobId","status","attempts","responseCode","responseBody","firedAt"}.
std::string callbackBody(const std::string& jobId, State status, int attempts,
                         const Attempt& last);

}  // namespace dispatch::delivery
