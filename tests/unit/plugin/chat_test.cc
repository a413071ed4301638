// The webhook, slack and discord plugins against a recording HttpSender: what they send.
#include <gtest/gtest.h>

#include "core/util/json.h"
#include "tests/unit/plugin/plugin_test_util.h"

namespace dispatch::plugin {
namespace {

using testing::createBuiltin;
using testing::destinationConfig;
using testing::RecordingSender;
using testing::sampleDelivery;

constexpr char kIssueBody[] = R"({"action":"opened","issue":{"title":"Crash <!channel> & more"}})";

std::unique_ptr<Destination> create(const std::string& type, RecordingSender& sender,
                                    const std::string& tmpl) {
  std::string error;
  auto d = createBuiltin(
      destinationConfig(type, "https://hooks.example.com/T000/B000", {{"template", tmpl}}), sender,
      &error);
  EXPECT_NE(d, nullptr) << error;
  return d;
}

// The one string member `field` of a JSON object body, checking it has no other member.
std::string onlyField(const std::string& body, std::string_view field) {
  Result<json::Value> v = json::parse(body);
  EXPECT_TRUE(v.isOk()) << body;
  if (!v.isOk()) return "<invalid JSON>";
  EXPECT_EQ(v->members().size(), 1u) << body;
  const json::Value* f = v->find(field);
  EXPECT_TRUE(f != nullptr && f->isString()) << body;
  return f != nullptr ? f->asString() : "<missing>";
}

TEST(PluginWebhookTest, PostsBodyAndHeadersAsIs) {
  RecordingSender sender;
  sender.reply.status = 503;
  sender.reply.retryAfter = "30";
  std::string error;
  auto dest =
      createBuiltin(destinationConfig("webhook", "https://ci.example.com/hooks"), sender, &error);
  ASSERT_NE(dest, nullptr) << error;
  Delivery d = sampleDelivery(R"({"n": 1.50})");
  DeliveryResult r = dest->deliver(d);
  EXPECT_EQ(r.status, 503);  // reported as the sender saw it: the engine decides
  EXPECT_EQ(r.retryAfter, "30");
  auto requests = sender.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].url, "https://ci.example.com/hooks");
  EXPECT_EQ(requests[0].body, R"({"n": 1.50})");
  EXPECT_EQ(requests[0].headers, d.headers);
  EXPECT_EQ(requests[0].timeoutMs, 5'000);
  EXPECT_EQ(requests[0].maxResponseBytes, 1024);
}

TEST(PluginWebhookTest, UsesTheDeliverysRecordedUrl) {
  RecordingSender sender;
  std::string error;
  auto dest =
      createBuiltin(destinationConfig("webhook", "https://new.example.com/hooks"), sender, &error);
  ASSERT_NE(dest, nullptr) << error;
  Delivery d = sampleDelivery("{}");
  d.url = "https://old.example.com/hooks";
  dest->deliver(d);
  EXPECT_EQ(sender.requests().at(0).url, "https://old.example.com/hooks");
}

TEST(PluginSlackTest, SendsRenderedTextAsJson) {
  RecordingSender sender;
  auto dest = create("slack", sender, "*{{source}}* sent {{type}}: {{body.action}} <{{id}}>");
  ASSERT_NE(dest, nullptr);
  DeliveryResult r = dest->deliver(sampleDelivery(kIssueBody));
  EXPECT_EQ(r.status, 200);
  auto requests = sender.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].url, "https://hooks.example.com/T000/B000");
  EXPECT_EQ(requests[0].body, R"({"text":"*github* sent issues: opened <evt_1>"})");
  EXPECT_EQ(requests[0].timeoutMs, 5'000);
}

TEST(PluginSlackTest, EscapesMarkupInValuesOnly) {
  RecordingSender sender;
  auto dest = create("slack", sender, "<https://x.example|{{body.issue.title}}>");
  ASSERT_NE(dest, nullptr);
  dest->deliver(sampleDelivery(kIssueBody));
  EXPECT_EQ(onlyField(sender.requests().at(0).body, "text"),
            "<https://x.example|Crash &lt;!channel&gt; &amp; more>");
}

TEST(PluginSlackTest, DropsSignatureHeadersAndSetsJsonContentType) {
  RecordingSender sender;
  auto dest = create("slack", sender, "{{type}}");
  ASSERT_NE(dest, nullptr);
  Delivery d = sampleDelivery("{}");
  d.headers[0].second = "text/plain";
  d.headers.emplace_back("WEBHOOK-SIGNATURE", "v1,upper=");
  dest->deliver(d);
  const auto requests = sender.requests();
  const auto& request = requests.at(0);
  EXPECT_EQ(request.headers, (std::vector<std::pair<std::string, std::string>>{
                                 {"User-Agent", "Dispatch/0.1.0"},
                                 {"X-Dispatch-Event-ID", "evt_1"},
                                 {"Content-Type", "application/json"}}));
}

TEST(PluginSlackTest, CapsTextAt40000Characters) {
  RecordingSender sender;
  auto dest = create("slack", sender, "{{body}}");
  ASSERT_NE(dest, nullptr);
  std::string big;
  for (int i = 0; i < 50'000; ++i) big += "é";  // 2 bytes, 1 character each
  dest->deliver(sampleDelivery(big));
  std::string text = onlyField(sender.requests().at(0).body, "text");
  EXPECT_EQ(text.size(), 39'999u * 2 + 3);  // 39,999 × é + "…"
  EXPECT_EQ(text.substr(text.size() - 3), "\xE2\x80\xA6");
}

TEST(PluginSlackTest, EmptyRenderingIsPermanent) {
  RecordingSender sender;
  auto dest = create("slack", sender, "{{body.missing}}");
  ASSERT_NE(dest, nullptr);
  DeliveryResult r = dest->deliver(sampleDelivery(kIssueBody));
  EXPECT_EQ(r.kind, DeliveryResult::Kind::kPermanent);
  EXPECT_EQ(r.error, "rendered template is empty");
  EXPECT_TRUE(sender.requests().empty());
}

TEST(PluginDiscordTest, SendsRenderedContentAsJson) {
  RecordingSender sender;
  auto dest = create("discord", sender, "**{{source}}** {{type}}: {{body.issue.title}}\n{{body}}");
  ASSERT_NE(dest, nullptr);
  dest->deliver(sampleDelivery(R"({"issue":{"title":"a \"quoted\" <b>"}})"));
  auto requests = sender.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(
      requests[0].body,
      R"({"content":"**github** issues: a \"quoted\" <b>\n{\"issue\":{\"title\":\"a \\\"quoted\\\" <b>\"}}"})");
  EXPECT_EQ(
      onlyField(requests[0].body, "content"),
      "**github** issues: a \"quoted\" <b>\n{\"issue\":{\"title\":\"a \\\"quoted\\\" <b>\"}}");
  EXPECT_EQ(requests[0].header("Content-Type"), "application/json");
  EXPECT_EQ(requests[0].header("webhook-signature"), "<absent>");
  EXPECT_EQ(requests[0].header("webhook-id"), "<absent>");
  EXPECT_EQ(requests[0].header("webhook-timestamp"), "<absent>");
  EXPECT_EQ(requests[0].header("User-Agent"), "Dispatch/0.1.0");
}

TEST(PluginDiscordTest, CapsContentAt2000Characters) {
  RecordingSender sender;
  auto dest = create("discord", sender, "{{type}} {{body}}");
  ASSERT_NE(dest, nullptr);
  dest->deliver(sampleDelivery(std::string(5'000, 'x')));
  std::string content = onlyField(sender.requests().at(0).body, "content");
  EXPECT_EQ(content, "issues " + std::string(1'992, 'x') + "\xE2\x80\xA6");

  dest->deliver(sampleDelivery(std::string(1'993, 'x')));  // exactly 2,000: kept whole
  EXPECT_EQ(onlyField(sender.requests().at(1).body, "content"),
            "issues " + std::string(1'993, 'x'));
}

TEST(PluginDiscordTest, InvalidUtf8BecomesReplacementCharacter) {
  RecordingSender sender;
  auto dest = create("discord", sender, "{{body}}");
  ASSERT_NE(dest, nullptr);
  dest->deliver(sampleDelivery("ok \xFF end"));
  std::string body = sender.requests().at(0).body;
  EXPECT_TRUE(json::isValidUtf8(body));
  EXPECT_EQ(onlyField(body, "content"), "ok \xEF\xBF\xBD end");
}

TEST(PluginDiscordTest, PassesSenderFailuresThrough) {
  RecordingSender sender;
  sender.reply =
      DeliveryResult{DeliveryResult::Kind::kTimeout, 0, "", "timeout after 5000ms", {}, 5'000};
  auto dest = create("discord", sender, "{{type}}");
  ASSERT_NE(dest, nullptr);
  DeliveryResult r = dest->deliver(sampleDelivery("{}"));
  EXPECT_EQ(r.kind, DeliveryResult::Kind::kTimeout);
  EXPECT_EQ(r.error, "timeout after 5000ms");
}

}  // namespace
}  // namespace dispatch::plugin
