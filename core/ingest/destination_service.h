// The destinations API's rules (contracts/http-api.md "Destinations: health, pause, circuit
// breaker"): which destinations a caller may see and act on (a key its own project's, the
// admin a named project's), their health, pause and resume. A destination is one the current
// config names; any other name, or another project's, is kNotFound.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/model/destination.h"
#include "core/route/routing.h"
#include "core/store/destination_store.h"
#include "core/store/project_store.h"
#include "core/util/time.h"

namespace dispatch::ingest {

// One destination as the API shows it: its config's name and type, and its health.
struct DestinationView {
  std::string name;
  std::string type;
  model::DestinationHealth health;
};

// The project a caller acts in: its key's (`scope`), or for the admin (`scope` nullopt) the
// one named by `project` (a name or id): kInvalid "project is required" without it,
// kNotFound for an unknown one.
Result<std::string> callerProject(store::ProjectStore& projects,
                                  const std::optional<std::string>& scope,
                                  const std::optional<std::string>& project);

class DestinationService {
 public:
  using RoutingSource = std::function<std::shared_ptr<const route::Routing>()>;
  // `wake` is told when held deliveries were released; `gatesChanged` when this node paused
  // or resumed one (its engine re-reads the gates at once rather than within a second).
  DestinationService(store::Db& db, RoutingSource routing, const Clock& clock,
                     std::function<void(TimeMs)> wake, std::function<void()> gatesChanged)
      : destinations_(db),
        projects_(db),
        routing_(std::move(routing)),
        clock_(clock),
        wake_(std::move(wake)),
        gatesChanged_(std::move(gatesChanged)) {}

  // The project's configured destinations with their health, in config order.
  Result<std::vector<DestinationView>> list(const std::optional<std::string>& scope,
                                            const std::optional<std::string>& project);
  // Pauses (resumes) the destination; it as it is now.
  Result<DestinationView> pause(const std::optional<std::string>& scope,
                                const std::optional<std::string>& project, const std::string& name);
  Result<DestinationView> resume(const std::optional<std::string>& scope,
                                 const std::optional<std::string>& project,
                                 const std::string& name);
  // The id of the project whose configured destination `name` the caller may act on;
  // kNotFound "Destination not found" when the current config has no such destination there.
  Result<std::string> destinationProject(const std::optional<std::string>& scope,
                                         const std::optional<std::string>& project,
                                         const std::string& name);

 private:
  Result<DestinationView> one(const std::string& projectId, const std::string& name);

  store::DestinationStore destinations_;
  store::ProjectStore projects_;
  RoutingSource routing_;
  const Clock& clock_;
  std::function<void(TimeMs)> wake_;
  std::function<void()> gatesChanged_;
};

}  // namespace dispatch::ingest
