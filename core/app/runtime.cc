// Config file → routing snapshot.
#include "core/app/runtime.h"

#include "core/config/config.h"
#include "core/plugin/destinations.h"

namespace dispatch::app {
namespace {

class NullSender : public plugin::HttpSender {
 public:
  plugin::DeliveryResult post(const std::string&,
                              const std::vector<std::pair<std::string, std::string>>&,
                              const std::string&, int64_t, int64_t) override {
    return plugin::DeliveryResult::permanent("not sending (validation only)");
  }
};

}  // namespace

plugin::HttpSender& nullSender() {
  static NullSender s;
  return s;
}

Loaded loadRouting(const std::string& path, const plugin::Registry& registry,
                   const plugin::Services& services) {
  Loaded out;
  auto cfg = config::loadFile(path);
  if (!cfg.config) {
    out.errors = std::move(cfg.errors);
    return out;
  }
  out.routing = route::Routing::build(cfg.config, registry, services, &out.errors);
  return out;
}

Loaded loadRoutingWithPlugins(const std::string& path, plugin::Registry& registry,
                              const plugin::Services& services) {
  Loaded out;
  auto cfg = config::loadFile(path);
  if (!cfg.config) {
    out.errors = std::move(cfg.errors);
    return out;
  }
  out.errors = plugin::setupRegistry(*cfg.config, registry);
  if (!out.errors.empty()) return out;
  out.routing = route::Routing::build(cfg.config, registry, services, &out.errors);
  return out;
}

}  // namespace dispatch::app
