// The webhook, slack and discord plugins against a recording HttpSender: what they render, and
// what they send once the engine has signed it (the signature verifies over the bytes sent).
#include <gtest/gtest.h>

#include "core/util/json.h"
#include "tests/unit/plugin/plugin_test_util.h"

namespace dispatch::plugin {
namespace {

using testing::attempt;
using testing::createBuiltin;
using testing::destinationConfig;
using testing::RecordingSender;
using testing::sampleDelivery;
using testing::signatureVerifies;

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

TEST(PluginWebhookTest, RendersTheDeliveredBodyAsItIsAndItIsWhatIsSigned) {
  RecordingSender sender;
  std::string error;
  auto dest =
      createBuiltin(destinationConfig("webhook", "https://ci.example.com/hooks"), sender, &error);
  ASSERT_NE(dest, nullptr) << error;
  const std::string body = "{\"n\": 1.50, \"bytes\": \"\xFF\"}";  // sent byte for byte
  Rendered r = dest->render(sampleDelivery(body));
  EXPECT_EQ(r.body, body);
  EXPECT_EQ(r.contentType, "");
  EXPECT_EQ(r.error, "");
  ASSERT_EQ(attempt(*dest, sampleDelivery(body)).status, 200);
  const auto request = sender.requests().at(0);
  EXPECT_EQ(request.body, body);
  EXPECT_EQ(request.header("webhook-id"), "evt_1");
  EXPECT_TRUE(signatureVerifies(request.headers, request.body))
      << request.header("webhook-signature");
  EXPECT_FALSE(signatureVerifies(request.headers, body + " "));
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
  DeliveryResult r = attempt(*dest, sampleDelivery(kIssueBody));
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
  attempt(*dest, sampleDelivery(kIssueBody));
  EXPECT_EQ(onlyField(sender.requests().at(0).body, "text"),
            "<https://x.example|Crash &lt;!channel&gt; &amp; more>");
}

TEST(PluginSlackTest, ItsOwnJsonBodyIsSignedAndSentAsApplicationJson) {
  RecordingSender sender;
  auto dest = create("slack", sender, "{{type}}: {{body.action}}");
  ASSERT_NE(dest, nullptr);
  Delivery d = sampleDelivery(kIssueBody);
  d.headers[0].second = "text/plain";  // the transform's type: not what Slack gets
  Rendered r = dest->render(d);
  EXPECT_EQ(r.body, R"({"text":"issues: opened"})");
  EXPECT_EQ(r.contentType, "application/json");
  ASSERT_EQ(attempt(*dest, d).status, 200);
  const auto requests = sender.requests();
  const auto& request = requests.at(0);
  EXPECT_EQ(request.body, R"({"text":"issues: opened"})");
  // Content-Type replaced in place; the trio right after User-Agent; the rest kept.
  ASSERT_EQ(request.headers.size(), 6u);
  EXPECT_EQ(request.headers[0],
            (std::pair<std::string, std::string>{"Content-Type", "application/json"}));
  EXPECT_EQ(request.headers[1].first, "User-Agent");
  EXPECT_EQ(request.headers[2], (std::pair<std::string, std::string>{"webhook-id", "evt_1"}));
  EXPECT_EQ(request.headers[3],
            (std::pair<std::string, std::string>{"webhook-timestamp", "1614265330"}));
  EXPECT_EQ(request.headers[4].first, "webhook-signature");
  EXPECT_EQ(request.headers[5],
            (std::pair<std::string, std::string>{"X-Dispatch-Event-ID", "evt_1"}));
  // Over the bytes Slack receives, not over the delivered body the template read.
  EXPECT_TRUE(signatureVerifies(request.headers, request.body))
      << request.header("webhook-signature");
  EXPECT_FALSE(signatureVerifies(request.headers, kIssueBody));
}

TEST(PluginSlackTest, CapsTextAt40000Characters) {
  RecordingSender sender;
  auto dest = create("slack", sender, "{{body}}");
  ASSERT_NE(dest, nullptr);
  std::string big;
  for (int i = 0; i < 50'000; ++i) big += "é";  // 2 bytes, 1 character each
  attempt(*dest, sampleDelivery(big));
  std::string text = onlyField(sender.requests().at(0).body, "text");
  EXPECT_EQ(text.size(), 39'999u * 2 + 3);  // 39,999 × é + "…"
  EXPECT_EQ(text.substr(text.size() - 3), "\xE2\x80\xA6");
}

TEST(PluginSlackTest, EmptyRenderingIsPermanent) {
  RecordingSender sender;
  auto dest = create("slack", sender, "{{body.missing}}");
  ASSERT_NE(dest, nullptr);
  Rendered rendered = dest->render(sampleDelivery(kIssueBody));
  EXPECT_EQ(rendered.error, "rendered template is empty");
  DeliveryResult r = attempt(*dest, sampleDelivery(kIssueBody));
  EXPECT_EQ(r.kind, DeliveryResult::Kind::kPermanent);
  EXPECT_EQ(r.error, "rendered template is empty");
  EXPECT_TRUE(sender.requests().empty());
}

TEST(PluginDiscordTest, SendsRenderedContentAsJson) {
  RecordingSender sender;
  auto dest = create("discord", sender, "**{{source}}** {{type}}: {{body.issue.title}}\n{{body}}");
  ASSERT_NE(dest, nullptr);
  attempt(*dest, sampleDelivery(R"({"issue":{"title":"a \"quoted\" <b>"}})"));
  auto requests = sender.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(
      requests[0].body,
      R"({"content":"**github** issues: a \"quoted\" <b>\n{\"issue\":{\"title\":\"a \\\"quoted\\\" <b>\"}}"})");
  EXPECT_EQ(
      onlyField(requests[0].body, "content"),
      "**github** issues: a \"quoted\" <b>\n{\"issue\":{\"title\":\"a \\\"quoted\\\" <b>\"}}");
  EXPECT_EQ(requests[0].header("Content-Type"), "application/json");
  EXPECT_EQ(requests[0].header("webhook-id"), "evt_1");
  EXPECT_EQ(requests[0].header("webhook-timestamp"), "1614265330");
  EXPECT_TRUE(signatureVerifies(requests[0].headers, requests[0].body))
      << requests[0].header("webhook-signature");
  EXPECT_EQ(requests[0].header("User-Agent"), "Dispatch/0.1.0");
}

TEST(PluginDiscordTest, CapsContentAt2000Characters) {
  RecordingSender sender;
  auto dest = create("discord", sender, "{{type}} {{body}}");
  ASSERT_NE(dest, nullptr);
  attempt(*dest, sampleDelivery(std::string(5'000, 'x')));
  std::string content = onlyField(sender.requests().at(0).body, "content");
  EXPECT_EQ(content, "issues " + std::string(1'992, 'x') + "\xE2\x80\xA6");

  attempt(*dest, sampleDelivery(std::string(1'993, 'x')));  // exactly 2,000: kept whole
  EXPECT_EQ(onlyField(sender.requests().at(1).body, "content"),
            "issues " + std::string(1'993, 'x'));
}

TEST(PluginDiscordTest, InvalidUtf8BecomesReplacementCharacter) {
  RecordingSender sender;
  auto dest = create("discord", sender, "{{body}}");
  ASSERT_NE(dest, nullptr);
  attempt(*dest, sampleDelivery("ok \xFF end"));
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
  DeliveryResult r = attempt(*dest, sampleDelivery("{}"));
  EXPECT_EQ(r.kind, DeliveryResult::Kind::kTimeout);
  EXPECT_EQ(r.error, "timeout after 5000ms");
}

}  // namespace
}  // namespace dispatch::plugin
