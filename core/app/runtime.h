// Loading a config file into a running shape: the typed Config plus its routing table
// (transforms compiled, destinations created, verifiers built). Used by `serve` (start and
// reload), `check-config` and the CLI commands that route events.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/plugin/registry.h"
#include "core/route/routing.h"

namespace dispatch::app {

struct Loaded {
  std::shared_ptr<const route::Routing> routing;  // null when errors is not empty
  std::vector<std::string> errors;
};

// Reads, validates and builds. `registry` must already hold the plugin types.
Loaded loadRouting(const std::string& path, const plugin::Registry& registry,
                   const plugin::Services& services);

// Reads the config only far enough to fill the registry (built-ins + plugins_dir), then
// builds the routing. For one-shot CLI commands.
Loaded loadRoutingWithPlugins(const std::string& path, plugin::Registry& registry,
                              const plugin::Services& services);

// The current snapshot; a reload swaps the pointer. Thread-safe.
class RoutingHolder {
 public:
  explicit RoutingHolder(std::shared_ptr<const route::Routing> r) : r_(std::move(r)) {}
  std::shared_ptr<const route::Routing> get() const {
    std::lock_guard<std::mutex> g(mu_);
    return r_;
  }
  void set(std::shared_ptr<const route::Routing> r) {
    std::lock_guard<std::mutex> g(mu_);
    r_ = std::move(r);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const route::Routing> r_;
};

// A sender for validation-only builds: never sends.
plugin::HttpSender& nullSender();

}  // namespace dispatch::app
