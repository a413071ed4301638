// The table of destination plugin types (type name → factory). Built-ins are added by the
// CMake-generated registerBuiltinPlugins(), `.so` plugins by loader.h. A duplicate name is an
// error, never an override (Envoy's registry).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/plugin/destination.h"
#include "core/util/status.h"

namespace dispatch::plugin {

// Filled once at start, then read-only: find() and names() are safe from many threads;
// add() must not run concurrently with anything else.
class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registers `factory` under factory.name(); not owned, must outlive the registry. Refuses
  // (kConflict) a name already registered and (kInvalid) a name that is not [a-z][a-z0-9_-]*.
  Status add(const DestinationFactory& factory);
  // The factory of a type, or nullptr.
  const DestinationFactory* find(std::string_view type) const;
  // Registered type names, sorted.
  std::vector<std::string> names() const;

 private:
  std::map<std::string, const DestinationFactory*, std::less<>> factories_;
};

// True for a usable type name: a lower-case letter, then lower-case letters, digits, '-', '_'.
bool isValidTypeName(std::string_view name);

// Adds every built-in plugin (the folders under plugins/). Defined in the file CMake generates
// from that list (build/generated/builtin_plugins.cc). Fails only on a name clash.
Status registerBuiltinPlugins(Registry& registry);

}  // namespace dispatch::plugin
