// Validation of a webhook destination's config entry.
#include "plugins/webhook/webhook_conf.h"

#include "core/plugin/support.h"

namespace dispatch::plugins {

std::optional<WebhookConf> readWebhookConf(const plugin::ConfigView& config, std::string* error) {
  if (auto e = plugin::unknownKeyError(config, {"url"}, "webhook")) {
    *error = *e;
    return std::nullopt;
  }
  std::optional<std::string> url = plugin::requireKey(config, "url", "webhook", error);
  if (!url) return std::nullopt;
  if (!plugin::isHttpUrl(*url)) {
    *error = plugin::configError(config, "url", "must be an absolute http:// or https:// URL");
    return std::nullopt;
  }
  return WebhookConf{*url};
}

}  // namespace dispatch::plugins
