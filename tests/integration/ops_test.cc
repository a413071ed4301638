// Operations: health probes, behaviour with the store gone (503, never a false 201), and
// the log never carrying a secret, key, signature or payload body.
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "tests/integration/api_test_util.h"
#include "tests/integration/harness.h"

namespace dispatch::test {
namespace {

class HealthTest : public ::testing::Test {
 protected:
  TestDatabase db;
};

TEST_F(HealthTest, HealthzAndReadyzAnswer200) {
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  auto h = d.call("GET", "/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, "ok");
  auto r = d.call("GET", "/readyz");
  EXPECT_EQ(r.status, 200) << r.body;
  // Probes need no credentials and are not API endpoints (no envelope).
  EXPECT_FALSE(h.json && h.json->isObject());
}

class StoreDownTest : public ::testing::Test {
 protected:
  TestDatabase db;
};

TEST_F(StoreDownTest, DroppedDatabaseGives503NeverASuccess) {
  Receiver recv;
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  std::string body = jobRequest(recv.url(), isoIn(3'600'000));
  // Warm the pool so its connections are the ones that break.
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(d.call("POST", "/api/v1/jobs", body, withKey(key)).status, 201);
  }
  ASSERT_EQ(d.call("GET", "/readyz").status, 200);

  db.drop();

  for (int i = 0; i < 6; ++i) {
    auto r = d.call("POST", "/api/v1/jobs", body, withKey(key));
    EXPECT_EQ(r.status, 503) << "attempt " << i << ": " << r.body;
    ASSERT_TRUE(r.json) << r.body;
    EXPECT_FALSE(r.json->find("status")->asBool());
    EXPECT_TRUE(isNullField(r.json.get(), "data"));
    // The message tells the client nothing internal.
    EXPECT_EQ(r.message().find("pqxx"), std::string::npos);
    EXPECT_EQ(r.message().find(db.name()), std::string::npos) << r.message();
  }
  EXPECT_EQ(d.call("GET", "/api/v1/jobs", "", withKey(key)).status, 503);
  EXPECT_EQ(
      d.call("GET", "/api/v1/jobs/0190d7a2-3f0e-7c2a-9b1e-5a4d3c2b1a09", "", withKey(key)).status,
      503);
  EXPECT_EQ(d.call("POST", "/api/v1/projects/alpha/keys", "{}", asAdmin()).status, 503);
  auto ready = d.call("GET", "/readyz");
  EXPECT_EQ(ready.status, 503) << ready.body;
  auto health = d.call("GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok");
  // A second look a moment later: still a clean 503, and the process is alive.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(d.call("POST", "/api/v1/jobs", body, withKey(key)).status, 503);
  EXPECT_TRUE(d.running()) << d.log();
}

class SecretsTest : public ::testing::Test {
 protected:
  TestDatabase db;
};

TEST_F(SecretsTest, LogIsJsonLinesWithoutSecretsKeysSignaturesOrPayloads) {
  const std::string payloadMarker = "pl-marker-5b1e7c0d93";
  Receiver hook([](int n, const ReceivedRequest&) {
    return ScriptedResponse{n == 0 ? 500 : 200, "rb", {}, 0};
  });
  Receiver cb;
  int closedPort;
  {
    Receiver gone;
    closedPort = gone.port();
  }
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();

  std::vector<std::string> keys;
  auto created =
      d.call("POST", "/api/v1/projects/alpha/keys", R"({"label":"secret-test"})", asAdmin());
  ASSERT_EQ(created.status, 201);
  keys.push_back(str(created.data(), "key"));
  std::string revokedId = str(created.data(), "id");
  keys.push_back(d.createKey("alpha"));
  keys.push_back(d.createKey("beta"));
  auto cli = runCliSplit({"keys", "create", "--project", "beta", "--config", d.configPath()},
                         {{"DATABASE_URL", db.url()}});
  ASSERT_EQ(cli.exitCode, 0) << cli.out;
  keys.push_back(lines(cli.stdoutText)[lines(cli.stdoutText).size() - 1]);
  const std::string& alpha = keys[1];
  const std::string& beta = keys[2];

  std::string payload = R"({"secret":")" + payloadMarker + R"(","n":1})";
  std::vector<std::string> ids;
  auto schedule = [&](const std::string& key, const std::string& url, const std::string& extra) {
    auto r = d.call("POST", "/api/v1/jobs",
                    jobRequest(url, isoIn(150), R"(,"payload":)" + payload + extra), withKey(key));
    EXPECT_EQ(r.status, 201) << r.body;
    ids.push_back(str(r.data(), "id"));
  };
  schedule(alpha, hook.url(), R"(,"callbackUrl":")" + cb.url() + "\"");
  schedule(beta, hook.url("/b"), "");
  schedule(alpha, "http://127.0.0.1:" + std::to_string(closedPort) + "/x", "");

  // Failures of every kind, each carrying something secret.
  const std::string fakeKey = "sk_" + std::string(60, 'c') + "dead";
  const std::string wrongAdmin = "wrong-admin-7d1f0e2a";
  d.call("POST", "/api/v1/jobs", jobRequest(hook.url(), isoIn(60'000)), withKey(fakeKey));
  d.call("GET", "/api/v1/jobs", "", {{"Authorization", "Bearer " + fakeKey}});
  d.call("GET", "/api/v1/projects/alpha/keys", "", {{"Authorization", "Bearer " + wrongAdmin}});
  d.call("GET", "/api/v1/projects/alpha/keys", "", {{"Authorization", "Bearer " + alpha}});
  d.call("POST", "/api/v1/jobs", R"({"title":"t","payload":{"secret":")" + payloadMarker,
         withKey(alpha));
  d.call("POST", "/api/v1/jobs", jobRequest(hook.url(), isoIn(-1000), R"(,"payload":)" + payload),
         withKey(alpha));
  d.call("POST", "/api/v1/jobs", jobRequest(hook.url(), isoIn(60'000), R"(,"payload":)" + payload),
         {{"x-api-key", alpha}, {"Content-Type", "text/plain"}});
  callOrError(d, "POST", "/api/v1/jobs", std::string(2 << 20, 'x'), withKey(alpha));
  ASSERT_EQ(d.call("DELETE", "/api/v1/projects/alpha/keys/" + revokedId, "", asAdmin()).status,
            200);
  d.call("GET", "/api/v1/jobs", "", withKey(keys[0]));

  ASSERT_TRUE(cb.waitFor(1, 6000));
  ASSERT_TRUE(waitForStatus(d, alpha, ids[2], "DEAD", 6000));
  ASSERT_TRUE(waitForStatus(d, beta, ids[1], "SUCCESS", 6000));
  d.kill(SIGTERM);
  EXPECT_EQ(d.wait(10'000), 0);

  std::vector<std::string> secrets = {kAdminToken,
                                      kAlphaSecret,
                                      std::string(kAlphaSecret).substr(6),
                                      "whsec_dGhpcyBpcyBiZXRhJ3Mgc2lnbmluZyBrZXkhIQ==",
                                      "dGhpcyBpcyBiZXRhJ3Mgc2lnbmluZyBrZXkhIQ==",
                                      payloadMarker,
                                      fakeKey,
                                      wrongAdmin};
  for (const auto& k : keys) {
    secrets.push_back(k);
    secrets.push_back(k.substr(3, 32));  // any recognisable part
    secrets.push_back(k.substr(35));
  }
  for (const auto& q : hook.requests()) {
    std::string sig = q.header("webhook-signature");
    ASSERT_FALSE(sig.empty());
    secrets.push_back(sig.substr(sig.find(',') + 1));
  }
  std::string log = d.log();
  ASSERT_FALSE(log.empty());
  for (const auto& s : secrets) {
    EXPECT_EQ(log.find(s), std::string::npos) << "the log contains a secret: " << s;
  }

  int n = 0;
  for (const auto& line : lines(log)) {
    if (line.empty()) continue;
    ++n;
    auto v = json::parse(line);
    ASSERT_TRUE(v.isOk() && v->isObject()) << "not a JSON object: " << line;
    EXPECT_TRUE(isIsoMs(str(&v.value(), "ts"))) << line;
    std::string level = str(&v.value(), "level");
    EXPECT_TRUE(level == "debug" || level == "info" || level == "warn" || level == "error") << line;
    const json::Value* msg = v->find("msg");
    EXPECT_TRUE(msg && msg->isString() && !msg->asString().empty()) << line;
  }
  EXPECT_GT(n, 2);
}

}  // namespace
}  // namespace dispatch::test
