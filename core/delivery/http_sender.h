// The engine's outbound HTTP for plugins and jobs: net::HttpClient (network policy on the
// resolved IP, pinned connections, keep-alive pool) behind the std-only plugin interface.
#pragma once

#include "core/net/http_client.h"
#include "core/plugin/destination.h"

namespace dispatch::delivery {

class PolicyHttpSender : public plugin::HttpSender {
 public:
  explicit PolicyHttpSender(net::HttpClient& client) : client_(client) {}
  plugin::DeliveryResult post(const std::string& url,
                              const std::vector<std::pair<std::string, std::string>>& headers,
                              const std::string& body, int64_t timeoutMs,
                              int64_t maxResponseBytes) override;

 private:
  net::HttpClient& client_;
};

// Pure translation, exposed for tests.
plugin::DeliveryResult toDeliveryResult(const net::HttpResponse& r);

}  // namespace dispatch::delivery
