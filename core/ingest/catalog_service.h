// What a caller may know of the config (http-api.md additions: `GET /api/v1/projects`,
// `GET /api/v1/sources`): its projects, and their source endpoints with the links that leave
// them. Secrets, destination URLs and header values never leave the config; a link's transform
// source does, so the dashboard's playground can start from it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/route/routing.h"
#include "core/util/status.h"

namespace dispatch::ingest {

struct ProjectView {
  std::string id;
  std::string name;
};

struct LinkView {
  std::string destination;
  std::vector<std::string> events;  // the link's own type globs; empty = all
  bool filtered = false;            // a `filter` on the link or its destination
  std::string transformName;        // empty: no transform
  std::string lua;
};

struct SourceView {
  ProjectView project;
  std::string slug;
  std::string preset;
  bool allowUnsigned = false;
  std::string eventTypeHeader;  // at most one of the two is set
  std::string eventTypePath;
  std::string idempotencyHeader;
  std::vector<LinkView> links;
};

class CatalogService {
 public:
  using RoutingSource = std::function<std::shared_ptr<const route::Routing>()>;
  explicit CatalogService(RoutingSource routing) : routing_(std::move(routing)) {}

  // The caller's projects, by name: its key's project, or every configured one (`scope`
  // nullopt, the admin).
  std::vector<ProjectView> projects(const std::optional<std::string>& scope) const;
  // Their sources in config order; `project` (a name or id) narrows the admin's list
  // (kNotFound "Project not found" when no configured project has it). A key's own project
  // is the only one it sees, whatever `project` says.
  Result<std::vector<SourceView>> sources(const std::optional<std::string>& scope,
                                          const std::optional<std::string>& project) const;

 private:
  RoutingSource routing_;
};

}  // namespace dispatch::ingest
