// The loader takes each source's preset rules from the preset table (core/verify/presets.h):
// the defaults it fills in, which presets need a secret or take a tolerance, and the list of
// valid names in its error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "core/config/config.h"
#include "core/verify/presets.h"
#include "tests/unit/config/config_test_util.h"

namespace dispatch::config {
namespace {

using ::testing::ElementsAre;
using testing::errorsOf;
using testing::fakeEnv;
using ::testing::IsEmpty;
using testing::joinErrors;
using testing::kHead;
using testing::kSecret;

// A source with `preset`, the secret it needs (if any) and allow_unsigned where it must.
std::string sourceWith(const verify::Preset& p, const std::string& extra = "") {
  std::string verify = "{ preset: " + std::string(p.name);
  if (p.keyed()) verify += std::string(", secret: ") + kSecret;
  verify += extra + " }";
  std::string yaml = kHead + "    sources:\n      - slug: s\n        verify: " + verify + "\n";
  if (p.auth == verify::Auth::kUnsigned) yaml += "        allow_unsigned: true\n";
  return yaml;
}

const SourceConfig& onlySource(const LoadResult& r) {
  EXPECT_TRUE(r.config) << joinErrors(r.errors);
  return r.config->projects.at(0).sources.at(0);
}

TEST(PresetRules, EveryPresetLoadsWithItsSendersDefaults) {
  for (const verify::Preset& p : verify::presets()) {
    const LoadResult r = loadString(sourceWith(p), "config/dispatch.yaml", fakeEnv({}));
    ASSERT_TRUE(r.config) << p.name << "\n" << joinErrors(r.errors);
    const SourceConfig& s = onlySource(r);
    EXPECT_EQ(s.verify.preset, p.name);
    EXPECT_EQ(s.eventType.header, p.eventTypeHeader) << p.name;
    EXPECT_EQ(s.eventType.path, p.eventTypePath) << p.name;
    EXPECT_EQ(s.idempotencyHeader, p.idempotencyHeader) << p.name;
    EXPECT_EQ(s.verify.secrets.size(), p.keyed() ? 1u : 0u) << p.name;
  }
}

TEST(PresetRules, TheSourcesOwnSettingsWinOverTheDefaults) {
  const std::string yaml = kHead + R"(    sources:
      - slug: s
        verify: { preset: github, secret: )" +
                           kSecret + R"( }
        event_type: { path: action }
        idempotency_header: X-Request-Id
)";
  const LoadResult r = loadString(yaml, "config/dispatch.yaml", fakeEnv({}));
  const SourceConfig& s = onlySource(r);
  EXPECT_EQ(s.eventType.header, "");
  EXPECT_EQ(s.eventType.path, "action");
  EXPECT_EQ(s.idempotencyHeader, "X-Request-Id");
}

// "config/dispatch.yaml:<line>:<col>: " of the first `needle` in `yaml` (1-based).
std::string markOf(const std::string& yaml, const std::string& needle) {
  const size_t at = yaml.find(needle);
  const size_t lineStart = yaml.rfind('\n', at) + 1;
  const auto line = 1 + std::count(yaml.begin(), yaml.begin() + static_cast<long>(at), '\n');
  return "config/dispatch.yaml:" + std::to_string(line) + ":" + std::to_string(at - lineStart + 1) +
         ": ";
}

TEST(PresetRules, ToleranceOnlyWhereThePresetHasAWindow) {
  for (const verify::Preset& p : verify::presets()) {
    const std::string yaml = sourceWith(p, ", tolerance: 60s");
    const auto errors = errorsOf(yaml);
    if (p.hasWindow) {
      EXPECT_THAT(errors, IsEmpty()) << p.name;
    } else {
      EXPECT_THAT(errors, ElementsAre(markOf(yaml, "60s") +
                                      "projects[0].sources[0].verify.tolerance: only valid for "
                                      "presets stripe, slack, standard-webhooks"))
          << p.name;
    }
  }
}

TEST(PresetRules, KeyedPresetsNeedASecretAndOthersRefuseOne) {
  for (const verify::Preset& p : verify::presets()) {
    std::string yaml =
        kHead + "    sources:\n      - slug: s\n        verify: { preset: " + std::string(p.name) +
        (p.keyed() ? "" : std::string(", secret: ") + kSecret) +
        " }\n        allow_unsigned: true\n";
    const std::string message = p.keyed() ? "secret: required for preset " + std::string(p.name)
                                          : "secret: not used by preset " + std::string(p.name);
    EXPECT_THAT(errorsOf(yaml), ElementsAre(::testing::HasSubstr(message))) << p.name;
  }
}

TEST(PresetRules, UnknownPresetListsEveryName) {
  const std::string yaml =
      kHead + "    sources:\n      - slug: s\n        verify: { preset: svix }\n";
  EXPECT_THAT(errorsOf(yaml), ElementsAre(markOf(yaml, "svix") +
                                          "projects[0].sources[0].verify.preset: must be one of "
                                          "hmac, github, stripe, shopify, slack, "
                                          "standard-webhooks, api-key, none"));
}

}  // namespace
}  // namespace dispatch::config
