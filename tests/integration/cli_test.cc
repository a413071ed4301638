// The `dispatch` command line of contracts/cli.md: version, check-config, usage errors,
// keys and jobs against a real database, and a running server picking CLI work up.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "tests/integration/api_test_util.h"
#include "tests/integration/harness.h"

namespace dispatch::test {
namespace {

class CliTest : public ::testing::Test {
 protected:
  // Environment and --config for CLI runs against this test's database.
  std::map<std::string, std::string> env() const { return {{"DATABASE_URL", db.url()}}; }
  TestDatabase db;
};

std::vector<std::string> nonEmptyLines(const std::string& text) {
  std::vector<std::string> out;
  for (auto& l : lines(text)) {
    if (!l.empty()) out.push_back(l);
  }
  return out;
}

TEST_F(CliTest, VersionPrintsSemver) {
  auto r = runCliSplit({"version"}, {});
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_TRUE(std::regex_match(r.stdoutText, std::regex(R"(^dispatch \d+\.\d+\.\d+\n$)")))
      << r.stdoutText;
  EXPECT_EQ(r.stderrText, "");
}

TEST_F(CliTest, UsageErrorsExit2) {
  // With a config that does not exist, so a command that does any work before checking
  // its usage fails with 1 instead of 2.
  for (auto args : std::vector<std::vector<std::string>>{{"frobnicate"},
                                                         {},
                                                         {"keys"},
                                                         {"keys", "create"},
                                                         {"keys", "explode", "--project", "alpha"},
                                                         {"keys", "revoke", "--project", "alpha"},
                                                         {"jobs"},
                                                         {"jobs", "frob"},
                                                         {"jobs", "schedule", "--project", "alpha"},
                                                         {"check-config", "--bogus-flag"},
                                                         {"keys", "create", "--project"}}) {
    if (!args.empty()) {
      args.insert(args.begin() + 1, {"--config", "/nonexistent/dispatch.yaml"});
    }
    auto r = runCliSplit(args, env());
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.exitCode, 2) << joined << "\n" << r.out;
    EXPECT_FALSE(r.stderrText.empty()) << joined;
  }
  // --help is not an error.
  EXPECT_EQ(runCli({"--help"}, {}).exitCode, 0);
  EXPECT_EQ(runCli({"keys", "--help"}, {}).exitCode, 0);
}

TEST_F(CliTest, CheckConfigAcceptsAGoodFileWithOneLine) {
  DispatchProcess d(db);  // writes a valid config; not started
  auto r = runCliSplit({"check-config", "--config", d.configPath()}, env());
  EXPECT_EQ(r.exitCode, 0) << r.out;
  auto out = nonEmptyLines(r.stdoutText);
  ASSERT_EQ(out.size(), 1u) << r.stdoutText;
  EXPECT_NE(out[0].find("ok"), std::string::npos) << out[0];
  EXPECT_NE(out[0].find("2 projects"), std::string::npos) << out[0];
  EXPECT_EQ(r.stderrText, "");
}

TEST_F(CliTest, CheckConfigReportsEveryErrorWithFileLineColumnAndPath) {
  std::string dir = makeTempDir();
  std::string path = dir + "/bad.yaml";
  std::ofstream(path) << "server:\n"                    // 1
                      << "  listen: 127.0.0.1:0\n"      // 2
                      << "  bogus_key: 1\n"             // 3
                      << "database:\n"                  // 4
                      << "  url: " << db.url() << "\n"  // 5
                      << "jobs:\n"                      // 6
                      << "  timeout: 5 parsecs\n"       // 7
                      << "projects:\n"                  // 8
                      << "  - name: alpha\n";           // 9
  auto r = runCliSplit({"check-config", "--config", path}, env());
  EXPECT_EQ(r.exitCode, 1) << r.out;
  auto errs = nonEmptyLines(r.stderrText);
  ASSERT_GE(errs.size(), 2u) << r.out;
  std::regex shape("^" + std::regex_replace(path, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                   R"(:(\d+):(\d+): ([A-Za-z0-9_.\[\]]+): (.+)$)");
  bool sawKey = false, sawDuration = false;
  for (const auto& l : errs) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(l, m, shape)) << "not file:line:col: path: message: " << l;
    EXPECT_GT(std::stoi(m[2]), 0) << l;
    if (m[3] == "server.bogus_key") {
      sawKey = true;
      EXPECT_EQ(m[1], "3") << l;
      EXPECT_EQ(m[2], "3") << l;
    }
    if (m[3] == "jobs.timeout") {
      sawDuration = true;
      EXPECT_EQ(m[1], "7") << l;
    }
  }
  EXPECT_TRUE(sawKey) << r.stderrText;
  EXPECT_TRUE(sawDuration) << r.stderrText;
  EXPECT_EQ(r.stdoutText.find("ok"), std::string::npos);

  // A missing file is a user error too.
  auto missing = runCliSplit({"check-config", "--config", dir + "/nope.yaml"}, env());
  EXPECT_EQ(missing.exitCode, 1);
  EXPECT_FALSE(missing.stderrText.empty());
  std::filesystem::remove_all(dir);
}

TEST_F(CliTest, KeysCreatePrintsAWorkingKeyOnTheLastLine) {
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  auto r = runCliSplit(
      {"keys", "create", "--project", "alpha", "--label", "from cli", "--config", d.configPath()},
      env());
  ASSERT_EQ(r.exitCode, 0) << r.out;
  auto out = nonEmptyLines(r.stdoutText);
  ASSERT_FALSE(out.empty());
  std::string key = out.back();
  EXPECT_TRUE(std::regex_match(key, std::regex("^sk_[0-9a-f]{64}$"))) << "last line: " << key;
  EXPECT_EQ(r.stdoutText.back(), '\n');
  EXPECT_EQ(r.stderrText.find(key), std::string::npos);

  // The running server accepts it at once.
  auto j = d.call("POST", "/api/v1/jobs", jobRequest("http://127.0.0.1:9/x", isoIn(3'600'000)),
                  withKey(key));
  EXPECT_EQ(j.status, 201) << j.body;
  EXPECT_EQ(str(j.data(), "projectId"), db.scalar("SELECT id FROM projects WHERE name = 'alpha'"));

  // list shows it (without the key); revoke makes the server refuse it.
  std::string keyId = db.scalar("SELECT id FROM api_keys WHERE label = 'from cli'");
  auto l = runCliSplit({"keys", "list", "--project", "alpha", "--config", d.configPath()}, env());
  EXPECT_EQ(l.exitCode, 0) << l.out;
  EXPECT_NE(l.stdoutText.find(keyId), std::string::npos) << l.stdoutText;
  EXPECT_EQ(l.out.find(key.substr(3)), std::string::npos) << "list leaks the key";
  auto rv = runCliSplit({"keys", "revoke", "--project", "alpha", keyId, "--config", d.configPath()},
                        env());
  EXPECT_EQ(rv.exitCode, 0) << rv.out;
  EXPECT_EQ(d.call("GET", "/api/v1/jobs", "", withKey(key)).status, 401);

  // Unknown project / unknown key id: user errors.
  auto np =
      runCliSplit({"keys", "create", "--project", "gamma", "--config", d.configPath()}, env());
  EXPECT_EQ(np.exitCode, 1) << np.out;
  EXPECT_FALSE(np.stderrText.empty());
  auto nk = runCliSplit({"keys", "revoke", "--project", "alpha",
                         "0190d7a2-3f0e-7c2a-9b1e-5a4d3c2b1a09", "--config", d.configPath()},
                        env());
  EXPECT_EQ(nk.exitCode, 1) << nk.out;
}

TEST_F(CliTest, KeysCreateWorksOnAFreshDatabaseViaDatabaseUrl) {
  // The config's database.url points nowhere useful; DATABASE_URL wins.
  std::string dir = makeTempDir();
  std::string path = dir + "/dispatch.yaml";
  std::ofstream(path) << "database:\n  url: postgresql://127.0.0.1:1/nothing\n"
                      << "projects:\n  - name: alpha\n";
  auto r = runCliSplit({"keys", "create", "--project", "alpha", "--config", path}, env());
  EXPECT_EQ(r.exitCode, 0) << r.out;
  auto out = nonEmptyLines(r.stdoutText);
  ASSERT_FALSE(out.empty());
  EXPECT_TRUE(std::regex_match(out.back(), std::regex("^sk_[0-9a-f]{64}$"))) << out.back();
  EXPECT_EQ(db.scalar("SELECT count(*) FROM api_keys"), "1");
  std::filesystem::remove_all(dir);
}

TEST_F(CliTest, JobsScheduleIsFiredByARunningServerOnTime) {
  Receiver recv;
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string at = isoIn(2500);
  TimeMs due = *parseIsoUtc(at);
  auto r = runCliSplit(
      {"jobs", "schedule", "--project", "alpha", "--url", recv.url("/cli"), "--at", at, "--title",
       "from the cli", "--payload", R"({"k":[1,2,3]})", "--config", d.configPath()},
      env());
  ASSERT_EQ(r.exitCode, 0) << r.out;
  ASSERT_LT(nowMs(), due) << "the CLI took longer than the lead time";
  const std::string printedText = nonEmptyLines(r.stdoutText).back();  // values point into it
  auto printed = json::parse(printedText);
  ASSERT_TRUE(printed.isOk()) << r.stdoutText;
  std::string id = str(&printed.value(), "id");
  EXPECT_TRUE(isUuidText(id)) << r.stdoutText;
  EXPECT_EQ(str(&printed.value(), "status"), "SCHEDULED");

  ASSERT_TRUE(recv.waitFor(1, 5000));
  auto req = recv.requests()[0];
  EXPECT_EQ(req.path, "/cli");
  EXPECT_EQ(req.header("x-dispatch-job-id"), id);
  EXPECT_GE(req.receivedAt, due) << "fired early";
  EXPECT_LT(req.receivedAt, due + 1000) << "not picked up within 1 s of its time";
  auto body = json::parse(req.body);
  ASSERT_TRUE(body.isOk());
  EXPECT_EQ(str(&body.value(), "title"), "from the cli");
  EXPECT_EQ(body->find("payload")->raw(), R"({"k":[1,2,3]})");

  // Bad input is a user error.
  auto past = runCliSplit({"jobs", "schedule", "--project", "alpha", "--url", recv.url(), "--at",
                           "2020-01-01T00:00:00.000Z", "--config", d.configPath()},
                          env());
  EXPECT_EQ(past.exitCode, 1);
  EXPECT_NE(past.stderrText.find("fireAt"), std::string::npos) << past.stderrText;
  auto badPayload =
      runCliSplit({"jobs", "schedule", "--project", "alpha", "--url", recv.url(), "--at",
                   isoIn(60'000), "--payload", "[1]", "--config", d.configPath()},
                  env());
  EXPECT_EQ(badPayload.exitCode, 1) << badPayload.out;
}

}  // namespace
}  // namespace dispatch::test

namespace dispatch::test {
namespace {

TEST(CliPolicyTest, CheckConfigRefusesADestinationTheNetworkPolicyBlocks) {
  std::string dir = makeTempDir();
  std::string path = dir + "/dispatch.yaml";
  std::ofstream(path) << "database: { url: \"postgresql://unused\" }\n"
                         "delivery: { allow_http: true, allow_private_networks: false }\n"
                         "projects:\n"
                         "  - name: p\n"
                         "    destinations:\n"
                         "      - name: local\n"
                         "        type: webhook\n"
                         "        url: http://127.0.0.1:9/x\n";
  CliResult r = runCli({"check-config", "--config", path}, {});
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_NE(r.out.find(path + ":6:9: projects[0].destinations[0].url: "), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("not allowed"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace dispatch::test
