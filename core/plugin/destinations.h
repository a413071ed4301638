// From config to Destinations: filling the registry at start, creating one destination per
// config entry, validating all of them (check-config, reload), and the set the workers use.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/config/config.h"
#include "core/plugin/destination.h"
#include "core/plugin/registry.h"
#include "core/util/status.h"

namespace dispatch::plugin {

// Registers the built-in plugins, then the `.so` plugins of `config.pluginsDir` (if set).
// Returns config errors (fatal at start), each naming the file at fault.
std::vector<std::string> setupRegistry(const config::Config& config, Registry& registry);

// Creates the destination `destination` (an entry of `config`) configures, with the factory
// of its `type`. kInvalid errors read "<file:line:col>: <key>: <message>": an unknown type
// (listing the known ones) or the plugin's own validation. `services.http` must not be null.
Result<std::unique_ptr<Destination>> createDestination(const Registry& registry,
                                                       const config::Config& config,
                                                       const config::DestinationConfig& destination,
                                                       const Services& services);

// Validates every destination of `config` by creating it against a sender that never sends
// (create() only validates: it sends and writes nothing). Empty when all are valid.
std::vector<std::string> checkDestinations(const Registry& registry, const config::Config& config);

// Every destination of one config snapshot, created once and shared by the delivery workers
// (Destination::deliver is thread-safe). Immutable after build().
class DestinationSet {
 public:
  struct BuildResult {
    std::shared_ptr<const DestinationSet> set;  // null when errors is not empty
    std::vector<std::string> errors;
  };
  // Creates all destinations of `config`; `services` must outlive the set.
  static BuildResult build(const Registry& registry, const config::Config& config,
                           const Services& services);

  // The destination `name` of project `project`, or nullptr.
  Destination* find(const std::string& project, const std::string& name) const;

 private:
  std::map<std::pair<std::string, std::string>, std::unique_ptr<Destination>> destinations_;
};

}  // namespace dispatch::plugin
