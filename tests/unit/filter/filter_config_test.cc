// `filter:` in the config file: where it may stand, and every way it can be malformed — each a
// config error at the offending key or value's file:line:col with its key path.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/filter/filter_test_util.h"

namespace dispatch::filter {
namespace {

using testing::compileYaml;
using ::testing::ElementsAre;
using testing::filterErrors;
using ::testing::HasSubstr;
using testing::passes;

constexpr char kPath[] = "projects[0].destinations[0].filter";

// "config/dispatch.yaml:9:<column of `token` in the filter>: <path>: <message>", the filter
// starting at column 17 of line 9 (filter_test_util.h).
std::string at(const std::string& filterYaml, const std::string& token, const std::string& path,
               const std::string& message) {
  const size_t col = filterYaml.find(token);
  EXPECT_NE(col, std::string::npos) << token;
  return "config/dispatch.yaml:9:" + std::to_string(17 + col) + ": " + kPath + path + ": " +
         message;
}

TEST(FilterConfigTest, OnDestinationsAndLinks) {
  const std::string yaml = config::testing::kHead +
                           "    sources:\n"
                           "      - { slug: s, allow_unsigned: true }\n"
                           "    destinations:\n"
                           "      - name: d\n"
                           "        type: webhook\n"
                           "        url: https://example.com/h\n"
                           "        filter:\n"
                           "          body:\n"
                           "            data.amount: { $gte: 1000 }\n"
                           "          headers: { x-kind: order }\n"
                           "      - { name: e, type: webhook, url: https://example.com/e }\n"
                           "    links:\n"
                           "      - source: s\n"
                           "        destination: d\n"
                           "        filter: { body: { type: { $in: [a, b] } } }\n"
                           "      - { source: s, destination: e }\n";
  auto r = config::loadString(yaml, "config/dispatch.yaml", config::testing::fakeEnv({}));
  ASSERT_TRUE(r.config) << config::testing::joinErrors(r.errors);
  const auto& p = r.config->projects[0];
  ASSERT_TRUE(p.destinations[0].filter);
  EXPECT_FALSE(p.destinations[1].filter);
  ASSERT_TRUE(p.links[0].filter);
  EXPECT_FALSE(p.links[1].filter);
  EXPECT_TRUE(
      passes(*p.destinations[0].filter, R"({"data":{"amount":1000}})", {{"x-kind", "order"}}));
  EXPECT_FALSE(
      passes(*p.destinations[0].filter, R"({"data":{"amount":999}})", {{"x-kind", "order"}}));
  EXPECT_TRUE(passes(*p.links[0].filter, R"({"type":"b"})"));
  EXPECT_FALSE(passes(*p.links[0].filter, R"({"type":"c"})"));
}

TEST(FilterConfigTest, AnEmptyFilterLetsEverythingThrough) {
  for (const std::string empty : {"", "{}", "~"}) {
    auto f = compileYaml(empty);
    ASSERT_TRUE(f) << empty;
    EXPECT_TRUE(passes(*f, "not json"));
    EXPECT_FALSE(f->readsBody());
  }
}

TEST(FilterConfigTest, ARegexThatDoesNotCompileIsAnErrorAtItsValue) {
  const std::string f = "{ body: { a: { $regex: '(unclosed' } } }";
  EXPECT_THAT(filterErrors(f), ElementsAre(at(f, "'(unclosed'", ".body.a.$regex",
                                              "invalid regular expression: missing ): (unclosed")));
  const std::string g = "{ headers: { x-a: { $regex: 'a**' } } }";
  EXPECT_THAT(filterErrors(g), ElementsAre(HasSubstr(":9:" + std::to_string(17 + g.find("'a**'")) +
                                                     ": projects[0].destinations[0].filter."
                                                     "headers.x-a.$regex: invalid regular "
                                                     "expression: bad repetition operator")));
}

TEST(FilterConfigTest, ARegexIsBoundedInLengthAndMemory) {
  const std::string longPattern = "{ body: { a: { $regex: '" + std::string(4097, 'a') + "' } } }";
  EXPECT_THAT(filterErrors(longPattern), ElementsAre(HasSubstr("longer than 4096 bytes")));
  EXPECT_TRUE(compileYaml("{ body: { a: { $regex: '" + std::string(4096, 'a') + "' } } }"));
  // Small to write, large to compile: over the 1 MiB budget.
  EXPECT_THAT(filterErrors("{ body: { a: { $regex: '\\pL{1000}' } } }"),
              ElementsAre(HasSubstr("invalid regular expression: pattern too large")));
}

TEST(FilterConfigTest, UnknownOperatorsAndKeys) {
  const std::string f = "{ body: { a: { $gtt: 5 } } }";
  EXPECT_THAT(filterErrors(f),
              ElementsAre(at(f, "$gtt", ".body.a.$gtt",
                             "unknown operator (known: $eq, $ne, $in, $nin, $gt, $gte, $lt, $lte, "
                             "$exists, $regex, $and, $or, $not)")));
  const std::string g = "{ bodies: { a: 1 } }";
  EXPECT_THAT(filterErrors(g), ElementsAre(at(g, "bodies", ".bodies",
                                              "unknown key (known: body, headers, $and, $or, "
                                              "$not)")));
  const std::string h = "{ body: { $where: 1 } }";
  EXPECT_THAT(filterErrors(h),
              ElementsAre(at(h, "$where", ".body.$where",
                             "unknown operator (only $and, $or, $not here; a path cannot start "
                             "with $)")));
  const std::string i = "{ body: { a: { b: 1 } } }";
  EXPECT_THAT(filterErrors(i), ElementsAre(at(i, "b:", ".body.a.b",
                                              "not an operator: a condition is a value or a map "
                                              "of operators ($eq, $gt, …); for a field inside a "
                                              "value, extend the dot-path (a.b)")));
}

TEST(FilterConfigTest, WrongOperandTypes) {
  const std::string v = "must be a value (null, true, false, a number or a string)";
  struct Case {
    std::string filter, token, path, message;
  };
  const Case cases[] = {
      {"{ body: { a: { $gt: true } } }", "true", ".body.a.$gt", "must be a number or a string"},
      {"{ body: { a: { $lte: ~ } } }", "~", ".body.a.$lte", "must be a number or a string"},
      {"{ body: { a: { $lt: [1] } } }", "[1]", ".body.a.$lt", "must be a number or a string"},
      {"{ body: { a: { $in: x } } }", "x }", ".body.a.$in", "must be a list of values"},
      {"{ body: { a: { $nin: [x, [y]] } } }", "[y]", ".body.a.$nin[1]", v},
      {"{ body: { a: { $eq: { b: 1 } } } }", "{ b: 1", ".body.a.$eq", v},
      {"{ body: { a: { $ne: [1] } } }", "[1]", ".body.a.$ne", v},
      {"{ body: { a: { $exists: maybe } } }", "maybe", ".body.a.$exists", "must be true or false"},
      {"{ body: { a: { $exists: 1 } } }", "1 }", ".body.a.$exists", "must be true or false"},
      {"{ body: { a: { $regex: [x] } } }", "[x]", ".body.a.$regex",
       "must be a string (an RE2 regular expression)"},
      {"{ body: { a: [1, 2] } }", "[1", ".body.a",
       "must be a value or a map of operators (for a list of values use $in)"},
      {"{ body: { a: {} } }", "{}", ".body.a",
       "must not be empty (a value, or operators: $eq, $ne, $in, $nin, $gt, $gte, $lt, $lte, "
       "$exists, $regex, $and, $or, $not)"},
      {"{ body: [a] }", "[a]", ".body", "must be a map of dot-paths to conditions"},
      {"{ headers: x }", "x }", ".headers",
       "must be a map of lower-case header names to conditions"},
      {"5", "5", "", "must be a map (body, headers, $and, $or, $not)"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(filterErrors(c.filter), ElementsAre(at(c.filter, c.token, c.path, c.message)))
        << c.filter;
  }
}

TEST(FilterConfigTest, NamesAndPaths) {
  const std::string f = "{ headers: { X-GitHub-Event: push } }";
  EXPECT_THAT(filterErrors(f), ElementsAre(at(f, "X-GitHub", ".headers.X-GitHub-Event",
                                              "header names are written in lower case")));
  const std::string g = R"({ headers: { "bad name": x } })";
  EXPECT_THAT(filterErrors(g),
              ElementsAre(at(g, "\"bad", ".headers.bad name", "invalid header name")));
  for (const std::string path : {"a..b", ".a", "a."}) {
    const std::string h = "{ body: { \"" + path + "\": 1 } }";
    EXPECT_THAT(filterErrors(h),
                ElementsAre(at(h, "\"", ".body." + path, "invalid dot-path: a step is empty")))
        << path;
  }
}

TEST(FilterConfigTest, Combinators) {
  struct Case {
    std::string filter, token, path, message;
  };
  const Case cases[] = {
      {"{ $or: [] }", "[]", ".$or", "must not be empty"},
      {"{ $and: { body: {} } }", "{ body", ".$and", "must be a list"},
      {"{ $and: [x] }", "x]", ".$and[0]", "must be a map"},
      {"{ $not: x }", "x }", ".$not", "must be a map or a list of maps"},
      {"{ body: { $or: [a] } }", "a]", ".body.$or[0]", "must be a map"},
      {"{ body: { a: { $or: 1 } } }", "1 }", ".body.a.$or", "must be a list"},
      {"{ body: { a: { $and: [] } } }", "[]", ".body.a.$and", "must not be empty"},
      {"{ $or: [{ body: { a: { $bad: 1 } } }] }", "$bad", ".$or[0].body.a.$bad",
       "unknown operator (known: $eq, $ne, $in, $nin, $gt, $gte, $lt, $lte, $exists, $regex, "
       "$and, $or, $not)"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(filterErrors(c.filter), ElementsAre(at(c.filter, c.token, c.path, c.message)))
        << c.filter;
  }
}

TEST(FilterConfigTest, DuplicateKeys) {
  const std::string f = "{ body: { a: 1, a: 2 } }";
  EXPECT_THAT(filterErrors(f), ElementsAre(at(f, "a: 2", ".body.a", "duplicate key")));
}

TEST(FilterConfigTest, NestingIsBounded) {
  std::string deep = "{ body: { a: 1 } }";
  for (int i = 0; i < 20; ++i) deep = "{ $not: " + deep + " }";
  EXPECT_TRUE(compileYaml(deep));
  std::string deeper = "1";
  for (int i = 0; i < 40; ++i) deeper = "{ $not: " + deeper + " }";
  deeper = "{ body: { a: " + deeper + " } }";
  EXPECT_THAT(filterErrors(deeper),
              ElementsAre(HasSubstr("nested too deeply (at most 32 levels)")));
}

TEST(FilterConfigTest, EveryProblemIsReported) {
  const std::string f =
      "{ body: { a: { $gtt: 1 }, b: { $regex: '(' } }, headers: { X-A: 1 }, extra: 1 }";
  EXPECT_THAT(filterErrors(f), ElementsAre(HasSubstr(".body.a.$gtt: unknown operator"),
                                           HasSubstr(".body.b.$regex: invalid regular expression"),
                                           HasSubstr(".headers.X-A: header names are written"),
                                           HasSubstr(".extra: unknown key")));
}

TEST(FilterConfigTest, LinkFiltersReportTheirPath) {
  const std::string link =
      "      - { source: s, destination: d, filter: { body: { a: { $in: 1 } } } }\n";
  const std::string yaml = config::testing::kHead +
                           "    sources: [{ slug: s, allow_unsigned: true }]\n"
                           "    destinations: [{ name: d, type: webhook, url: https://e.com/h }]\n"
                           "    links:\n" +
                           link;
  EXPECT_THAT(config::testing::errorsOf(yaml),
              ElementsAre("config/dispatch.yaml:8:" + std::to_string(link.find("1 }") + 1) +
                          ": projects[0].links[0].filter.body.a.$in: must be a list of values"));
}

TEST(FilterConfigTest, AnUnsetVariableIsReportedOnce) {
  EXPECT_THAT(filterErrors("{ body: { a: ${NOPE} } }"),
              ElementsAre(HasSubstr("body.a: environment variable NOPE is not set")));
}

}  // namespace
}  // namespace dispatch::filter
