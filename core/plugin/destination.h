// The destination plugin API. Standard library only, so a `.so` plugin's ABI drags in
// neither Poco nor yaml-cpp. A plugin renders the bytes it will send, then performs ONE
// attempt and reports what happened; the engine owns retries, signing (over the rendered
// bytes), the network policy, timeouts and logging (Fluent Bit's "plugins classify, the engine
// decides").
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
// 2: Destination::render(), so the engine signs the bytes a plugin actually sends.
inline constexpr int kApiVersion = 2;

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
  // In render(): the delivered body (after any transform), and the headers the engine
  // prepared — Content-Type, User-Agent, X-<P>-…, configured and transform headers.
  // In deliver(): the body render() returned, and those headers completed with the rendered
  // Content-Type and the Standard Webhooks trio (webhook-id, webhook-timestamp,
  // webhook-signature) signed over exactly that body. Send (or write) both as given.
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

// What a destination will send for one delivery: render()'s answer.
struct Rendered {
  std::string body;         // the exact bytes deliver() will send or write
  std::string contentType;  // their Content-Type; empty: the engine's header stays
  std::string error;        // not empty: nothing can be sent; the attempt fails for good with it

  static Rendered as(std::string body, std::string contentType = {}) {
    return Rendered{std::move(body), std::move(contentType), ""};
  }
  static Rendered failed(std::string why) { return Rendered{"", "", std::move(why)}; }
};

// A configured destination. Each attempt is render() then deliver(): the engine signs what
// render() returned and hands it back as Delivery::body, so every receiver can verify the
// bytes it gets, whatever the plugin (contracts/signatures.md). Both are called from many
// worker threads at once, and neither may let an exception escape.
class Destination {
 public:
  virtual ~Destination() = default;
  // The exact body this destination sends or writes for `d`, computed from `d` alone; sends
  // and writes nothing. A plugin that sends the delivered body as it is returns
  // Rendered::as(d.body); one that formats its own (a chat message) returns that text.
  virtual Rendered render(const Delivery& d) const = 0;
  // One attempt with `d` as the engine completed it: d.body is render()'s body, sent
  // byte for byte, with d.headers (the signature included).
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
