// Destinations: scoped health, pause and resume.
#include "core/ingest/destination_service.h"

namespace dispatch::ingest {
namespace {

constexpr int64_t kHourMs = 3'600'000;

}  // namespace

Result<std::string> callerProject(store::ProjectStore& projects,
                                  const std::optional<std::string>& scope,
                                  const std::optional<std::string>& project) {
  if (scope) return *scope;
  if (!project || project->empty()) return Status(Code::kInvalid, "project is required");
  auto row = projects.find(*project);
  if (!row) return row.status();
  return row->id;
}

Result<std::string> DestinationService::destinationProject(
    const std::optional<std::string>& scope, const std::optional<std::string>& project,
    const std::string& name) {
  auto projectId = callerProject(projects_, scope, project);
  if (!projectId) return projectId;
  auto routing = routing_();
  if (!routing || routing->destination(*projectId, name) == nullptr) {
    return Status(Code::kNotFound, "Destination not found");
  }
  return projectId;
}

Result<std::vector<DestinationView>> DestinationService::list(
    const std::optional<std::string>& scope, const std::optional<std::string>& project) {
  auto projectId = callerProject(projects_, scope, project);
  if (!projectId) return projectId.status();
  auto routing = routing_();
  const config::ProjectConfig* p = routing ? routing->project(*projectId) : nullptr;
  std::vector<DestinationView> out;
  if (p == nullptr) return out;  // a project no longer configured has no destinations
  auto health = destinations_.health(*projectId, clock_.nowMs() - kHourMs);
  if (!health) return health.status();
  for (const auto& d : p->destinations) {
    DestinationView v{d.name, d.type, {}};
    auto it = health->find(d.name);
    if (it != health->end()) v.health = it->second;
    v.health.name = d.name;
    out.push_back(std::move(v));
  }
  return out;
}

Result<DestinationView> DestinationService::one(const std::string& projectId,
                                                const std::string& name) {
  auto routing = routing_();
  const route::DestinationEntry* d = routing ? routing->destination(projectId, name) : nullptr;
  if (d == nullptr) return Status(Code::kNotFound, "Destination not found");
  auto health = destinations_.health(projectId, clock_.nowMs() - kHourMs);
  if (!health) return health.status();
  DestinationView v{name, d->config->type, {}};
  auto it = health->find(name);
  if (it != health->end()) v.health = it->second;
  v.health.name = name;
  return v;
}

Result<DestinationView> DestinationService::pause(const std::optional<std::string>& scope,
                                                  const std::optional<std::string>& project,
                                                  const std::string& name) {
  auto projectId = destinationProject(scope, project, name);
  if (!projectId) return projectId.status();
  Status st = destinations_.pause(*projectId, name);
  if (!st) return st;
  if (gatesChanged_) gatesChanged_();
  return one(*projectId, name);
}

Result<DestinationView> DestinationService::resume(const std::optional<std::string>& scope,
                                                   const std::optional<std::string>& project,
                                                   const std::string& name) {
  auto projectId = destinationProject(scope, project, name);
  if (!projectId) return projectId.status();
  Status st = destinations_.resume(*projectId, name);
  if (!st) return st;
  if (gatesChanged_) gatesChanged_();
  if (wake_) wake_(0);
  return one(*projectId, name);
}

}  // namespace dispatch::ingest
