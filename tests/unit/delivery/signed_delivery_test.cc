// renderAndSign(): the body a plugin renders is the body signed and sent, with the rendered
// Content-Type and the Standard Webhooks trio after User-Agent; a render error sends nothing.
#include "core/delivery/signed_delivery.h"

#include <gtest/gtest.h>

#include "core/verify/signer.h"

namespace dispatch::delivery {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

// The Standard Webhooks test vector (contracts/signatures.md).
const std::string kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const std::string kMsgId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr int64_t kTimestamp = 1614265330;
const std::string kVectorBody = R"({"test": 2432232314})";
const std::string kVectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

// Renders a fixed answer, and remembers what it was asked to render.
class FixedRender final : public plugin::Destination {
 public:
  explicit FixedRender(plugin::Rendered answer) : answer_(std::move(answer)) {}
  plugin::Rendered render(const plugin::Delivery& d) const override {
    seenBody_ = d.body;
    seenHeaders_ = d.headers;
    return answer_;
  }
  plugin::DeliveryResult deliver(const plugin::Delivery&) override {
    return plugin::DeliveryResult::ok();
  }
  mutable std::string seenBody_;
  mutable Headers seenHeaders_;

 private:
  const plugin::Rendered answer_;
};

plugin::Delivery prepared(std::string body) {
  plugin::Delivery d;
  d.body = std::move(body);
  d.headers = {{"Content-Type", "text/plain"},
               {"User-Agent", "Dispatch/0.1.0"},
               {"X-Dispatch-Event-ID", "evt_1"}};
  return d;
}

std::vector<std::string> keys(const std::vector<std::string>& secrets) {
  return verify::decodeSigningKeys(secrets);
}

TEST(RenderAndSign, SignsTheRenderedBytesNotTheDeliveredOnes) {
  FixedRender dest(plugin::Rendered::as(kVectorBody, "application/json"));
  plugin::Delivery d = prepared("the delivered body, which the plugin reformats");
  ASSERT_EQ(renderAndSign(dest, d, keys({kSecret}), kMsgId, kTimestamp), std::nullopt);
  // render() saw the delivered body and the headers without any trio.
  EXPECT_EQ(dest.seenBody_, "the delivered body, which the plugin reformats");
  EXPECT_EQ(dest.seenHeaders_.size(), 3u);
  EXPECT_EQ(d.body, kVectorBody);
  EXPECT_EQ(d.headers, (Headers{{"Content-Type", "application/json"},
                                {"User-Agent", "Dispatch/0.1.0"},
                                {"webhook-id", kMsgId},
                                {"webhook-timestamp", "1614265330"},
                                {"webhook-signature", kVectorSignature},
                                {"X-Dispatch-Event-ID", "evt_1"}}));
}

TEST(RenderAndSign, KeepsTheEnginesContentTypeWhenThePluginNamesNone) {
  FixedRender dest(plugin::Rendered::as(kVectorBody));
  plugin::Delivery d = prepared(kVectorBody);
  ASSERT_EQ(renderAndSign(dest, d, keys({kSecret}), kMsgId, kTimestamp), std::nullopt);
  EXPECT_EQ(d.headers[0], (std::pair<std::string, std::string>{"Content-Type", "text/plain"}));
  EXPECT_EQ(d.headers[4].second, kVectorSignature);
}

TEST(RenderAndSign, AddsContentTypeAndAppendsTheTrioWhenTheyAreMissing) {
  FixedRender dest(plugin::Rendered::as(kVectorBody, "application/json"));
  plugin::Delivery d;
  d.headers = {{"x-other", "1"}};
  ASSERT_EQ(renderAndSign(dest, d, keys({kSecret}), kMsgId, kTimestamp), std::nullopt);
  EXPECT_EQ(d.headers, (Headers{{"x-other", "1"},
                                {"Content-Type", "application/json"},
                                {"webhook-id", kMsgId},
                                {"webhook-timestamp", "1614265330"},
                                {"webhook-signature", kVectorSignature}}));
}

TEST(RenderAndSign, EveryKeySignsAndNoKeyMeansNoSignatureHeader) {
  const std::string other = "whsec_" + std::string("b3RoZXItc2lnbmluZy1rZXktMDEyMzQ1Njc4OQ==");
  FixedRender dest(plugin::Rendered::as(kVectorBody));
  plugin::Delivery rotated = prepared("x");
  ASSERT_EQ(renderAndSign(dest, rotated, keys({other, kSecret}), kMsgId, kTimestamp), std::nullopt);
  const std::string sig = rotated.headers[4].second;
  EXPECT_EQ(sig.substr(sig.find(' ') + 1), kVectorSignature) << sig;
  EXPECT_EQ(sig.rfind("v1,", 0), 0u) << sig;

  plugin::Delivery unsigned_ = prepared("x");
  ASSERT_EQ(renderAndSign(dest, unsigned_, {}, kMsgId, kTimestamp), std::nullopt);
  EXPECT_EQ(unsigned_.headers, (Headers{{"Content-Type", "text/plain"},
                                        {"User-Agent", "Dispatch/0.1.0"},
                                        {"webhook-id", kMsgId},
                                        {"webhook-timestamp", "1614265330"},
                                        {"X-Dispatch-Event-ID", "evt_1"}}));
}

TEST(RenderAndSign, ARenderErrorIsReturnedAndNothingIsSigned) {
  FixedRender dest(plugin::Rendered::failed("rendered template is empty"));
  plugin::Delivery d = prepared("{}");
  EXPECT_EQ(renderAndSign(dest, d, keys({kSecret}), kMsgId, kTimestamp),
            "rendered template is empty");
  EXPECT_EQ(d.body, "{}");
  EXPECT_EQ(d.headers.size(), 3u);
}

}  // namespace
}  // namespace dispatch::delivery
