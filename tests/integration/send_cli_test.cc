// `dispatch send` against a running `dispatch serve`: every preset's sample is verified by the
// real server (202) and stored with its exact bytes and the right type; a CLI config whose
// secrets differ from the server's is refused (401, exit 1); unknown slugs and flags a source
// cannot take are bad usage; the URL comes from the config's server.listen, https included.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>

#include "tests/integration/api_test_util.h"
#include "tests/integration/harness.h"
#include "tests/integration/router_util.h"

namespace dispatch::test {
namespace {

namespace fs = std::filesystem;
using router::readText;
using router::writeText;

const std::string kHmac = "send-hmac-secret-0001";
const std::string kGithub = "send-github-secret-0001";
const std::string kStripe = "whsec_sendStripeSecret0001";
const std::string kShopify = "send-shopify-secret-0001";
const std::string kSlack = "send-slack-signing-secret-0001";
const std::string kSw = "whsec_" + router::b64Of("send-standard-webhooks-key-0001!");

// One source per preset. `secret(x)` turns each server secret into what the config holds.
std::string projectsYaml(const std::function<std::string(const std::string&)>& secret) {
  return "projects:\n"
         "  - name: alpha\n"
         "    signing_secret: " +
         std::string(kAlphaSecret) +
         "\n"
         "    sources:\n"
         "      - slug: s-hmac\n"
         "        verify: { preset: hmac, secret: " +
         secret(kHmac) +
         " }\n"
         "        event_type: { path: kind }\n"
         "      - slug: s-github\n"
         "        verify: { preset: github, secret: " +
         secret(kGithub) +
         " }\n"
         "      - slug: s-stripe\n"
         "        verify: { preset: stripe, secret: " +
         secret(kStripe) +
         " }\n"
         "      - slug: s-shopify\n"
         "        verify: { preset: shopify, secret: " +
         secret(kShopify) +
         " }\n"
         "      - slug: s-slack\n"
         "        verify: { preset: slack, secret: " +
         secret(kSlack) +
         " }\n"
         "        event_type: { path: event.type }\n"
         "      - slug: s-sw\n"
         "        verify: { preset: standard-webhooks, secret: " +
         secret(kSw) +
         " }\n"
         "        event_type: { path: type }\n"
         "      - slug: s-key\n"
         "        verify: { preset: api-key }\n"
         "        event_type: { header: X-Event-Type }\n"
         "      - slug: s-none\n"
         "        verify: { preset: none }\n"
         "        allow_unsigned: true\n";
}

std::string sample(const std::string& name) {
  return std::string(DISPATCH_SOURCE_DIR) + "/examples/events/" + name;
}

class SendCli : public ::testing::Test {
 protected:
  void start(DispatchOptions o = {}) {
    o.projectsYaml = projectsYaml([](const std::string& s) { return s; });
    d = std::make_unique<DispatchProcess>(db, o);
    ASSERT_TRUE(d->start()) << d->log();
    // The CLI's config: the server's, with the port it actually listens on (so the URL comes
    // from server.listen, as for a user), and the usual `url: ${DATABASE_URL}`, which send()
    // leaves empty: send reads no database.
    cliConfig = d->dir() + "/cli.yaml";
    std::string text =
        std::regex_replace(readText(d->configPath()), std::regex("listen: 127\\.0\\.0\\.1:0"),
                           "listen: 127.0.0.1:" + std::to_string(d->port()));
    const size_t url = text.find("url: " + db.url());
    ASSERT_NE(url, std::string::npos) << text;
    text.replace(url, 5 + db.url().size(), "url: ${DATABASE_URL}");
    writeText(cliConfig, text);
  }

  // A config like the CLI's whose every secret differs from the server's.
  std::string wrongSecretsConfig() const {
    std::string text = readText(cliConfig);
    const std::string projects = projectsYaml([](const std::string& s) { return s; });
    const std::string wrong = projectsYaml([](const std::string& s) {
      return s.starts_with("whsec_") ? "whsec_" + router::b64Of("some-other-key-of-32-bytes-here!")
                                     : "some-other-secret-" + s;
    });
    text.replace(text.find(projects), projects.size(), wrong);
    std::string path = d->dir() + "/wrong.yaml";
    writeText(path, text);
    return path;
  }

  CliResult send(std::vector<std::string> args, const std::string& config = "") {
    args.insert(args.begin(), "send");
    args.insert(args.end(), {"--config", config.empty() ? cliConfig : config});
    return runCliSplit(args, {{"DATABASE_URL", ""}});
  }

  // The run printed `HTTP 202` and the server's answer; returns the stored event's id.
  std::string accepted(const CliResult& r) {
    EXPECT_EQ(r.exitCode, 0) << r.out;
    auto out = lines(r.stdoutText);
    if (out.size() < 2 || out[0] != "HTTP 202") {
      ADD_FAILURE() << "not HTTP 202: " << r.out;
      return "";
    }
    auto body = json::parse(out[1]);
    if (!body.isOk()) {
      ADD_FAILURE() << "answer is not JSON: " << out[1];
      return "";
    }
    std::string id = str(body->find("data"), "event_id");
    EXPECT_TRUE(isUuidText(id)) << r.stdoutText;
    return id;
  }

  std::string column(const std::string& id, const std::string& expr) const {
    return db.scalar("SELECT " + expr + " FROM events WHERE id = '" + id + "'");
  }

  void expectStored(const std::string& id, const std::string& source, const std::string& type) {
    EXPECT_EQ(column(id, "source"), source) << id;
    EXPECT_EQ(column(id, "event_type"), type) << source;
  }

  // No run ever prints one of the configured secrets.
  void expectNoSecret(const CliResult& r) {
    for (const auto& s : {kHmac, kGithub, kStripe, kShopify, kSlack, kSw}) {
      EXPECT_EQ(r.out.find(s), std::string::npos) << "the output holds a secret";
    }
  }

  TestDatabase db;
  std::unique_ptr<DispatchProcess> d;
  std::string cliConfig;
};

TEST_F(SendCli, EveryPresetIsVerifiedByTheServerAndStoredWithItsType) {
  ASSERT_NO_FATAL_FAILURE(start());
  // hmac: the type is read from the body at `kind`.
  std::string dir = makeTempDir();
  const std::string order = dir + "/order.json";
  writeText(order, R"({"kind":"order.created","id":17,"note":"caf\u00e9 ✓"})");
  auto hmac = send({"s-hmac", order});
  expectStored(accepted(hmac), "s-hmac", "order.created");
  expectNoSecret(hmac);

  // github: the shipped push sample, its exact bytes, X-GitHub-Event from --type and a fresh
  // X-GitHub-Delivery each time (a second send is a new event, not a duplicate).
  auto gh = send({"s-github", sample("github-push.json"), "--type", "push"});
  std::string ghId = accepted(gh);
  expectStored(ghId, "s-github", "push");
  EXPECT_EQ(column(ghId, "encode(body, 'hex')"),
            router::hexOf(readText(sample("github-push.json"))));
  std::string delivery = column(ghId, "idempotency_key");
  EXPECT_TRUE(isUuidText(delivery)) << delivery;
  auto gh2 = send({"s-github", sample("github-pull_request.json"), "--type", "pull_request"});
  std::string gh2Id = accepted(gh2);
  expectStored(gh2Id, "s-github", "pull_request");
  EXPECT_NE(column(gh2Id, "idempotency_key"), delivery);
  expectNoSecret(gh);
  // What it sent is summed up on stderr: the URL from server.listen, no signature.
  EXPECT_NE(
      gh.stderrText.find("POST http://127.0.0.1:" + std::to_string(d->port()) + "/hooks/s-github"),
      std::string::npos)
      << gh.stderrText;
  EXPECT_EQ(gh.out.find("sha256="), std::string::npos) << gh.out;

  // stripe: type from the body's `type` (the preset's default); both shipped samples.
  auto charge = send({"s-stripe", sample("stripe-charge-succeeded.json")});
  expectStored(accepted(charge), "s-stripe", "charge.succeeded");
  auto invoice = send({"s-stripe", sample("stripe-invoice-paid.json"), "--type", "invoice.paid"});
  expectStored(accepted(invoice), "s-stripe", "invoice.paid");
  expectNoSecret(charge);

  // shopify: X-Shopify-Topic from --type, and the default body.
  auto shop = send({"s-shopify", "--type", "orders/create"});
  std::string shopId = accepted(shop);
  expectStored(shopId, "s-shopify", "orders/create");
  EXPECT_EQ(column(shopId, "convert_from(body, 'UTF8')"), "{}");
  EXPECT_TRUE(isUuidText(column(shopId, "idempotency_key")));

  // slack: no FILE, so the default body carries the type at event.type.
  auto slack = send({"s-slack", "--type", "app_mention"});
  std::string slackId = accepted(slack);
  expectStored(slackId, "s-slack", "app_mention");
  EXPECT_EQ(column(slackId, "convert_from(body, 'UTF8')"), R"({"event":{"type":"app_mention"}})");

  // standard-webhooks: webhook-id is both signed and the idempotency key.
  const std::string user = dir + "/user.json";
  writeText(user, R"({"type":"user.created","data":{"id":"u_1"}})");
  auto sw = send({"s-sw", user});
  std::string swId = accepted(sw);
  expectStored(swId, "s-sw", "user.created");
  EXPECT_TRUE(isUuidText(column(swId, "idempotency_key")));

  // api-key: a key of the source's project, sent as the Bearer token; --type in its header.
  const std::string key = d->createKey("alpha");
  auto api = send({"s-key", "--key", key, "--type", "thing.done"});
  expectStored(accepted(api), "s-key", "thing.done");
  EXPECT_EQ(api.out.find(key), std::string::npos) << "the output holds the key";

  // none: unsigned, with an extra header that reaches the stored event.
  auto none = send({"s-none", "--header", "X-Trace: t-1"});
  std::string noneId = accepted(none);
  expectStored(noneId, "s-none", "");
  EXPECT_NE(column(noneId, "headers").find(R"("x-trace":"t-1")"), std::string::npos)
      << column(noneId, "headers");

  EXPECT_EQ(db.scalar("SELECT count(*) FROM events"), "10");
  fs::remove_all(dir);
}

TEST_F(SendCli, WrongSecretInTheCliConfigIsRefusedWith401AndExit1) {
  ASSERT_NO_FATAL_FAILURE(start());
  const std::string wrong = wrongSecretsConfig();
  for (const auto& args : std::vector<std::vector<std::string>>{{"s-hmac"},
                                                                {"s-github", "--type", "push"},
                                                                {"s-stripe"},
                                                                {"s-shopify"},
                                                                {"s-slack"},
                                                                {"s-sw"}}) {
    auto r = send(args, wrong);
    EXPECT_EQ(r.exitCode, 1) << args[0] << ": " << r.out;
    auto out = lines(r.stdoutText);
    ASSERT_GE(out.size(), 2u) << args[0] << ": " << r.out;
    EXPECT_EQ(out[0], "HTTP 401") << args[0];
    EXPECT_NE(out[1].find("Invalid signature"), std::string::npos) << out[1];
    EXPECT_EQ(r.out.find("some-other-"), std::string::npos) << "the output holds a secret";
  }
  // A key that is no key of the project.
  auto badKey = send({"s-key", "--key", "sk_" + std::string(64, '0')});
  EXPECT_EQ(badKey.exitCode, 1) << badKey.out;
  EXPECT_EQ(lines(badKey.stdoutText).at(0), "HTTP 401") << badKey.out;
  EXPECT_EQ(db.scalar("SELECT count(*) FROM events"), "0");
}

TEST_F(SendCli, UnknownSlugUsageAndUnreachableServer) {
  ASSERT_NO_FATAL_FAILURE(start());
  auto unknown = send({"nope"});
  EXPECT_EQ(unknown.exitCode, 1) << unknown.out;
  EXPECT_NE(unknown.stderrText.find("dispatch: unknown source 'nope' (the config's sources: "
                                    "s-hmac, s-github"),
            std::string::npos)
      << unknown.stderrText;
  EXPECT_EQ(unknown.stdoutText, "");

  // Bad usage (exit 2): no SLUG, two FILEs, --type where the source has no event_type, --type
  // that disagrees with FILE's body, api-key without --key, --key elsewhere, a bad --header.
  const std::string file = sample("stripe-charge-succeeded.json");
  for (const auto& args :
       std::vector<std::vector<std::string>>{{},
                                             {"s-stripe", file, file},
                                             {"s-none", "--type", "x"},
                                             {"s-stripe", file, "--type", "invoice.paid"},
                                             {"s-key"},
                                             {"s-github", "--key", "sk_x"},
                                             {"s-none", "--header", "no colon"},
                                             {"s-none", "--frobnicate"}}) {
    auto r = send(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.exitCode, 2) << joined << "\n" << r.out;
    EXPECT_NE(r.stderrText.find("usage: dispatch"), std::string::npos) << joined;
  }
  EXPECT_EQ(db.scalar("SELECT count(*) FROM events"), "0");

  // A missing FILE, and a server that is not there: user errors.
  auto missing = send({"s-none", "/nonexistent/event.json"});
  EXPECT_EQ(missing.exitCode, 1) << missing.out;
  EXPECT_NE(missing.stderrText.find("cannot read /nonexistent/event.json"), std::string::npos);
  auto down = send({"s-none", "--url", "http://127.0.0.1:9"});
  EXPECT_EQ(down.exitCode, 1) << down.out;
  EXPECT_NE(down.stderrText.find("dispatch: POST http://127.0.0.1:9/hooks/s-none: "),
            std::string::npos)
      << down.stderrText;
}

TEST_F(SendCli, HttpsServerIsReachedTrustingItsOwnCertificate) {
  std::string dir = makeTempDir();
  TestCert cert = makeSelfSignedCert(dir);
  DispatchOptions o;
  o.serverExtraYaml = "tls: { cert: " + cert.certFile + ", key: " + cert.keyFile + " }\n";
  ASSERT_NO_FATAL_FAILURE(start(o));
  auto r = send({"s-github", sample("github-push.json"), "--type", "push"});
  expectStored(accepted(r), "s-github", "push");
  EXPECT_NE(r.stderrText.find("POST https://127.0.0.1:"), std::string::npos) << r.stderrText;
  // --ca replaces the trusted extra CA: another certificate does not vouch for this server.
  std::string other = dir + "/other";
  fs::create_directories(other);
  TestCert otherCert = makeSelfSignedCert(other);
  auto untrusted = send({"s-github", "--type", "push", "--ca", otherCert.certFile});
  EXPECT_EQ(untrusted.exitCode, 1) << untrusted.out;
  EXPECT_EQ(untrusted.stdoutText, "") << untrusted.out;
  EXPECT_NE(untrusted.stderrText.find("tls handshake failed"), std::string::npos)
      << untrusted.stderrText;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dispatch::test
