// The discord destination: a rendered template posted as a webhook message.
//
// The body is the plugin's own JSON, not the delivered body, so the engine's Standard Webhooks
// signature (computed over the delivered body) would not verify; Discord does not check it
// either. The webhook-id/-timestamp/-signature headers are therefore dropped, and Content-Type
// becomes application/json. Other headers (User-Agent, X-<P>-…, configured ones) are kept.
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

  plugin::DeliveryResult deliver(const plugin::Delivery& d) override {
    std::string content = plugin::truncateChars(
        conf_.messageTemplate.render(plugin::templateContext(d)), kMaxContentChars);
    if (content.empty()) return plugin::DeliveryResult::permanent("rendered template is empty");
    auto headers = plugin::withoutHeaders(
        d.headers, {"webhook-id", "webhook-timestamp", "webhook-signature", "content-type"});
    headers.emplace_back("Content-Type", "application/json");
    const std::string& url = d.url.empty() ? conf_.url : d.url;
    return http_.post(url, headers, "{\"content\":" + plugin::jsonQuote(content) + "}", d.timeoutMs,
                      d.maxResponseBytes);
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
