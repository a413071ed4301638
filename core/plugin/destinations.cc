// Registry setup, destination creation and validation over the loaded config.
#include "core/plugin/destinations.h"

#include "core/plugin/config_view.h"
#include "core/plugin/loader.h"

namespace dispatch::plugin {
namespace {

// Stands in for the engine's sender while validating: create() must not send anything.
class NeverSender final : public HttpSender {
 public:
  DeliveryResult post(const std::string&, const std::vector<std::pair<std::string, std::string>>&,
                      const std::string&, int64_t, int64_t) override {
    return DeliveryResult::permanent("validation only: no request is sent");
  }
};

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out.append(out.empty() ? "" : ", ").append(n);
  return out;
}

}  // namespace

std::vector<std::string> setupRegistry(const config::Config& config, Registry& registry) {
  std::vector<std::string> errors;
  if (Status s = registerBuiltinPlugins(registry); !s) errors.push_back(s.message());
  if (!config.pluginsDir.empty()) {
    for (std::string& e : loadPluginDir(config.pluginsDir, registry)) {
      errors.push_back(std::move(e));
    }
  }
  return errors;
}

Result<std::unique_ptr<Destination>> createDestination(const Registry& registry,
                                                       const config::Config& config,
                                                       const config::DestinationConfig& destination,
                                                       const Services& services) {
  const DestinationFactory* factory = registry.find(destination.type);
  if (factory == nullptr) {
    return Status(Code::kInvalid, destination.location + ": type: unknown destination type '" +
                                      destination.type + "' (known: " + joined(registry.names()) +
                                      ")");
  }
  DestinationConfigView view(destination, config.baseDir, config.filesDir);
  std::string error;
  std::unique_ptr<Destination> created = factory->create(view, services, &error);
  if (created == nullptr) {
    if (error.empty()) error = destination.location + ": type: " + destination.type + " refused";
    return Status(Code::kInvalid, std::move(error));
  }
  return created;
}

std::vector<std::string> checkDestinations(const Registry& registry, const config::Config& config) {
  NeverSender sender;
  Services services;
  services.http = &sender;
  std::vector<std::string> errors;
  for (const config::ProjectConfig& project : config.projects) {
    for (const config::DestinationConfig& d : project.destinations) {
      auto created = createDestination(registry, config, d, services);
      if (!created) errors.push_back(created.status().message());
    }
  }
  return errors;
}

DestinationSet::BuildResult DestinationSet::build(const Registry& registry,
                                                  const config::Config& config,
                                                  const Services& services) {
  auto set = std::make_shared<DestinationSet>();
  BuildResult result;
  for (const config::ProjectConfig& project : config.projects) {
    for (const config::DestinationConfig& d : project.destinations) {
      auto created = createDestination(registry, config, d, services);
      if (!created) {
        result.errors.push_back(created.status().message());
        continue;
      }
      set->destinations_[{project.name, d.name}] = std::move(created).value();
    }
  }
  if (result.errors.empty()) result.set = std::move(set);
  return result;
}

Destination* DestinationSet::find(const std::string& project, const std::string& name) const {
  auto it = destinations_.find({project, name});
  return it == destinations_.end() ? nullptr : it->second.get();
}

}  // namespace dispatch::plugin
