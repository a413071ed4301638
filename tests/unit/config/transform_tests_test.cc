// FILE.test.yaml, the test cases beside a transform (core/config/transform_tests.h): what a case
// reads into (bodies as JSON text, YAML scalars typed as the contract says) and the errors of a
// malformed file, each with file:line:col.
#include "core/config/transform_tests.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/unit/config/config_test_util.h"

namespace dispatch::config {
namespace {

using testing::joinErrors;
using Headers = std::vector<std::pair<std::string, std::string>>;

TEST(TransformTestsFileTest, ReadsEveryFieldOfACase) {
  auto f = parseTransformTests(R"(
- name: opened issue
  event:
    type: issues
    headers: { X-GitHub-Event: issues, X-Count: 5 }
    query: { Team: infra }
    source: github
    id: evt-1
    body:
      action: opened
      number: 7
      ratio: 1.5
      draft: false
      labels: [bug, "200", 200, null, ~]
      empty: {}
  expect:
    outcome: deliver
    type: gh.issues
    headers_out: { X-Team: infra }
    body: { repo: "octo/hello", n: 1, s: "1", t: true, u: null }
- name: dropped
  expect: { outcome: drop }
- name: fails
  expect: { outcome: error, error: "boom" }
)",
                               "t.test.yaml");
  ASSERT_EQ(f.errors, std::vector<std::string>{}) << joinErrors(f.errors);
  ASSERT_EQ(f.cases.size(), 3u);
  const TransformTestCase& c = f.cases[0];
  EXPECT_EQ(c.name, "opened issue");
  EXPECT_EQ(c.location, "t.test.yaml:2:3");
  EXPECT_EQ(c.event.type, "issues");
  EXPECT_EQ(c.event.headers, (Headers{{"x-github-event", "issues"}, {"x-count", "5"}}));
  EXPECT_EQ(c.event.query, (Headers{{"Team", "infra"}}));
  EXPECT_EQ(c.event.source, "github");
  EXPECT_EQ(c.event.id, "evt-1");
  EXPECT_EQ(c.event.body, R"({"action":"opened","number":7,"ratio":1.5,"draft":false,)"
                          R"("labels":["bug","200",200,null,null],"empty":{}})");
  EXPECT_EQ(c.expect.outcome, "deliver");
  EXPECT_EQ(c.expect.type, "gh.issues");
  EXPECT_EQ(c.expect.headersOut, (Headers{{"X-Team", "infra"}}));
  EXPECT_EQ(c.expect.bodyJson, R"({"repo":"octo/hello","n":1,"s":"1","t":true,"u":null})");
  EXPECT_FALSE(c.expect.error);

  EXPECT_EQ(f.cases[1].expect.outcome, "drop");
  EXPECT_FALSE(f.cases[1].expect.type);
  EXPECT_FALSE(f.cases[1].expect.bodyJson);
  EXPECT_FALSE(f.cases[1].expect.headersOut);
  EXPECT_EQ(f.cases[2].expect.error, "boom");
}

TEST(TransformTestsFileTest, EventDefaultsAndScalarBodies) {
  auto f = parseTransformTests(R"(
- name: defaults
  expect: { outcome: drop }
- name: a string is the body's bytes
  event: { body: '{"a": 1,  "b": ${NOT_EXPANDED}}' }
  expect: { outcome: drop }
- name: plain text
  event: { body: a=1&b=2 }
  expect: { outcome: drop }
- name: empty
  event: { body: }
  expect: { outcome: drop }
- name: a plain number
  event: { body: 42 }
  expect: { outcome: deliver, body: 42 }
- name: a quoted number is a string
  expect: { outcome: deliver, body: "42" }
- name: a null body
  expect: { outcome: deliver, body: }
)",
                               "t.test.yaml");
  ASSERT_EQ(f.errors, std::vector<std::string>{}) << joinErrors(f.errors);
  ASSERT_EQ(f.cases.size(), 7u);
  EXPECT_EQ(f.cases[0].event.body, "{}");
  EXPECT_EQ(f.cases[0].event.id, kTestEventId);
  EXPECT_EQ(f.cases[0].event.type, "");
  EXPECT_EQ(f.cases[0].event.source, "");
  EXPECT_TRUE(f.cases[0].event.headers.empty());
  EXPECT_EQ(f.cases[1].event.body, R"({"a": 1,  "b": ${NOT_EXPANDED}})");
  EXPECT_EQ(f.cases[2].event.body, "a=1&b=2");
  EXPECT_EQ(f.cases[3].event.body, "");
  EXPECT_EQ(f.cases[4].event.body, "42");
  EXPECT_EQ(f.cases[4].expect.bodyJson, "42");
  EXPECT_EQ(f.cases[5].expect.bodyJson, R"("42")");
  EXPECT_EQ(f.cases[6].expect.bodyJson, "null");
}

TEST(TransformTestsFileTest, MalformedFilesAreReportedWithFileLineAndColumn) {
  auto f = parseTransformTests(R"(- name: a
  expect: { outcome: maybe }
- name: a
  event: { body: [1], bogus: 1 }
  expect: { outcome: drop, body: 1, type: x }
- name: c
  expect: { outcome: deliver, error: x, headers_out: { X-A: [1] } }
- event: { headers: [x] }
- just text
)",
                               "t.test.yaml");
  EXPECT_EQ(f.errors, (std::vector<std::string>{
                          "t.test.yaml:2:22: [0].expect.outcome: must be deliver, drop or error",
                          "t.test.yaml:4:23: [1].event.bogus: unknown key",
                          "t.test.yaml:5:43: [1].expect.type: only with outcome deliver",
                          "t.test.yaml:5:34: [1].expect.body: only with outcome deliver",
                          "t.test.yaml:3:9: [1].name: duplicate name 'a'",
                          "t.test.yaml:7:61: [2].expect.headers_out.X-A: must be a string",
                          "t.test.yaml:7:38: [2].expect.error: only with outcome error",
                          "t.test.yaml:8:21: [3].event.headers: must be a map",
                          "t.test.yaml:8:3: [3].name: required",
                          "t.test.yaml:8:3: [3].expect: required",
                          "t.test.yaml:9:3: [4]: must be a map",
                      }))
      << joinErrors(f.errors);

  EXPECT_EQ(parseTransformTests("- name: a\n  expect: { outcome: drop\n", "t.test.yaml").errors,
            std::vector<std::string>{"t.test.yaml:3:1: invalid YAML: end of map flow not found"});
  EXPECT_EQ(parseTransformTests("name: a\n", "t.test.yaml").errors,
            std::vector<std::string>{
                "t.test.yaml:1:1: must be a list of test cases ({name, event, expect})"});
  EXPECT_EQ(parseTransformTests("", "t.test.yaml").errors.size(), 1u);
  EXPECT_EQ(parseTransformTests("- name: ''\n  expect: { outcome: drop }\n", "t.test.yaml").errors,
            std::vector<std::string>{"t.test.yaml:1:9: [0].name: must not be empty"});
}

TEST(TransformTestsFileTest, TheFileSitsBesideTheScript) {
  EXPECT_EQ(transformTestPath("transforms/enrich.lua"), "transforms/enrich.test.yaml");
  EXPECT_EQ(transformTestPath("../t.lua"), "../t.test.yaml");
  EXPECT_EQ(transformTestPath("script"), "script.test.yaml");
  EXPECT_EQ(transformTestPath(".lua"), ".lua.test.yaml");

  testing::TempDir dir;
  const std::string path = dir.path() + "/t.test.yaml";
  std::ofstream(path) << "- name: a\n  expect: { outcome: drop }\n";
  auto f = loadTransformTests(path);
  EXPECT_TRUE(f.errors.empty()) << joinErrors(f.errors);
  ASSERT_EQ(f.cases.size(), 1u);
  EXPECT_EQ(f.cases[0].location, path + ":1:3");
  EXPECT_EQ(loadTransformTests(dir.path() + "/none.test.yaml").errors,
            std::vector<std::string>{dir.path() + "/none.test.yaml: cannot read file"});
}

}  // namespace
}  // namespace dispatch::config
