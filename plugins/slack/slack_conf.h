// The slack plugin's config: `url` (required; absolute http(s)) and `template` (required).
#pragma once

#include <optional>
#include <string>

#include "core/plugin/destination.h"
#include "core/plugin/template.h"

namespace dispatch::plugins {

struct SlackConf {
  std::string url;
  plugin::Template messageTemplate;
};

// Validates the entry and compiles its template; on error returns nullopt and sets *error
// ("<location>: <key>: …").
std::optional<SlackConf> readSlackConf(const plugin::ConfigView& config, std::string* error);

}  // namespace dispatch::plugins
