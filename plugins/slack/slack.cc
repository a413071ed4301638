// The slack destination: a rendered template posted as an incoming-webhook message.
//
// The body is the plugin's own JSON, not the delivered body, so the engine's Standard Webhooks
// signature (computed over the delivered body) would not verify; Slack does not check it
// either. The webhook-id/-timestamp/-signature headers are therefore dropped, and Content-Type
// becomes application/json. Other headers (User-Agent, X-<P>-…, configured ones) are kept.
#include "plugins/slack/slack.h"

#include "core/plugin/support.h"
#include "plugins/slack/slack_conf.h"

namespace dispatch::plugins {
namespace {

// Slack's limit for `text` is 40,000 characters; longer messages are cut with "…".
constexpr size_t kMaxTextChars = 40'000;

// Slack's markup treats &, < and > as control characters (<!channel>, <url|label>): escape
// them in substituted values so a payload cannot mention or link; the template's own text
// keeps its markup.
std::string escapeSlack(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

class SlackDestination final : public plugin::Destination {
 public:
  SlackDestination(SlackConf conf, plugin::HttpSender& http)
      : conf_(std::move(conf)), http_(http) {}

  plugin::DeliveryResult deliver(const plugin::Delivery& d) override {
    std::string text = plugin::truncateChars(
        conf_.messageTemplate.render(plugin::templateContext(d), &escapeSlack), kMaxTextChars);
    if (text.empty()) return plugin::DeliveryResult::permanent("rendered template is empty");
    auto headers = plugin::withoutHeaders(
        d.headers, {"webhook-id", "webhook-timestamp", "webhook-signature", "content-type"});
    headers.emplace_back("Content-Type", "application/json");
    const std::string& url = d.url.empty() ? conf_.url : d.url;
    return http_.post(url, headers, "{\"text\":" + plugin::jsonQuote(text) + "}", d.timeoutMs,
                      d.maxResponseBytes);
  }

 private:
  const SlackConf conf_;
  plugin::HttpSender& http_;
};

class SlackFactory final : public plugin::DestinationFactory {
 public:
  std::string name() const override { return "slack"; }

  std::unique_ptr<plugin::Destination> create(const plugin::ConfigView& config,
                                              const plugin::Services& services,
                                              std::string* error) const override {
    std::optional<SlackConf> conf = readSlackConf(config, error);
    if (!conf) return nullptr;
    return std::make_unique<SlackDestination>(std::move(*conf), *services.http);
  }
};

}  // namespace

const plugin::DestinationFactory& slackFactory() {
  static const SlackFactory factory;
  return factory;
}

}  // namespace dispatch::plugins
