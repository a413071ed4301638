// Projects and sources as the API shows them (catalog_service.h).
#include "core/ingest/catalog_service.h"

#include <algorithm>

namespace dispatch::ingest {
namespace {

SourceView viewOf(const ProjectView& project, const config::ProjectConfig& p,
                  const config::SourceConfig& s) {
  SourceView v;
  v.project = project;
  v.slug = s.slug;
  v.preset = s.verify.preset;
  v.allowUnsigned = s.allowUnsigned;
  v.eventTypeHeader = s.eventType.header;
  v.eventTypePath = s.eventType.path;
  v.idempotencyHeader = s.idempotencyHeader;
  for (const auto& l : p.links) {
    if (l.source != s.slug) continue;
    LinkView lv;
    lv.destination = l.destination;
    lv.events = l.events;
    lv.filtered = l.filter != nullptr;
    for (const auto& d : p.destinations) {
      if (d.name == l.destination && d.filter) lv.filtered = true;
    }
    if (!l.lua.empty()) {
      lv.transformName = l.transformName;
      lv.lua = l.lua;
    }
    v.links.push_back(std::move(lv));
  }
  return v;
}

}  // namespace

std::vector<ProjectView> CatalogService::projects(const std::optional<std::string>& scope) const {
  std::vector<ProjectView> out;
  auto routing = routing_();
  if (!routing) return out;
  for (const auto& [id, p] : routing->projects()) {
    if (!scope || *scope == id) out.push_back(ProjectView{id, p->name});
  }
  std::sort(out.begin(), out.end(),
            [](const ProjectView& a, const ProjectView& b) { return a.name < b.name; });
  return out;
}

Result<std::vector<SourceView>> CatalogService::sources(
    const std::optional<std::string>& scope, const std::optional<std::string>& project) const {
  std::vector<ProjectView> visible = projects(scope);
  if (!scope && project && !project->empty()) {
    auto it = std::find_if(visible.begin(), visible.end(), [&](const ProjectView& v) {
      return v.id == *project || v.name == *project;
    });
    if (it == visible.end()) return Status(Code::kNotFound, "Project not found");
    visible = {*it};
  }
  auto routing = routing_();
  std::vector<SourceView> out;
  for (const auto& pv : visible) {
    const config::ProjectConfig* p = routing ? routing->project(pv.id) : nullptr;
    if (p == nullptr) continue;
    for (const auto& s : p->sources) out.push_back(viewOf(pv, *p, s));
  }
  return out;
}

}  // namespace dispatch::ingest
