// Checks made when something is created rather than when it is used: private addresses in
// any spelling (job URLs: 400; destination URLs: config error), file destinations outside
// files_dir, and secrets no request could ever match.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/integration/api_test_util.h"
#include "tests/integration/harness.h"

namespace dispatch::test {
namespace {

constexpr char kBlockedMessage[] =
    "webhookUrl is not allowed: destination address is not allowed: private or reserved network";

const char* const kPrivateHosts[] = {
    "127.0.0.1.", "127.1.",     "0.0.0.0.",   "169.254.169.254.",   "127.1",
    "0x7f.0.0.1", "0177.0.0.1", "2130706433", "[::ffff:127.0.0.1]", "[::1]",
    "localhost.", "LOCALHOST"};

class CreationChecksTest : public ::testing::Test {
 protected:
  TestDatabase db;
};

TEST_F(CreationChecksTest, JobsToPrivateAddressesInAnySpellingAre400) {
  DispatchOptions o;
  o.deliveryYaml = "{ allow_http: true, allow_private_networks: false, timeout: 2s }";
  DispatchProcess d(db, o);
  ASSERT_TRUE(d.start()) << d.log();
  const std::string key = d.createKey("alpha");
  for (const char* host : kPrivateHosts) {
    const std::string url = std::string("http://") + host + ":9/hook";
    ApiResponse r = d.call("POST", "/api/v1/jobs", jobRequest(url, isoIn(3'600'000)), withKey(key));
    EXPECT_TRUE(isError(r, 400, kBlockedMessage)) << url;
    // The callback URL goes through the same check.
    r = d.call("POST", "/api/v1/jobs",
               jobRequest("https://example.com/hook", isoIn(3'600'000),
                          ",\"callbackUrl\":\"" + url + "\""),
               withKey(key));
    EXPECT_TRUE(isError(r, 400,
                        "callbackUrl is not allowed: destination address is not allowed: private "
                        "or reserved network"))
        << url;
  }
  EXPECT_EQ(db.scalar("SELECT count(*) FROM jobs"), "0");
}

// Runs check-config over `yaml` written as dispatch.yaml in a fresh folder.
CliResult checkConfig(const std::string& dir, const std::string& yaml) {
  const std::string path = dir + "/dispatch.yaml";
  std::ofstream(path) << yaml;
  return runCli({"check-config", "--config", path}, {});
}

TEST(CreationChecksCliTest, DestinationsToPrivateAddressesInAnySpellingAreConfigErrors) {
  const std::string dir = makeTempDir();
  for (const char* host : kPrivateHosts) {
    const std::string yaml = std::string(
                                 "database: { url: \"postgresql://unused\" }\n"
                                 "delivery: { allow_http: true }\n"
                                 "projects:\n"
                                 "  - name: p\n"
                                 "    destinations:\n"
                                 "      - name: local\n"
                                 "        type: webhook\n"
                                 "        url: \"http://") +
                             host + "/x\"\n";
    CliResult r = checkConfig(dir, yaml);
    EXPECT_EQ(r.exitCode, 1) << host << ": " << r.out;
    EXPECT_NE(r.out.find(dir + "/dispatch.yaml:6:9: projects[0].destinations[0].url: destination "
                               "address is not allowed: private or reserved network"),
              std::string::npos)
        << host << ": " << r.out;
  }
  std::filesystem::remove_all(dir);
}

TEST(CreationChecksCliTest, FileDestinationsOutsideFilesDirAndShortSecretsAreConfigErrors) {
  const std::string dir = makeTempDir();
  std::filesystem::create_directories(dir + "/files");
  CliResult r = checkConfig(dir,
                            "database: { url: \"postgresql://unused\" }\n"           // 1
                            "files_dir: files\n"                                     // 2
                            "projects:\n"                                            // 3
                            "  - name: p\n"                                          // 4
                            "    sources:\n"                                         // 5
                            "      - slug: gh\n"                                     // 6
                            "        verify: { preset: github, secret: hunter2 }\n"  // 7
                            "      - slug: sw\n"                                     // 8
                            "        verify: { preset: standard-webhooks, secret: "
                            "whsec_not*base64 }\n"  // 9
                            "    destinations:\n"   // 10
                            "      - name: out\n"   // 11
                            "        type: file\n"  // 12
                            "        path: ../escape.jsonl\n");
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_NE(r.out.find(dir + "/dispatch.yaml:7:43: projects[0].sources[0].verify.secret: must be "
                             "at least 16 bytes for preset github"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(dir + "/dispatch.yaml:9:54: projects[0].sources[1].verify.secret: must be "
                             "base64 (after an optional whsec_ prefix) for preset "
                             "standard-webhooks"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("hunter2"), std::string::npos) << r.out;

  // With the secrets fixed, the file destination is what is left.
  r = checkConfig(dir,
                  "database: { url: \"postgresql://unused\" }\n"
                  "files_dir: files\n"
                  "projects:\n"
                  "  - name: p\n"
                  "    destinations:\n"
                  "      - name: out\n"
                  "        type: file\n"
                  "        path: ../escape.jsonl\n");
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_NE(r.out.find(dir + "/dispatch.yaml:6:9: path: '../escape.jsonl' is outside files_dir '" +
                       dir + "/files'"),
            std::string::npos)
      << r.out;
  std::filesystem::remove_all(dir);
}

TEST(CreationChecksCliTest, TheShippedConfigKeepsItsFileDestinationUnderFilesDir) {
  // config/dispatch.yaml as it sits in a checkout: <root>/config/dispatch.yaml and <root>/var.
  const std::string root = makeTempDir();
  std::filesystem::create_directories(root + "/config");
  std::filesystem::create_directories(root + "/var");
  std::filesystem::copy_file(std::string(DISPATCH_SOURCE_DIR) + "/config/dispatch.yaml",
                             root + "/config/dispatch.yaml");
  CliResult r = runCli({"check-config", "--config", root + "/config/dispatch.yaml"},
                       {{"DATABASE_URL", "postgresql://unused"}});
  EXPECT_EQ(r.exitCode, 0) << r.out;
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace dispatch::test
