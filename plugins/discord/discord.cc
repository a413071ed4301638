// The discord destination: a rendered template posted as a webhook message.
//
// render() makes the plugin's own JSON body ({"content": …}, application/json); the engine signs
// that body, so the webhook-* headers sent with it verify (Discord ignores them; a receiver
// behind a Discord-compatible relay can check them). deliver() posts it with the engine's
// headers.
#include "plugins/discord/discord.h"

#include "core/plugin/support.h"
#include "plugins/discord/discord_conf.h"

namespace dispatch::plugins {
namespace {

// Discord refuses `content` over 2,000 characters; longer messages are cut with "…".
constexpr size_t kMaxContentChars = 2'000;

class DiscordDestination final : public plugin::Destination {
 public:
  DiscordDestination(DiscordConf conf, plugin::HttpSender& http)
      : conf_(std::move(conf)), http_(http) {}

  plugin::Rendered render(const plugin::Delivery& d) const override {
    std::string content = plugin::truncateChars(
        conf_.messageTemplate.render(plugin::templateContext(d)), kMaxContentChars);
    if (content.empty()) return plugin::Rendered::failed("rendered template is empty");
    return plugin::Rendered::as("{\"content\":" + plugin::jsonQuote(content) + "}",
                                "application/json");
  }

  plugin::DeliveryResult deliver(const plugin::Delivery& d) override {
    const std::string& url = d.url.empty() ? conf_.url : d.url;
    return http_.post(url, d.headers, d.body, d.timeoutMs, d.maxResponseBytes);
  }

 private:
  const DiscordConf conf_;
  plugin::HttpSender& http_;
};

class DiscordFactory final : public plugin::DestinationFactory {
 public:
  std::string name() const override { return "discord"; }

  std::unique_ptr<plugin::Destination> create(const plugin::ConfigView& config,
                                              const plugin::Services& services,
                                              std::string* error) const override {
    std::optional<DiscordConf> conf = readDiscordConf(config, error);
    if (!conf) return nullptr;
    return std::make_unique<DiscordDestination>(std::move(*conf), *services.http);
  }
};

}  // namespace

const plugin::DestinationFactory& discordFactory() {
  static const DiscordFactory factory;
  return factory;
}

}  // namespace dispatch::plugins
