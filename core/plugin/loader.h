// Loads external destination plugins: shared libraries in `plugins_dir`, each checked for
// `dispatch_plugin_api_version() == kApiVersion` before Poco::ClassLoader builds its manifest
// and creates its one factory.
#pragma once

#include <string>
#include <vector>

#include "core/plugin/registry.h"
#include "core/util/status.h"

namespace dispatch::plugin {

// Loads one library and adds its factory to `registry`. Every error names the file:
// cannot be opened, no dispatch_plugin_api_version symbol, another API version, no manifest
// or not exactly one class in it, or (kConflict) a type name already in `registry`.
// Libraries and factories stay loaded for the process lifetime; loading the same file again
// (e.g. into the registry of a later config) reuses them. Thread-safe.
Status loadPluginFile(const std::string& path, Registry& registry);

// Loads every regular `*.so` file of `dir`, in name order. One error per refused file (or one
// for an unreadable `dir`); the others are still loaded. Thread-safe.
std::vector<std::string> loadPluginDir(const std::string& dir, Registry& registry);

}  // namespace dispatch::plugin
