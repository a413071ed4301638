// An example external destination plugin, type `echo`: each delivery succeeds and, when the
// `path` option is set, its body is appended to that file (relative to the config's folder),
// one per line. It sends the delivered body as it is, so render() returns it unchanged and the
// engine's signature (in d.headers) covers exactly what is written.
// Standard library only, apart from export.h's manifest macros.
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>

#include "core/plugin/destination.h"
#include "core/plugin/export.h"

namespace echo_plugin {

using dispatch::plugin::ConfigView;
using dispatch::plugin::Delivery;
using dispatch::plugin::DeliveryResult;
using dispatch::plugin::Destination;
using dispatch::plugin::Rendered;
using dispatch::plugin::Services;

class EchoDestination final : public Destination {
 public:
  explicit EchoDestination(std::string path) : path_(std::move(path)) {}

  Rendered render(const Delivery& d) const override { return Rendered::as(d.body); }

  DeliveryResult deliver(const Delivery& d) override {
    if (path_.empty()) return DeliveryResult::ok();
    std::lock_guard lock(mu_);
    std::ofstream out(path_, std::ios::binary | std::ios::app);
    out << d.body << '\n';
    out.flush();
    if (!out) {
      DeliveryResult r;
      r.kind = DeliveryResult::Kind::kNetwork;
      r.error = "echo: cannot append to " + path_;
      return r;
    }
    return DeliveryResult::ok();
  }

 private:
  const std::string path_;
  std::mutex mu_;
};

class EchoFactory final : public dispatch::plugin::DestinationFactory {
 public:
  std::string name() const override { return "echo"; }

  std::unique_ptr<Destination> create(const ConfigView& config, const Services&,
                                      std::string* error) const override {
    for (const std::string& key : config.keys()) {
      if (key != "name" && key != "path") {
        *error = config.location() + ": " + key + ": unknown key for type echo (known: path)";
        return nullptr;
      }
    }
    std::string path = config.get("path").value_or("");
    if (!path.empty() && std::filesystem::path(path).is_relative()) {
      path = (std::filesystem::path(config.baseDir()) / path).string();
    }
    return std::make_unique<EchoDestination>(std::move(path));
  }
};

}  // namespace echo_plugin

DISPATCH_PLUGIN_EXPORT(echo_plugin::EchoFactory)
