// Validation of a slack destination's config entry.
#include "plugins/slack/slack_conf.h"

#include "core/plugin/support.h"

namespace dispatch::plugins {

std::optional<SlackConf> readSlackConf(const plugin::ConfigView& config, std::string* error) {
  if (auto e = plugin::unknownKeyError(config, {"template", "url"}, "slack")) {
    *error = *e;
    return std::nullopt;
  }
  std::optional<std::string> url = plugin::requireKey(config, "url", "slack", error);
  if (!url) return std::nullopt;
  if (!plugin::isHttpUrl(*url)) {
    *error = plugin::configError(config, "url", "must be an absolute http:// or https:// URL");
    return std::nullopt;
  }
  std::optional<std::string> text = plugin::requireKey(config, "template", "slack", error);
  if (!text) return std::nullopt;
  std::string why;
  std::optional<plugin::Template> compiled = plugin::Template::compile(*text, &why);
  if (!compiled) {
    *error = plugin::configError(config, "template", why);
    return std::nullopt;
  }
  return SlackConf{*url, std::move(*compiled)};
}

}  // namespace dispatch::plugins
