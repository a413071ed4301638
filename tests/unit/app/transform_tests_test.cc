// Test cases run against a transform (core/app/transform_tests.h): what passes (bodies compared
// as JSON values, headers without case), what fails and the line that says why.
#include "core/app/transform_tests.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dispatch::app {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

const char* kScript = R"(function transform(event)
  log("saw " .. event.type)
  if event.body.drop then return nil end
  if event.body.boom then error("boom") end
  event.body = { b = { 1.0, 2 }, a = "x", id = event.id, src = event.source, q = event.query.q }
  event.headers_out = { ["X-Team"] = event.headers["x-team"] }
  event.type = "t." .. event.type
  return event
end
)";

config::TransformTestCase deliverCase(std::string name, std::string body, std::string bodyJson) {
  config::TransformTestCase c;
  c.name = std::move(name);
  c.event.type = "push";
  c.event.body = std::move(body);
  c.event.source = "github";
  c.event.headers = {{"x-team", "infra"}};
  c.event.query = {{"q", "1"}};
  c.expect.outcome = "deliver";
  c.expect.bodyJson = std::move(bodyJson);
  return c;
}

std::vector<CaseResult> run(const std::vector<config::TransformTestCase>& cases) {
  return runTestCases("t.lua", kScript, transform::Limits{}, cases);
}

TEST(TransformTestCasesTest, BodiesCompareAsJsonValues) {
  // Key order, spacing and 1 against 1.0 do not matter.
  auto c =
      deliverCase("shaped", "{}",
                  R"({"src": "github", "q": "1", "id": "00000000-0000-0000-0000-000000000000",)"
                  R"( "b": [1, 2.0], "a": "x"})");
  c.expect.type = "t.push";
  c.expect.headersOut = Headers{{"x-team", "infra"}};  // names without case
  auto results = run({c});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].passed) << results[0].why;
  EXPECT_EQ(results[0].logs, std::vector<std::string>{"saw push"});
  EXPECT_EQ(caseLines(results), std::vector<std::string>{"ok   shaped"});
  EXPECT_EQ(testSummary(results), "1 passed, 0 failed");
}

TEST(TransformTestCasesTest, EachMismatchIsNamed) {
  auto body = deliverCase("body", "{}", R"({"a":"y"})");
  auto type = deliverCase("type", "{}", R"({"a":"x"})");
  type.expect.bodyJson.reset();
  type.expect.type = "push";
  type.expect.headersOut = Headers{{"X-Team", "infra"}, {"X-More", "1"}};
  auto outcome = deliverCase("outcome", R"({"drop":true})", "{}");
  auto error = deliverCase("error", R"({"boom":true})", "{}");
  auto message = deliverCase("message", R"({"boom":true})", "{}");
  message.expect.bodyJson.reset();
  message.expect.outcome = "error";
  message.expect.error = "bang";
  auto fine = deliverCase("fine error", R"({"boom":true})", "{}");
  fine.expect.bodyJson.reset();
  fine.expect.outcome = "error";
  fine.expect.error = "t.lua:4: boom";

  auto results = run({body, type, outcome, error, message, fine});
  ASSERT_EQ(results.size(), 6u);
  EXPECT_EQ(results[0].why,
            R"(expected body {"a":"y"}, got {"a":"x","b":[1.0,2],)"
            R"("id":"00000000-0000-0000-0000-000000000000","q":"1","src":"github"})");
  EXPECT_EQ(results[1].why,
            R"(expected type "push", got "t.push"; expected headers_out {"X-Team":"infra",)"
            R"("X-More":"1"}, got {"X-Team":"infra"})");
  EXPECT_EQ(results[2].why, "expected outcome deliver, got drop");
  EXPECT_EQ(results[3].why, "expected outcome deliver, got error (t.lua:4: boom)");
  EXPECT_EQ(results[4].why, R"(expected an error containing "bang", got "t.lua:4: boom")");
  EXPECT_TRUE(results[5].passed) << results[5].why;
  EXPECT_EQ(testSummary(results), "1 passed, 5 failed");
  const std::vector<std::string> lines = caseLines(results);
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[0], "FAIL body: " + results[0].why);
  EXPECT_EQ(lines[1], "    log: saw push");
  EXPECT_EQ(lines.back(), "ok   fine error");
}

TEST(TransformTestCasesTest, AStringBodyIsNotItsJson) {
  // The delivered bytes {"a":"x",…} are JSON: a quoted YAML string of them is a string value.
  auto c = deliverCase("text", R"({"drop":false})", R"("{\"a\":\"x\"}")");
  auto results = run({c});
  EXPECT_FALSE(results[0].passed);
}

TEST(TransformTestCasesTest, AScriptThatDoesNotCompileFailsEveryCase) {
  config::TransformTestCase c;
  c.name = "any";
  c.expect.outcome = "drop";
  auto results = runTestCases("bad.lua", "function transform(", transform::Limits{}, {c, c});
  ASSERT_EQ(results.size(), 2u);
  EXPECT_FALSE(results[0].passed);
  EXPECT_EQ(results[0].why.rfind("expected outcome drop, got error (bad.lua:1: ", 0), 0u)
      << results[0].why;
}

}  // namespace
}  // namespace dispatch::app
