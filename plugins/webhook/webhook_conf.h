// The webhook plugin's config: `url` (required; an absolute http(s) URL).
#pragma once

#include <optional>
#include <string>

#include "core/plugin/destination.h"

namespace dispatch::plugins {

struct WebhookConf {
  std::string url;
};

// Validates the entry; on error returns nullopt and sets *error ("<location>: <key>: …").
std::optional<WebhookConf> readWebhookConf(const plugin::ConfigView& config, std::string* error);

}  // namespace dispatch::plugins
