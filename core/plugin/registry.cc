// The destination plugin registry: a name-keyed table that refuses duplicates.
#include "core/plugin/registry.h"

namespace dispatch::plugin {

bool isValidTypeName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] < 'a' || name[0] > 'z') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

Status Registry::add(const DestinationFactory& factory) {
  std::string name = factory.name();
  if (!isValidTypeName(name)) {
    return Status(Code::kInvalid, "invalid destination type name '" + name +
                                      "' (expected [a-z][a-z0-9_-]*, at most 64 characters)");
  }
  auto [it, inserted] = factories_.emplace(name, &factory);
  if (!inserted) {
    return Status(Code::kConflict, "destination type '" + name + "' is already registered");
  }
  return Status::ok();
}

const DestinationFactory* Registry::find(std::string_view type) const {
  auto it = factories_.find(type);
  return it == factories_.end() ? nullptr : it->second;
}

std::vector<std::string> Registry::names() const {
  std::vector<std::string> out;
  out.reserve(factories_.size());
  for (const auto& [name, factory] : factories_) out.push_back(name);
  return out;
}

}  // namespace dispatch::plugin
