// Shared helpers of the plugin tests: a recording HttpSender, destination configs, attempts
// made and signed as the engine makes them, temp dirs.
#pragma once

#include <stdlib.h>
#include <strings.h>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config/config.h"
#include "core/delivery/signed_delivery.h"
#include "core/plugin/config_view.h"
#include "core/plugin/destination.h"
#include "core/plugin/registry.h"
#include "core/verify/signer.h"
#include "core/verify/verifier.h"

namespace dispatch::plugin::testing {

// A fake of the engine's sender: records each request and answers with `reply`.
class RecordingSender final : public HttpSender {
 public:
  struct Request {
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    int64_t timeoutMs = 0;
    int64_t maxResponseBytes = 0;

    // The value of a header (case-sensitive name), or "<absent>".
    std::string header(const std::string& name) const {
      for (const auto& [n, v] : headers) {
        if (n == name) return v;
      }
      return "<absent>";
    }
  };

  DeliveryResult post(const std::string& url,
                      const std::vector<std::pair<std::string, std::string>>& headers,
                      const std::string& body, int64_t timeoutMs,
                      int64_t maxResponseBytes) override {
    std::lock_guard lock(mu_);
    requests_.push_back({url, headers, body, timeoutMs, maxResponseBytes});
    return reply;
  }

  std::vector<Request> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

  DeliveryResult reply = DeliveryResult::ok();

 private:
  mutable std::mutex mu_;
  std::vector<Request> requests_;
};

inline constexpr char kLocation[] = "dispatch.yaml:12:7";

inline config::DestinationConfig destinationConfig(
    const std::string& type, const std::string& url,
    std::map<std::string, std::string> options = {}) {
  config::DestinationConfig d;
  d.name = "dest-" + type;
  d.type = type;
  d.url = url;
  d.options = std::move(options);
  d.location = kLocation;
  return d;
}

// Creates a built-in destination of `d` (baseDir for relative paths); null with *error set.
inline std::unique_ptr<Destination> createBuiltin(const config::DestinationConfig& d,
                                                  HttpSender& sender, std::string* error,
                                                  const std::string& baseDir = "/tmp") {
  Registry registry;
  if (Status s = registerBuiltinPlugins(registry); !s) {
    *error = s.message();
    return nullptr;
  }
  const DestinationFactory* factory = registry.find(d.type);
  if (factory == nullptr) {
    *error = "no factory for " + d.type;
    return nullptr;
  }
  DestinationConfigView view(d, baseDir);
  Services services;
  services.http = &sender;
  return factory->create(view, services, error);
}

// A delivery like the engine hands to render(): its headers, not yet signed.
inline Delivery sampleDelivery(std::string body) {
  Delivery d;
  d.id = "dlv_1";
  d.eventId = "evt_1";
  d.destination = "ops-chat";
  d.source = "github";
  d.eventType = "issues";
  d.body = std::move(body);
  d.headers = {{"Content-Type", "application/json"},
               {"User-Agent", "Dispatch/0.1.0"},
               {"X-Dispatch-Event-ID", "evt_1"}};
  d.timeoutMs = 5'000;
  d.maxResponseBytes = 1024;
  return d;
}

// The signing secret and attempt time of attempt(): the Standard Webhooks test vector's.
inline constexpr char kSigningSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
inline constexpr int64_t kSignedAtSec = 1614265330;

// One attempt as the engine makes it (delivery::renderAndSign, then deliver()): signed with
// kSigningSecret at kSignedAtSec, message id d.eventId. A render error comes back as the
// permanent failure the engine records, and nothing is delivered.
inline DeliveryResult attempt(Destination& dest, Delivery d) {
  const std::vector<std::string> keys = verify::decodeSigningKeys({kSigningSecret});
  if (auto error = delivery::renderAndSign(dest, d, keys, d.eventId, kSignedAtSec)) {
    return DeliveryResult::permanent(*error);
  }
  return dest.deliver(d);
}

// Whether `headers` (names matched without case) carry a Standard Webhooks trio that verifies
// over `body` under `secret`, checked by the inbound `standard-webhooks` verifier.
inline bool signatureVerifies(const std::vector<std::pair<std::string, std::string>>& headers,
                              std::string_view body, const std::string& secret = kSigningSecret) {
  auto verifier = verify::makeVerifier("standard-webhooks", {secret});
  verify::Request request;
  request.header = [&headers](std::string_view name) -> std::optional<std::string> {
    for (const auto& [k, v] : headers) {
      if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
    }
    return std::nullopt;
  };
  request.body = body;
  request.now = kSignedAtSec * 1000;
  return verifier->verify(request);
}

// A fresh directory under the system temp dir, removed with the object.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "dispatch-plugin-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace dispatch::plugin::testing
