// The webhook destination: one POST of the body as is; the engine classifies the outcome.
#include "plugins/webhook/webhook.h"

#include "plugins/webhook/webhook_conf.h"

namespace dispatch::plugins {
namespace {

class WebhookDestination final : public plugin::Destination {
 public:
  WebhookDestination(WebhookConf conf, plugin::HttpSender& http)
      : conf_(std::move(conf)), http_(http) {}

  // The delivered body, byte for byte: what the engine signs is what the receiver gets.
  plugin::Rendered render(const plugin::Delivery& d) const override {
    return plugin::Rendered::as(d.body);
  }

  plugin::DeliveryResult deliver(const plugin::Delivery& d) override {
    const std::string& url = d.url.empty() ? conf_.url : d.url;
    return http_.post(url, d.headers, d.body, d.timeoutMs, d.maxResponseBytes);
  }

 private:
  const WebhookConf conf_;
  plugin::HttpSender& http_;
};

class WebhookFactory final : public plugin::DestinationFactory {
 public:
  std::string name() const override { return "webhook"; }

  std::unique_ptr<plugin::Destination> create(const plugin::ConfigView& config,
                                              const plugin::Services& services,
                                              std::string* error) const override {
    std::optional<WebhookConf> conf = readWebhookConf(config, error);
    if (!conf) return nullptr;
    return std::make_unique<WebhookDestination>(std::move(*conf), *services.http);
  }
};

}  // namespace

const plugin::DestinationFactory& webhookFactory() {
  static const WebhookFactory factory;
  return factory;
}

}  // namespace dispatch::plugins
