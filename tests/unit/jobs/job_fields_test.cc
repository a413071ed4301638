// Seed 000's job fields: headers, redactResponse, retention (contracts/http-api.md).
#include <gtest/gtest.h>

#include "core/jobs/job_validation.h"

namespace dispatch::jobs {
namespace {

constexpr TimeMs kNow = 1'780'000'000'000;  // 2026-05-28

ValidationLimits limits(std::string prefix = "Dispatch") {
  ValidationLimits l;
  l.policy = {true, true};
  l.headerPrefix = std::move(prefix);
  return l;
}

// A valid request with `extra` appended to its fields.
std::string request(const std::string& extra) {
  return R"({"title":"t","webhookUrl":"https://example.com/h","fireAt":"2026-06-13T09:30:00.000Z")" +
         (extra.empty() ? "" : "," + extra) + "}";
}

std::string refusal(const std::string& extra, const ValidationLimits& l = limits()) {
  auto r = validateJobRequest(request(extra), l, kNow);
  if (r) return "accepted";
  EXPECT_EQ(r.status().code(), Code::kInvalid);
  return r.status().message();
}

TEST(JobFields, DefaultsWhenAbsent) {
  auto r = validateJobRequest(request(""), limits(), kNow);
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->headersJson, "");
  EXPECT_FALSE(r->redactResponse);
  EXPECT_FALSE(r->retentionMs);
}

TEST(JobFields, HeadersAreKeptInOrderAsAJsonObject) {
  auto r = validateJobRequest(request(R"("headers":{"X-Team":"infra","Authorization":"Bearer s"})"),
                              limits(), kNow);
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->headersJson, R"({"X-Team":"infra","Authorization":"Bearer s"})");
  auto empty = validateJobRequest(request(R"("headers":{})"), limits(), kNow);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->headersJson, "");
}

TEST(JobFields, OursAndFramingHeadersAreRefusedByName) {
  EXPECT_EQ(refusal(R"("headers":{"Host":"x"})"), "headers.Host is reserved");
  EXPECT_EQ(refusal(R"("headers":{"content-length":"1"})"), "headers.content-length is reserved");
  EXPECT_EQ(refusal(R"("headers":{"Content-Type":"text/plain"})"),
            "headers.Content-Type is reserved");
  EXPECT_EQ(refusal(R"("headers":{"Transfer-Encoding":"chunked"})"),
            "headers.Transfer-Encoding is reserved");
  EXPECT_EQ(refusal(R"("headers":{"Connection":"close"})"), "headers.Connection is reserved");
  EXPECT_EQ(refusal(R"("headers":{"User-Agent":"me"})"), "headers.User-Agent is reserved");
  EXPECT_EQ(refusal(R"("headers":{"webhook-signature":"v1,x"})"),
            "headers.webhook-signature is reserved");
  EXPECT_EQ(refusal(R"("headers":{"Webhook-Anything":"x"})"),
            "headers.Webhook-Anything is reserved");
  EXPECT_EQ(refusal(R"("headers":{"x-dispatch-job-id":"x"})"),
            "headers.x-dispatch-job-id is reserved");
}

TEST(JobFields, TheProjectsPrefixIsTheReservedOne) {
  EXPECT_EQ(refusal(R"("headers":{"X-Acme-Attempt":"1"})", limits("Acme")),
            "headers.X-Acme-Attempt is reserved");
  EXPECT_EQ(refusal(R"("headers":{"X-Dispatch-Note":"1"})", limits("Acme")), "accepted");
}

TEST(JobFields, HeaderNamesAndValuesAreChecked) {
  EXPECT_EQ(refusal(R"("headers":{"bad name":"x"})"), "headers: names must be HTTP tokens");
  EXPECT_EQ(refusal(R"("headers":{"":"x"})"), "headers: names must be HTTP tokens");
  EXPECT_EQ(refusal(R"("headers":{"X-A":"a\r\nX-Evil: 1"})"),
            "headers.X-A must not contain control characters");
  EXPECT_EQ(refusal(R"("headers":{"X-A":"a\u0000b"})"),
            "headers.X-A must not contain control characters");
  EXPECT_EQ(refusal(R"("headers":{"X-A":1})"), "headers.X-A must be a string");
  EXPECT_EQ(refusal(R"("headers":["X-A"])"), "headers must be an object of strings");
  EXPECT_EQ(refusal(R"("headers":{"X-A":"1","x-a":"2"})"), "headers.x-a is repeated");
  EXPECT_EQ(refusal(R"("headers":{"X-A":"tab\tok"})"), "accepted");
}

TEST(JobFields, AtMostTwentyHeadersOfAtMostOneKiB) {
  std::string twenty, twentyOne;
  for (int i = 0; i < 21; ++i) {
    std::string h = "\"X-H" + std::to_string(i) + "\":\"v\"";
    if (i < 20) twenty += (i ? "," : "") + h;
    twentyOne += (i ? "," : "") + h;
  }
  EXPECT_EQ(refusal("\"headers\":{" + twenty + "}"), "accepted");
  EXPECT_EQ(refusal("\"headers\":{" + twentyOne + "}"), "headers must have at most 20 entries");
  EXPECT_EQ(refusal(R"("headers":{"X-A":")" + std::string(1024, 'a') + "\"}"), "accepted");
  EXPECT_EQ(refusal(R"("headers":{"X-A":")" + std::string(1025, 'a') + "\"}"),
            "headers.X-A must be at most 1024 bytes");
}

TEST(JobFields, RedactResponseIsABoolean) {
  auto r = validateJobRequest(request(R"("redactResponse":true)"), limits(), kNow);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->redactResponse);
  EXPECT_EQ(refusal(R"("redactResponse":"yes")"), "redactResponse must be a boolean");
}

TEST(JobFields, RetentionIsOneOfFourLabels) {
  for (const char* label : {"1d", "7d", "30d", "90d"}) {
    auto r =
        validateJobRequest(request(std::string(R"("retention":")") + label + "\""), limits(), kNow);
    ASSERT_TRUE(r) << label;
    ASSERT_TRUE(r->retentionMs);
    EXPECT_EQ(jobRetentionLabel(*r->retentionMs), label);
  }
  EXPECT_EQ(*parseJobRetention("7d"), 7LL * 24 * 3600 * 1000);
  for (const char* bad : {R"("2d")", R"("7D")", R"("7 d")", R"("")", "7", "true"}) {
    EXPECT_EQ(refusal(std::string(R"("retention":)") + bad),
              "retention must be one of 1d, 7d, 30d, 90d")
        << bad;
  }
}

TEST(JobFields, APartialTemplateLeavesMissingFieldsAlone) {
  JobTemplate t;
  t.title = "old";
  t.webhookUrl = "https://example.com/old";
  auto doc = json::parse(R"({"payload":{"a":1},"redactResponse":true})");
  ASSERT_TRUE(doc);
  ASSERT_TRUE(readJobTemplate(*doc, limits(), t, true));
  EXPECT_EQ(t.title, "old");
  EXPECT_EQ(t.payload, R"({"a":1})");
  EXPECT_TRUE(t.redactResponse);
  auto nulled = json::parse(R"({"title":null})");
  EXPECT_EQ(readJobTemplate(*nulled, limits(), t, true).message(), "title is required");
}

}  // namespace
}  // namespace dispatch::jobs
