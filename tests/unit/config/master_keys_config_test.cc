// DISPATCH_MASTER_KEYS at load (and check-config): required and valid when a project has
// encrypt_payloads: true, valid whenever set, reported where the config asks for it, and
// never quoted.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/config/config.h"
#include "core/crypto/key_ring.h"
#include "tests/unit/config/config_test_util.h"

namespace dispatch::config {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using testing::errorsOf;
using testing::fakeEnv;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::joinErrors;
using testing::kHead;
using ::testing::Not;

// base64 of the bytes 0..31, and of 16 bytes.
constexpr char kKey[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
constexpr char kShortKey[] = "WlpaWlpaWlpaWlpaWlpaWg==";

const std::string kEncrypting = kHead + "    encrypt_payloads: true\n";  // value at 5:23
const std::string kMissing =
    "config/dispatch.yaml:5:23: projects[0].encrypt_payloads: needs DISPATCH_MASTER_KEYS in the "
    "environment (kid:<base64 of 32 bytes>[,kid:<base64>…])";

LoadResult load(const std::string& yaml, std::map<std::string, std::string> env) {
  return loadString(yaml, "config/dispatch.yaml", fakeEnv(std::move(env)));
}

TEST(MasterKeysConfig, AnEncryptingProjectNeedsTheKeys) {
  EXPECT_THAT(errorsOf(kEncrypting), ElementsAre(kMissing));
  // Set but empty (an env file's `DISPATCH_MASTER_KEYS=`) is as good as unset.
  EXPECT_THAT(errorsOf(kEncrypting, {{"DISPATCH_MASTER_KEYS", ""}}), ElementsAre(kMissing));
}

TEST(MasterKeysConfig, AnEncryptingProjectGetsTheParsedRing) {
  LoadResult r = load(kEncrypting, {{"DISPATCH_MASTER_KEYS", std::string("new:") + kKey}});
  ASSERT_TRUE(r.config) << joinErrors(r.errors);
  EXPECT_TRUE(r.config->projects[0].encryptPayloads);
  ASSERT_NE(r.config->masterKeys, nullptr);
  EXPECT_EQ(r.config->masterKeys->currentId(), "new");
}

TEST(MasterKeysConfig, MalformedKeysAreReportedWhereTheyAreNeeded) {
  EXPECT_THAT(errorsOf(kEncrypting, {{"DISPATCH_MASTER_KEYS", std::string("k1:") + kShortKey}}),
              ElementsAre("config/dispatch.yaml:5:23: projects[0].encrypt_payloads: "
                          "DISPATCH_MASTER_KEYS: key k1 is 16 bytes, expected 32"));
  EXPECT_THAT(errorsOf(kEncrypting, {{"DISPATCH_MASTER_KEYS", kKey}}),
              ElementsAre("config/dispatch.yaml:5:23: projects[0].encrypt_payloads: "
                          "DISPATCH_MASTER_KEYS: entry 1 is not kid:base64"));
  EXPECT_THAT(
      errorsOf(kEncrypting, {{"DISPATCH_MASTER_KEYS", std::string("k1:") + kKey + ",k1:" + kKey}}),
      ElementsAre(HasSubstr("projects[0].encrypt_payloads: DISPATCH_MASTER_KEYS: duplicate key "
                            "id k1")));
}

TEST(MasterKeysConfig, OnlyTheFirstEncryptingProjectIsBlamed) {
  const std::string yaml = kHead + R"(  - name: q
    encrypt_payloads: false
  - name: r
    encrypt_payloads: "${ENCRYPT:-true}"
  - name: s
    encrypt_payloads: true
)";
  EXPECT_THAT(errorsOf(yaml),
              ElementsAre("config/dispatch.yaml:8:23: projects[2].encrypt_payloads: needs "
                          "DISPATCH_MASTER_KEYS in the environment (kid:<base64 of 32 "
                          "bytes>[,kid:<base64>…])"));
}

TEST(MasterKeysConfig, WithoutEncryptingProjectsTheKeysAreOptional) {
  const std::string yaml = kHead + "    encrypt_payloads: false\n";
  LoadResult r = load(yaml, {});
  ASSERT_TRUE(r.config) << joinErrors(r.errors);
  EXPECT_EQ(r.config->masterKeys, nullptr);
  // Given anyway (a project that stopped encrypting still has sealed values): kept.
  r = load(kHead, {{"DISPATCH_MASTER_KEYS", std::string("k1:") + kKey}});
  ASSERT_TRUE(r.config) << joinErrors(r.errors);
  ASSERT_NE(r.config->masterKeys, nullptr);
  EXPECT_EQ(r.config->masterKeys->currentId(), "k1");
}

TEST(MasterKeysConfig, SetKeysMustBeValidEvenWithoutEncryptingProjects) {
  EXPECT_THAT(errorsOf(kHead, {{"DISPATCH_MASTER_KEYS", "k1"}}),
              ElementsAre("config/dispatch.yaml:1:1: DISPATCH_MASTER_KEYS: entry 1 is not "
                          "kid:base64"));
}

TEST(MasterKeysConfig, IsReportedBesideOtherErrors) {
  const std::string yaml = kHead + "    encrypt_payloads: true\n    retention: forever\n";
  const auto errors = errorsOf(yaml);
  EXPECT_EQ(errors.size(), 2u) << joinErrors(errors);
  EXPECT_THAT(errors, Contains(kMissing));
  EXPECT_THAT(errors, Contains(HasSubstr("projects[0].retention:")));
}

TEST(MasterKeysConfig, ErrorsNeverQuoteKeyMaterial) {
  for (const std::string& keys :
       {std::string("k1:") + kShortKey, std::string(kKey), std::string(kKey) + ":" + kKey,
        std::string("k1:") + kKey + "," + kShortKey, std::string("k1:") + kKey + "?"}) {
    for (const std::string& yaml : {kEncrypting, kHead}) {
      const auto errors = errorsOf(yaml, {{"DISPATCH_MASTER_KEYS", keys}});
      EXPECT_EQ(errors.size(), 1u) << keys;
      EXPECT_THAT(errors, Not(Contains(HasSubstr(std::string(kKey).substr(0, 10))))) << keys;
      EXPECT_THAT(errors, Not(Contains(HasSubstr(std::string(kShortKey).substr(0, 10))))) << keys;
    }
  }
}

}  // namespace
}  // namespace dispatch::config
