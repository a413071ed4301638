// Shared helpers of the plugin tests: a recording HttpSender, destination configs, temp dirs.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/config/config.h"
#include "core/plugin/config_view.h"
#include "core/plugin/destination.h"
#include "core/plugin/registry.h"

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

// A delivery like the engine prepares one, with signature headers.
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
               {"webhook-id", "evt_1"},
               {"webhook-timestamp", "1614265330"},
               {"webhook-signature", "v1,abc="},
               {"X-Dispatch-Event-ID", "evt_1"}};
  d.timeoutMs = 5'000;
  d.maxResponseBytes = 1024;
  return d;
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
