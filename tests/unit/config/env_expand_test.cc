// `${VAR}` expansion of config scalars.
#include "core/config/env_expand.h"

#include <gtest/gtest.h>

#include "tests/unit/config/config_test_util.h"

namespace dispatch::config {
namespace {

using testing::fakeEnv;

std::string expandOk(const std::string& text, const EnvLookup& env) {
  Result<std::string> r = expandEnv(text, env);
  EXPECT_TRUE(r.isOk()) << r.status().message();
  return r.isOk() ? r.value() : "";
}

TEST(ConfigEnvExpand, ReplacesVariablesAnywhereInTheText) {
  const EnvLookup env = fakeEnv({{"HOST", "db"}, {"PORT", "5432"}, {"EMPTY", ""}});
  EXPECT_EQ(expandOk("postgresql://${HOST}:${PORT}/x", env), "postgresql://db:5432/x");
  EXPECT_EQ(expandOk("plain $HOST and $ {x}", env), "plain $HOST and $ {x}");
  EXPECT_EQ(expandOk("[${EMPTY}]", env), "[]");
  EXPECT_EQ(expandOk("", env), "");
}

TEST(ConfigEnvExpand, DefaultsApplyWhenUnsetOrEmpty) {
  const EnvLookup env = fakeEnv({{"SET", "v"}, {"EMPTY", ""}});
  EXPECT_EQ(expandOk("${SET:-d}", env), "v");
  EXPECT_EQ(expandOk("${EMPTY:-d}", env), "d");
  EXPECT_EQ(expandOk("${UNSET:-a:b-c}", env), "a:b-c");
  EXPECT_EQ(expandOk("${UNSET:-}", env), "");
}

TEST(ConfigEnvExpand, ValuesAreNotExpandedAgain) {
  EXPECT_EQ(expandOk("${A}", fakeEnv({{"A", "${B}"}})), "${B}");
}

TEST(ConfigEnvExpand, Errors) {
  const EnvLookup env = fakeEnv({});
  EXPECT_EQ(expandEnv("${MISSING}", env).status().message(),
            "environment variable MISSING is not set");
  EXPECT_EQ(expandEnv("x${OPEN", env).status().message(),
            "unterminated ${ (use ${VAR} or ${VAR:-default})");
  EXPECT_EQ(expandEnv("${}", env).status().message(),
            "invalid variable reference (use ${VAR} or ${VAR:-default})");
  EXPECT_FALSE(expandEnv("${A-B}", env).isOk());
  EXPECT_FALSE(expandEnv("${9A}", env).isOk());
}

TEST(ConfigEnvExpand, ShieldKeepsLengthAndOnlyTouchesWellFormedReferences) {
  const std::string text = "a: [${A}, ${B:-x y}]\nb: ${C\nc: ${D\" }\nd: $x}";
  const std::string shielded = shieldEnvReferences(text);
  ASSERT_EQ(shielded.size(), text.size());
  EXPECT_EQ(shielded.find("${A}"), std::string::npos);
  EXPECT_EQ(shielded.find("${B:-x y}"), std::string::npos);
  EXPECT_NE(shielded.find("${C\n"), std::string::npos);
  EXPECT_NE(shielded.find("${D\" }"), std::string::npos);
  EXPECT_EQ(unshieldEnvReferences(shielded), text);
}

}  // namespace
}  // namespace dispatch::config
