// The file plugin's config: `path` (required; relative to the config file's directory).
#pragma once

#include <optional>
#include <string>

#include "core/plugin/destination.h"

namespace dispatch::plugins {

struct FileConf {
  std::string path;  // resolved: absolute when the config's base directory is
};

// Validates the entry; the file's directory must exist (the file is created on the first
// delivery). On error returns nullopt and sets *error ("<location>: <key>: …").
std::optional<FileConf> readFileConf(const plugin::ConfigView& config, std::string* error);

}  // namespace dispatch::plugins
