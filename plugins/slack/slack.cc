// The slack destination: a rendered template posted as an incoming-webhook message.
//
// render() makes the plugin's own JSON body ({"text": …}, application/json); the engine signs
// that body, so the webhook-* headers sent with it verify (Slack ignores them; a receiver behind
// a Slack-compatible relay can check them). deliver() posts it with the engine's headers.
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

  plugin::Rendered render(const plugin::Delivery& d) const override {
    std::string text = plugin::truncateChars(
        conf_.messageTemplate.render(plugin::templateContext(d), &escapeSlack), kMaxTextChars);
    if (text.empty()) return plugin::Rendered::failed("rendered template is empty");
    return plugin::Rendered::as("{\"text\":" + plugin::jsonQuote(text) + "}", "application/json");
  }

  plugin::DeliveryResult deliver(const plugin::Delivery& d) override {
    const std::string& url = d.url.empty() ? conf_.url : d.url;
    return http_.post(url, d.headers, d.body, d.timeoutMs, d.maxResponseBytes);
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
