// The request `dispatch send` builds (core/app/send.h), for sources loaded from YAML as the
// server loads them (so the presets' defaults apply): each is accepted by the source's own
// verifier and carries its type where ingest reads it; the flags a source cannot take are
// usage errors; and the server URL comes from `server.listen`.
#include "core/app/send.h"

#include <gtest/gtest.h>
#include <strings.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/ingest/ingest_service.h"
#include "core/verify/verifier.h"

namespace dispatch::app {
namespace {

constexpr int64_t kNow = 1'800'000'000;
constexpr std::string_view kId = "0190d7a2-3f0e-7c2a-9b1e-5a4d3c2b1a09";
const std::string kSwSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// One project with one source per preset, as a user would write them.
std::shared_ptr<const config::Config> load() {
  const std::string yaml =
      "database: { url: \"postgresql://unused\" }\n"
      "projects:\n"
      "  - name: p\n"
      "    sources:\n"
      "      - { slug: h, verify: { preset: hmac, secret: [\"\", first-hmac-secret-0, "
      "second-hmac-secret] }, event_type: { path: event.type } }\n"
      "      - { slug: gh, verify: { preset: github, secret: github-secret-0123 } }\n"
      "      - { slug: st, verify: { preset: stripe, secret: whsec_stripe0123456789 } }\n"
      "      - { slug: sh, verify: { preset: shopify, secret: shopify-secret-0123 } }\n"
      "      - { slug: sl, verify: { preset: slack, secret: slack-signing-secret-0 } }\n"
      "      - { slug: sw, verify: { preset: standard-webhooks, secret: " +
      kSwSecret +
      " } }\n"
      "      - { slug: ak, verify: { preset: api-key } }\n"
      "      - { slug: un, verify: { preset: none }, allow_unsigned: true }\n";
  auto loaded = config::loadString(yaml, "send_test.yaml",
                                   [](const std::string&) { return std::optional<std::string>(); });
  std::string errors;
  for (const auto& e : loaded.errors) errors += e + "\n";
  EXPECT_TRUE(loaded.config) << errors;
  return loaded.config;
}

const config::SourceConfig& source(const config::Config& cfg, const std::string& slug) {
  for (const auto& s : cfg.projects[0].sources) {
    if (s.slug == slug) return s;
  }
  throw std::runtime_error("no source " + slug);
}

std::optional<std::string> lookup(const HeaderList& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  }
  return std::nullopt;
}

// What the server would do with the request: verify it with the source's own secrets.
bool verifies(const config::SourceConfig& src, const SendRequest& r) {
  auto v = verify::makeVerifier(src.verify.preset, src.verify.secrets, src.verify.toleranceMs);
  if (!v) return false;
  verify::Request req;
  req.header = [&r](std::string_view n) { return lookup(r.headers, n); };
  req.body = r.body;
  req.now = kNow * 1000;
  return v->verify(req);
}

// The type ingest extracts from the request.
std::string typeOf(const config::SourceConfig& src, const SendRequest& r) {
  ingest::HookRequest hr;
  hr.header = [&r](std::string_view n) { return lookup(r.headers, n); };
  hr.body = r.body;
  return ingest::extractEventType(src.eventType, hr);
}

SendRequest build(const config::SourceConfig& src, const SendInput& in) {
  auto r = buildSendRequest(src, in, kNow, kId);
  EXPECT_TRUE(r.isOk()) << src.slug << ": " << r.status().message();
  return r.isOk() ? r.value() : SendRequest{};
}

TEST(SendRequestTest, EverySignedPresetVerifiesUnderTheSourcesSecretWithTheTypeInPlace) {
  auto cfg = load();
  ASSERT_TRUE(cfg);
  for (const char* slug : {"h", "gh", "st", "sh", "sl", "sw"}) {
    const auto& src = source(*cfg, slug);
    const bool typed = !src.eventType.header.empty() || !src.eventType.path.empty();
    SendInput in;
    if (typed) in.type = "order.created";  // slack and standard-webhooks have no default
    SendRequest r = build(src, in);
    EXPECT_TRUE(verifies(src, r)) << slug;
    EXPECT_EQ(typeOf(src, r), typed ? "order.created" : "") << slug;
    EXPECT_EQ(lookup(r.headers, "Content-Type"), "application/json") << slug;
    // One byte more and the same headers are refused: the signature covers the body.
    SendRequest tampered = r;
    tampered.body += " ";
    EXPECT_FALSE(verifies(src, tampered)) << slug;
  }
}

TEST(SendRequestTest, GithubCarriesTypeDeliveryIdAndSignatureAroundTheFilesExactBytes) {
  auto cfg = load();
  ASSERT_TRUE(cfg);
  SendInput in;
  in.body = "{\"ref\":\"refs/heads/main\"}\n";
  in.type = "push";
  SendRequest r = build(source(*cfg, "gh"), in);
  EXPECT_EQ(r.body, *in.body);
  ASSERT_EQ(r.headers.size(), 4u);
  EXPECT_EQ(r.headers[0],
            (std::pair<std::string, std::string>{"Content-Type", "application/json"}));
  EXPECT_EQ(r.headers[1], (std::pair<std::string, std::string>{"X-GitHub-Event", "push"}));
  EXPECT_EQ(r.headers[2], (std::pair<std::string, std::string>{"X-GitHub-Delivery", kId}));
  EXPECT_EQ(r.headers[3].first, "X-Hub-Signature-256");
  EXPECT_TRUE(verifies(source(*cfg, "gh"), r));
}

TEST(SendRequestTest, FirstNonEmptySecretSigns) {
  auto cfg = load();
  ASSERT_TRUE(cfg);
  const auto& src = source(*cfg, "h");
  SendRequest r = build(src, SendInput{});
  auto first = verify::makeVerifier("hmac", {"first-hmac-secret-0"});
  auto second = verify::makeVerifier("hmac", {"second-hmac-secret"});
  verify::Request req;
  req.header = [&r](std::string_view n) { return lookup(r.headers, n); };
  req.body = r.body;
  EXPECT_TRUE(first->verify(req));
  EXPECT_FALSE(second->verify(req));
}

TEST(SendRequestTest, DefaultBodyIsEmptyObjectOrHoldsTheTypeAtItsPath) {
  auto cfg = load();
  ASSERT_TRUE(cfg);
  EXPECT_EQ(build(source(*cfg, "gh"), SendInput{}).body, "{}");
  SendInput typed;
  typed.type = "charge.succeeded";
  EXPECT_EQ(build(source(*cfg, "st"), typed).body, R"({"type":"charge.succeeded"})");
  typed.type = "a \"quoted\" type";
  SendRequest nested = build(source(*cfg, "h"), typed);
  EXPECT_EQ(nested.body, R"({"event":{"type":"a \"quoted\" type"}})");
  EXPECT_EQ(typeOf(source(*cfg, "h"), nested), "a \"quoted\" type");
}

TEST(SendRequestTest, TypeFromTheBodyMustAlreadyBeInTheFile) {
  auto cfg = load();
  ASSERT_TRUE(cfg);
  SendInput in;
  in.body = R"({"id":"evt_1","type":"invoice.paid"})";
  in.type = "invoice.paid";
  SendRequest same = build(source(*cfg, "st"), in);
  EXPECT_EQ(same.body, *in.body);  // never rewritten
  in.type = "charge.succeeded";
  auto other = buildSendRequest(source(*cfg, "st"), in, kNow, kId);
  ASSERT_FALSE(other.isOk());
  EXPECT_EQ(other.status().code(), Code::kInvalid);
  EXPECT_NE(other.status().message().find("'type'"), std::string::npos) << other.status().message();
  in.body = "not json";
  EXPECT_EQ(buildSendRequest(source(*cfg, "st"), in, kNow, kId).status().code(), Code::kInvalid);
}

TEST(SendRequestTest, TypeWithNowhereToGoIsBadUsage) {
  auto cfg = load();
  ASSERT_TRUE(cfg);
  SendInput in;
  in.type = "push";
  for (const char* slug : {"sl", "sw", "un"}) {
    auto r = buildSendRequest(source(*cfg, slug), in, kNow, kId);
    ASSERT_FALSE(r.isOk()) << slug;
    EXPECT_EQ(r.status().code(), Code::kInvalid) << slug;
    EXPECT_NE(r.status().message().find("no event_type"), std::string::npos) << slug;
  }
  in.type = "push\r\nX-Evil: 1";
  EXPECT_EQ(buildSendRequest(source(*cfg, "gh"), in, kNow, kId).status().code(), Code::kInvalid);
}

TEST(SendRequestTest, ApiKeySourcesNeedKeyAndOthersRefuseIt) {
  auto cfg = load();
  ASSERT_TRUE(cfg);
  auto missing = buildSendRequest(source(*cfg, "ak"), SendInput{}, kNow, kId);
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().code(), Code::kInvalid);
  EXPECT_NE(missing.status().message().find("--key"), std::string::npos);
  SendInput in;
  in.apiKey = "sk_0123";
  SendRequest r = build(source(*cfg, "ak"), in);
  EXPECT_EQ(lookup(r.headers, "Authorization"), "Bearer sk_0123");
  auto extra = buildSendRequest(source(*cfg, "gh"), in, kNow, kId);
  ASSERT_FALSE(extra.isOk());
  EXPECT_EQ(extra.status().code(), Code::kInvalid);
  EXPECT_EQ(extra.status().message().find("sk_0123"), std::string::npos) << "quotes the key";
}

TEST(SendRequestTest, UnsignedSourceGetsNoSignatureHeaders) {
  auto cfg = load();
  ASSERT_TRUE(cfg);
  SendRequest r = build(source(*cfg, "un"), SendInput{});
  EXPECT_EQ(r.headers, (HeaderList{{"Content-Type", "application/json"}}));
}

TEST(SendRequestTest, StandardWebhooksIdIsTheMessageIdAndNotRepeated) {
  auto cfg = load();
  ASSERT_TRUE(cfg);
  SendRequest r = build(source(*cfg, "sw"), SendInput{});
  size_t ids = 0;
  for (const auto& [k, v] : r.headers) ids += strcasecmp(k.c_str(), "webhook-id") == 0;
  EXPECT_EQ(ids, 1u);
  EXPECT_EQ(lookup(r.headers, "webhook-id"), kId);
  EXPECT_EQ(lookup(r.headers, "webhook-timestamp"), std::to_string(kNow));
}

TEST(SendRequestTest, HeaderFlagsReplaceSameNameInPlaceOrAppend) {
  auto cfg = load();
  ASSERT_TRUE(cfg);
  SendInput in;
  in.type = "push";
  in.headers = {{"content-type", "text/plain"}, {"X-Extra", "1"}, {"x-github-event", "issues"}};
  SendRequest r = build(source(*cfg, "gh"), in);
  ASSERT_EQ(r.headers.size(), 5u);
  EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"content-type", "text/plain"}));
  EXPECT_EQ(r.headers[1], (std::pair<std::string, std::string>{"x-github-event", "issues"}));
  EXPECT_EQ(r.headers[4], (std::pair<std::string, std::string>{"X-Extra", "1"}));
  EXPECT_TRUE(verifies(source(*cfg, "gh"), r));  // the signature covers only the body
}

TEST(SendRequestTest, HeaderFlagParsing) {
  auto ok = parseHeaderFlag("  X-Trace-Id :  abc def ");
  ASSERT_TRUE(ok.isOk());
  EXPECT_EQ(ok->first, "X-Trace-Id");
  EXPECT_EQ(ok->second, "abc def");
  auto empty = parseHeaderFlag("X-Empty:");
  ASSERT_TRUE(empty.isOk());
  EXPECT_EQ(empty->second, "");
  auto url = parseHeaderFlag("Referer: https://a.example/x");  // the first colon splits
  ASSERT_TRUE(url.isOk());
  EXPECT_EQ(url->second, "https://a.example/x");
  for (const std::string& bad : std::vector<std::string>{
           "no colon", ": value", "Bad Name: x", "X-A: one\r\ntwo", std::string("X-A: nul\0", 9)}) {
    auto r = parseHeaderFlag(bad);
    EXPECT_FALSE(r.isOk()) << bad;
    EXPECT_EQ(r.status().code(), Code::kInvalid) << bad;
  }
}

TEST(SendUrlTest, BaseUrlFromListenAndHookPath) {
  config::ServerConfig s;
  s.listenHost = "127.0.0.1";
  s.listenPort = 8080;
  EXPECT_EQ(serverBaseUrl(s).value(), "http://127.0.0.1:8080");
  s.listenHost = "0.0.0.0";
  EXPECT_EQ(serverBaseUrl(s).value(), "http://127.0.0.1:8080");
  s.listenHost = "::";
  EXPECT_EQ(serverBaseUrl(s).value(), "http://[::1]:8080");
  s.listenHost = "fd00::5";
  s.tlsCert = "/etc/dispatch/tls.crt";
  EXPECT_EQ(serverBaseUrl(s).value(), "https://[fd00::5]:8080");
  s.listenHost = "hooks.example.com";
  EXPECT_EQ(serverBaseUrl(s).value(), "https://hooks.example.com:8080");
  s.listenPort = 0;
  EXPECT_EQ(serverBaseUrl(s).status().code(), Code::kInvalid);

  EXPECT_EQ(hookUrl("http://127.0.0.1:8080", "github"), "http://127.0.0.1:8080/hooks/github");
  EXPECT_EQ(hookUrl("http://127.0.0.1:8080/", "github"), "http://127.0.0.1:8080/hooks/github");
  EXPECT_EQ(hookUrl("https://proxy.example/dispatch//", "st"),
            "https://proxy.example/dispatch/hooks/st");
}

}  // namespace
}  // namespace dispatch::app
