// The destination plugin API. Standard library only, so a `.so` plugin's ABI drags in
// neither Poco nor yaml-cpp. A plugin performs ONE attempt and reports what happened; the
// engine owns retries, signing, the network policy, timeouts and logging (Fluent Bit's
// "plugins classify, the engine decides").
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dispatch::plugin {

// Bumped on any incompatible change of this header; checked when a .so is loaded.
inline constexpr int kApiVersion = 1;

// A read-only view of a destination's config entry: its plugin-specific scalar keys
// (`url`, `template`, `path`, …) as strings. Replaces a YAML node in the API.
class ConfigView {
 public:
  virtual ~ConfigView() = default;
  virtual std::optional<std::string> get(const std::string& key) const = 0;
  virtual std::vector<std::string> keys() const = 0;
  // "file:line:col" of the entry, for error messages.
  virtual std::string location() const = 0;
  // The config file's directory.
  virtual std::string baseDir() const = 0;
  // The root `files_dir` (absolute; default: baseDir()): a plugin that writes local files
  // keeps them under it. Appended with a default body, so plugins built before it still load.
  virtual std::string filesDir() const { return baseDir(); }
};

// One attempt to perform.
struct Delivery {
  std::string id;  // delivery id
  std::string eventId;
  std::string destination;  // destination name
  std::string source;       // source slug
  std::string eventType;
  // The URL recorded when the delivery was created (deliveries keep their destination's URL
  // as of their creation, contracts/config.md); empty: the destination's configured `url`.
  std::string url;
  int attempt = 1;  // 1-based
  // The delivered body (after any transform) and the headers the engine prepared:
  // Content-Type, User-Agent, Standard Webhooks trio, X-<P>-… and configured headers.
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  int64_t timeoutMs = 15'000;
  int64_t maxResponseBytes = 64 << 10;
};

// What one attempt produced. The engine turns it into SUCCESS / retry / DEAD.
struct DeliveryResult {
  enum class Kind { kHttp, kTimeout, kNetwork, kPermanent };
  Kind kind = Kind::kHttp;
  int status = 0;                         // kHttp: the response status (2xx = success)
  std::string body;                       // response body, already capped
  std::string error;                      // for kTimeout/kNetwork/kPermanent: short text
  std::optional<std::string> retryAfter;  // raw Retry-After header, if any
  int64_t durationMs = 0;

  static DeliveryResult ok() { return DeliveryResult{Kind::kHttp, 200, "", "", {}, 0}; }
  static DeliveryResult permanent(std::string why) {
    return DeliveryResult{Kind::kPermanent, 0, "", std::move(why), {}, 0};
  }
};

// Outbound HTTP as the engine allows it (network policy on the resolved IP, pinned
// connection, keep-alive pool, no redirects). Thread-safe; owned by the engine.
class HttpSender {
 public:
  virtual ~HttpSender() = default;
  virtual DeliveryResult post(const std::string& url,
                              const std::vector<std::pair<std::string, std::string>>& headers,
                              const std::string& body, int64_t timeoutMs,
                              int64_t maxResponseBytes) = 0;
};

// A configured destination. deliver() is called from many worker threads at once.
class Destination {
 public:
  virtual ~Destination() = default;
  virtual DeliveryResult deliver(const Delivery& d) = 0;
};

struct Services {
  HttpSender* http = nullptr;  // never null when create() is called by the engine
};

// One per plugin type. create() validates the config view; on error it returns null and
// sets `error` to "<location>: <key>: <message>".
class DestinationFactory {
 public:
  virtual ~DestinationFactory() = default;
  virtual std::string name() const = 0;
  virtual std::unique_ptr<Destination> create(const ConfigView& config, const Services& services,
                                              std::string* error) const = 0;
};

}  // namespace dispatch::plugin

// A `.so` plugin exports two C symbols (core/plugin/export.h writes both; docs/plugins.md):
//   extern "C" int dispatch_plugin_api_version();  // returns kApiVersion; checked first
//   extern "C" bool pocoBuildManifest(Poco::ManifestBase*);  // POCO_BEGIN_MANIFEST(
//       dispatch::plugin::DestinationFactory) with exactly one POCO_EXPORT_CLASS(<factory>)
// The loader creates that one factory with Poco::ClassLoader and keeps it (and the library)
// for the process lifetime.
