// Secrets refused at load (and check-config) instead of refusing every request later: HMAC
// secrets under 16 bytes, standard-webhooks secrets that are not base64 or decode short,
// signing secrets that are not whsec_<base64> of 16+ bytes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "core/config/config.h"
#include "core/verify/verifier.h"
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
using testing::kSecret;
using ::testing::Not;

std::string source(const std::string& preset, const std::string& secret) {
  return kHead + "    sources:\n      - slug: s\n        verify: { preset: " + preset +
         ", secret: " + secret + " }\n";
}

TEST(SecretRules, HmacPresetsNeedSixteenBytes) {
  for (const char* preset : {"hmac", "github", "stripe", "shopify", "slack"}) {
    EXPECT_THAT(errorsOf(source(preset, "fifteen-bytes!!")),
                ElementsAre("config/dispatch.yaml:7:" + std::to_string(37 + strlen(preset)) +
                            ": projects[0].sources[0].verify.secret: must be at least 16 bytes "
                            "for preset " +
                            preset))
        << preset;
    EXPECT_THAT(errorsOf(source(preset, "sixteen-bytes!!!")), IsEmpty()) << preset;
  }
}

TEST(SecretRules, EachEntryOfAListIsCheckedWhereItIs) {
  const std::string yaml = kHead + R"(    sources:
      - slug: s
        verify:
          secret:
            - a-long-enough-secret
            - short
            - "${OLD:-}"
          preset: github
)";
  EXPECT_THAT(errorsOf(yaml),
              ElementsAre("config/dispatch.yaml:10:15: projects[0].sources[0].verify.secret[1]: "
                          "must be at least 16 bytes for preset github"));
}

TEST(SecretRules, ARefusedSecretIsNotAlsoReportedMissing) {
  EXPECT_THAT(errorsOf(source("slack", "tiny")),
              ElementsAre(HasSubstr("verify.secret: must be at least 16 bytes for preset slack")));
}

TEST(SecretRules, StandardWebhooksSecretsMustBeBase64OfSixteenBytes) {
  // The test vector's secret, with and without its prefix.
  EXPECT_THAT(errorsOf(source("standard-webhooks", kSecret)), IsEmpty());
  EXPECT_THAT(errorsOf(source("standard-webhooks", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")), IsEmpty());
  const std::string notBase64 =
      "must be base64 (after an optional whsec_ prefix) for preset "
      "standard-webhooks";
  for (const char* bad : {"whsec_not*base64!", "plain-text-secret-long-enough", "whsec_abcde",
                          "\"whsec_MfKQ 9r8GKYqrTwjUPD8IL\""}) {
    EXPECT_THAT(errorsOf(source("standard-webhooks", bad)),
                ElementsAre(HasSubstr("verify.secret: " + notBase64)))
        << bad;
  }
  // Valid base64 of 15 bytes, and of none.
  for (const char* shortKey : {"whsec_c2hvcnQtc2hvcnQtc2hv", "c2hvcnQtc2hvcnQtc2hv", "whsec_"}) {
    EXPECT_THAT(errorsOf(source("standard-webhooks", shortKey)),
                ElementsAre(HasSubstr("verify.secret: must decode to at least 16 bytes for preset "
                                      "standard-webhooks")))
        << shortKey;
  }
}

TEST(SecretRules, ErrorsNeverQuoteTheSecret) {
  const auto errors = errorsOf(source("standard-webhooks", "${S1}") +
                                   "      - slug: t\n        verify: { preset: "
                                   "hmac, secret: \"${S2}\" }\n",
                               {{"S1", "whsec_TOPSECRET!"}, {"S2", "TOPSECRET"}});
  EXPECT_EQ(errors.size(), 2u) << joinErrors(errors);
  EXPECT_THAT(errors, Not(Contains(HasSubstr("TOPSECRET"))));
}

TEST(SecretRules, SigningSecretsAreWhsecOfSixteenBytes) {
  const std::string yaml = R"(database: { url: x }
projects:
  - name: p
    signing_secret: [whsec_c2hvcnQtc2hvcnQtc2hv, whsec_not*base64, MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw]
    destinations:
      - { name: d, type: webhook, url: "https://example.com/", secret: whsec_c2hvcnQ= }
)";
  EXPECT_THAT(errorsOf(yaml),
              ElementsAre(HasSubstr(":4:22: projects[0].signing_secret[0]: must be whsec_<base64>"),
                          HasSubstr(":4:50: projects[0].signing_secret[1]: must be whsec_<base64>"),
                          HasSubstr(":4:68: projects[0].signing_secret[2]: must be whsec_<base64>"),
                          HasSubstr("projects[0].destinations[0].secret: must be whsec_<base64>")));
}

TEST(SecretRules, TheRuleIsTheVerifiersOwn) {
  EXPECT_EQ(verify::secretError("hmac", std::string(16, 'k')), std::nullopt);
  EXPECT_EQ(verify::secretError("hmac", std::string(15, 'k')),
            "must be at least 16 bytes for preset hmac");
  EXPECT_EQ(verify::secretError("api-key", ""), std::nullopt);
  EXPECT_EQ(verify::secretError("none", "x"), std::nullopt);
  EXPECT_NE(verify::secretError("standard-webhooks", "whsec_!!"), std::nullopt);
}

}  // namespace
}  // namespace dispatch::config
