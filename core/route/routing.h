// The routing table of one config snapshot: verifiers per source, compiled transforms per
// link, destination instances per destination. Built at start and at every reload; a
// snapshot that fails to build is refused and the old one stays. Immutable, thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.h"
#include "core/model/event.h"
#include "core/plugin/destination.h"
#include "core/util/lazy_json.h"
#include "core/util/status.h"

namespace dispatch::verify {
class Verifier;
}
namespace dispatch::transform {
class Transform;
}
namespace dispatch::plugin {
class Registry;
}

namespace dispatch::route {

struct SourceEntry {
  const config::ProjectConfig* project = nullptr;
  const config::SourceConfig* source = nullptr;
  std::string projectId;
  std::string endpointId;                            // stable UUID of the source endpoint
  std::shared_ptr<const verify::Verifier> verifier;  // null for none and api-key
};

struct DestinationEntry {
  const config::ProjectConfig* project = nullptr;
  const config::DestinationConfig* config = nullptr;
  std::shared_ptr<plugin::Destination> impl;
  std::vector<std::string> signingKeys;  // raw keys: the destination's secret, else the project's
};

struct LinkEntry {
  const config::LinkConfig* link = nullptr;
  const DestinationEntry* destination = nullptr;
  std::shared_ptr<const transform::Transform> transform;  // null: none
};

// The stable id of a source endpoint.
std::string endpointIdFor(const std::string& project, const std::string& slug);

class Routing {
 public:
  // Builds the table. On failure returns null and fills `errors` ("location: message").
  static std::shared_ptr<const Routing> build(std::shared_ptr<const config::Config> cfg,
                                              const plugin::Registry& registry,
                                              const plugin::Services& services,
                                              std::vector<std::string>* errors);

  const config::Config& config() const { return *cfg_; }
  std::shared_ptr<const config::Config> configPtr() const { return cfg_; }
  const SourceEntry* source(std::string_view slug) const;
  // The project with this id, or nullptr (a project removed from the config).
  const config::ProjectConfig* project(const std::string& projectId) const;
  // Every configured project by id.
  const std::map<std::string, const config::ProjectConfig*>& projects() const { return projects_; }
  const DestinationEntry* destination(const std::string& projectId, const std::string& name) const;

  // Filters and transforms `e` through every link of its source. `body` is `e.body`, parsed at
  // most once for everything that reads it: pass the one the event type was read from.
  // Filters see the event as received (before any transform), so a link they turn away runs
  // no transform; a body is parsed only when a filter reaches a body condition.
  model::RoutePlan plan(const model::IncomingEvent& e, json::LazyValue& body) const;
  // As above, parsing `e.body` itself if a filter needs it (replay).
  model::RoutePlan plan(const model::IncomingEvent& e) const;

 private:
  std::shared_ptr<const config::Config> cfg_;
  std::map<std::string, SourceEntry, std::less<>> sources_;           // by slug
  std::map<std::string, const config::ProjectConfig*> projects_;      // by id
  std::map<std::string, DestinationEntry> destinations_;              // projectId + '/' + name
  std::map<std::string, std::vector<LinkEntry>, std::less<>> links_;  // by source slug
};

}  // namespace dispatch::route
