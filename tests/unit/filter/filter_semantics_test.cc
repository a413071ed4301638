// What a compiled filter lets through (docs/configuration.md, "Filters"): every operator, the
// typing of values, nesting, type mismatches, missing paths, array indices and elements,
// bodies that are not JSON, headers, and that the body is parsed only when a condition reads it.
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/filter/filter_test_util.h"

namespace dispatch::filter {
namespace {

using testing::compileYaml;
using testing::passes;

// Whether the filter written as `yaml` passes the event.
bool holds(const std::string& yaml, const std::string& body, const model::Headers& headers = {}) {
  auto f = compileYaml(yaml);
  return f != nullptr && passes(*f, body, headers);
}

const char* const kOrder =
    R"({"id":"ord_1","amount":1500,"currency":"eur","paid":true,"note":null,
        "customer":{"email":"a@example.com","tier":"gold"},
        "items":[{"sku":"A-1","qty":2},{"sku":"B-7","qty":1}],
        "tags":["urgent","eu"],"scores":[3,9],"big":9007199254740993,"created":"2026-03-01T10:00:00Z"})";

TEST(FilterSemanticsTest, AScalarMeansEq) {
  EXPECT_TRUE(holds("{ body: { currency: eur } }", kOrder));
  EXPECT_FALSE(holds("{ body: { currency: usd } }", kOrder));
  EXPECT_TRUE(holds("{ body: { amount: 1500 } }", kOrder));
  EXPECT_TRUE(holds("{ body: { amount: 1500.0 } }", kOrder));  // numbers compare as numbers
  EXPECT_TRUE(holds("{ body: { paid: true } }", kOrder));
  EXPECT_TRUE(holds("{ body: { note: null } }", kOrder));
  EXPECT_TRUE(holds("{ body: { note: ~ } }", kOrder));
  EXPECT_TRUE(holds("{ body: { customer.tier: gold } }", kOrder));
}

TEST(FilterSemanticsTest, QuotedValuesAreStringsAndTypesMustAgree) {
  const std::string body = R"({"status":"200","code":200,"flag":"true","on":true,"n":"null"})";
  EXPECT_TRUE(holds(R"({ body: { status: "200" } })", body));
  EXPECT_FALSE(holds("{ body: { status: 200 } }", body));  // a string is not the number
  EXPECT_TRUE(holds("{ body: { code: 200 } }", body));
  EXPECT_FALSE(holds(R"({ body: { code: "200" } })", body));
  EXPECT_TRUE(holds(R"({ body: { flag: "true" } })", body));
  EXPECT_FALSE(holds("{ body: { flag: true } }", body));
  EXPECT_FALSE(holds(R"({ body: { on: "true" } })", body));
  EXPECT_TRUE(holds("{ body: { on: True } }", body));  // YAML's spellings of a boolean
  EXPECT_TRUE(holds(R"({ body: { n: 'null' } })", body));
  EXPECT_FALSE(holds("{ body: { n: null } }", body));
  EXPECT_TRUE(holds("{ body: { code: !!str 200 } }", R"({"code":"200"})"));
}

TEST(FilterSemanticsTest, EqNeInNin) {
  EXPECT_TRUE(holds("{ body: { currency: { $eq: eur } } }", kOrder));
  EXPECT_TRUE(holds("{ body: { currency: { $ne: usd } } }", kOrder));
  EXPECT_FALSE(holds("{ body: { currency: { $ne: eur } } }", kOrder));
  EXPECT_TRUE(holds("{ body: { currency: { $in: [usd, eur] } } }", kOrder));
  EXPECT_FALSE(holds("{ body: { currency: { $in: [usd, gbp] } } }", kOrder));
  EXPECT_FALSE(holds("{ body: { currency: { $in: [] } } }", kOrder));
  EXPECT_TRUE(holds("{ body: { currency: { $nin: [usd, gbp] } } }", kOrder));
  EXPECT_FALSE(holds("{ body: { currency: { $nin: [usd, eur] } } }", kOrder));
  EXPECT_TRUE(holds("{ body: { currency: { $nin: [] } } }", kOrder));
  EXPECT_TRUE(holds("{ body: { amount: { $in: [1, 1500, x] } } }", kOrder));
}

TEST(FilterSemanticsTest, OrderingOnNumbers) {
  EXPECT_TRUE(holds("{ body: { amount: { $gt: 1000 } } }", kOrder));
  EXPECT_FALSE(holds("{ body: { amount: { $gt: 1500 } } }", kOrder));
  EXPECT_TRUE(holds("{ body: { amount: { $gte: 1500 } } }", kOrder));
  EXPECT_TRUE(holds("{ body: { amount: { $lt: 1500.5 } } }", kOrder));
  EXPECT_FALSE(holds("{ body: { amount: { $lt: 1500 } } }", kOrder));
  EXPECT_TRUE(holds("{ body: { amount: { $lte: 1.5e3 } } }", kOrder));
  EXPECT_TRUE(holds("{ body: { amount: { $gte: 1000, $lt: 2000 } } }", kOrder));  // a range
  EXPECT_FALSE(holds("{ body: { amount: { $gte: 1000, $lt: 1200 } } }", kOrder));
  EXPECT_TRUE(holds("{ body: { t: { $lt: -0.5 } } }", R"({"t":-1})"));
}

TEST(FilterSemanticsTest, IntegersBeyondDoublePrecisionCompareExactly) {
  // 9007199254740993 (2^53 + 1) would read as 9007199254740992 through a double.
  EXPECT_TRUE(holds("{ body: { big: 9007199254740993 } }", kOrder));
  EXPECT_FALSE(holds("{ body: { big: 9007199254740992 } }", kOrder));
  EXPECT_TRUE(holds("{ body: { big: { $gt: 9007199254740992 } } }", kOrder));
  EXPECT_FALSE(holds("{ body: { big: { $lt: 9007199254740993 } } }", kOrder));
  EXPECT_TRUE(
      holds("{ body: { id: { $gt: 18446744073709551615 } } }", R"({"id":18446744073709551616})"));
}

TEST(FilterSemanticsTest, OrderingOnStringsIsByteOrder) {
  EXPECT_TRUE(holds(R"({ body: { created: { $gte: "2026-01-01" } } })", kOrder));
  EXPECT_FALSE(holds(R"({ body: { created: { $lt: "2026-03-01" } } })", kOrder));
  EXPECT_TRUE(holds("{ body: { s: { $gt: a } } }", R"({"s":"b"})"));
  EXPECT_TRUE(holds("{ body: { s: { $gt: Z } } }", R"({"s":"a"})"));       // 'a' > 'Z' in bytes
  EXPECT_TRUE(holds("{ body: { s: { $gt: z } } }", R"({"s":"\u00e9"})"));  // é after z
}

TEST(FilterSemanticsTest, TypeMismatchesAreFalseNeverErrors) {
  // A string against a number bound: neither above nor below.
  EXPECT_FALSE(holds("{ body: { currency: { $gt: 5 } } }", kOrder));
  EXPECT_FALSE(holds("{ body: { currency: { $lte: 5 } } }", kOrder));
  // A number against a string bound.
  EXPECT_FALSE(holds("{ body: { amount: { $gt: a } } }", kOrder));
  EXPECT_FALSE(holds("{ body: { amount: { $lt: a } } }", kOrder));
  // Booleans, null, objects and arrays have no order.
  EXPECT_FALSE(holds("{ body: { paid: { $gt: 0 } } }", kOrder));
  EXPECT_FALSE(holds("{ body: { note: { $lt: 1 } } }", kOrder));
  EXPECT_FALSE(holds("{ body: { customer: { $gte: a } } }", kOrder));
  // $regex reads strings only.
  EXPECT_FALSE(holds("{ body: { amount: { $regex: '1500' } } }", kOrder));
  EXPECT_FALSE(holds("{ body: { customer: { $regex: gold } } }", kOrder));
  // An object or array is equal to no scalar.
  EXPECT_FALSE(holds("{ body: { customer: gold } }", kOrder));
  EXPECT_TRUE(holds("{ body: { customer: { $ne: gold } } }", kOrder));
}

TEST(FilterSemanticsTest, Exists) {
  EXPECT_TRUE(holds("{ body: { customer.email: { $exists: true } } }", kOrder));
  EXPECT_FALSE(holds("{ body: { customer.phone: { $exists: true } } }", kOrder));
  EXPECT_TRUE(holds("{ body: { customer.phone: { $exists: false } } }", kOrder));
  EXPECT_TRUE(holds("{ body: { note: { $exists: true } } }", kOrder));  // null exists
  EXPECT_FALSE(holds("{ body: { note: { $exists: false } } }", kOrder));
  EXPECT_TRUE(holds("{ body: { note: { $exists: TRUE } } }", kOrder));
}

TEST(FilterSemanticsTest, RegexIsAnUnanchoredRe2Search) {
  EXPECT_TRUE(holds("{ body: { customer.email: { $regex: '@example\\.com$' } } }", kOrder));
  EXPECT_FALSE(holds("{ body: { customer.email: { $regex: '^example' } } }", kOrder));
  EXPECT_FALSE(holds("{ body: { customer.email: { $regex: 'EXAMPLE' } } }", kOrder));
  EXPECT_TRUE(holds("{ body: { customer.email: { $regex: '(?i)EXAMPLE' } } }", kOrder));
  EXPECT_TRUE(holds("{ body: { id: { $regex: 'rd_' } } }", kOrder));
  // Matched against the decoded text, not the JSON spelling.
  EXPECT_TRUE(holds(R"({ body: { s: { $regex: '^a"b$' } } })", R"({"s":"a\"b"})"));
  EXPECT_TRUE(holds(R"({ body: { s: { $regex: '^caf\x{e9}$' } } })", R"({"s":"caf\u00e9"})"));
}

TEST(FilterSemanticsTest, MissingPaths) {
  const std::string p = "customer.phone";
  EXPECT_FALSE(holds("{ body: { " + p + ": x } }", kOrder));
  EXPECT_TRUE(holds("{ body: { " + p + ": { $ne: x } } }", kOrder));  // missing matches $ne
  EXPECT_TRUE(holds("{ body: { " + p + ": { $nin: [x, y] } } }", kOrder));
  EXPECT_FALSE(holds("{ body: { " + p + ": { $in: [x, y] } } }", kOrder));
  EXPECT_TRUE(holds("{ body: { " + p + ": null } }", kOrder));            // missing equals null …
  EXPECT_FALSE(holds("{ body: { " + p + ": { $ne: null } } }", kOrder));  // … so not $ne null
  EXPECT_TRUE(holds("{ body: { " + p + ": { $in: [x, null] } } }", kOrder));
  EXPECT_FALSE(holds("{ body: { " + p + ": { $gt: 0 } } }", kOrder));
  EXPECT_FALSE(holds("{ body: { " + p + ": { $lte: 0 } } }", kOrder));
  EXPECT_FALSE(holds("{ body: { " + p + ": { $regex: '' } } }", kOrder));
  EXPECT_TRUE(holds("{ body: { " + p + ": { $not: { $gt: 0 } } } }", kOrder));
  // A step through a scalar is missing too.
  EXPECT_TRUE(holds("{ body: { amount.value: { $exists: false } } }", kOrder));
  EXPECT_TRUE(holds("{ body: { currency.0: { $exists: false } } }", kOrder));
}

TEST(FilterSemanticsTest, ArrayIndicesAndElements) {
  EXPECT_TRUE(holds("{ body: { items.0.sku: A-1 } }", kOrder));
  EXPECT_TRUE(holds("{ body: { items.1.qty: { $lt: 2 } } }", kOrder));
  EXPECT_FALSE(holds("{ body: { items.1.sku: A-1 } }", kOrder));
  EXPECT_TRUE(holds("{ body: { items.2: { $exists: false } } }", kOrder));
  EXPECT_TRUE(holds("{ body: { items.01: { $exists: false } } }", kOrder));  // not canonical
  EXPECT_TRUE(holds("{ body: { 0.a: 1 } }", R"([{"a":1}])"));                // a top-level array
  EXPECT_TRUE(holds(R"({ body: { "0": 1 } })", R"({"0":1})"));               // on an object: a key
  // A list holds a value when one of its elements does.
  EXPECT_TRUE(holds("{ body: { tags: urgent } }", kOrder));
  EXPECT_FALSE(holds("{ body: { tags: us } }", kOrder));
  EXPECT_TRUE(holds("{ body: { tags: { $in: [us, eu] } } }", kOrder));
  EXPECT_FALSE(holds("{ body: { tags: { $ne: eu } } }", kOrder));  // no element equals
  EXPECT_TRUE(holds("{ body: { tags: { $ne: us } } }", kOrder));
  EXPECT_TRUE(holds("{ body: { tags: { $nin: [us, ca] } } }", kOrder));
  EXPECT_TRUE(holds("{ body: { scores: { $gt: 5 } } }", kOrder));
  EXPECT_FALSE(holds("{ body: { scores: { $gt: 9 } } }", kOrder));
  EXPECT_TRUE(holds("{ body: { tags: { $regex: '^ur' } } }", kOrder));
  EXPECT_FALSE(holds("{ body: { tags: { $exists: false } } }", kOrder));
  EXPECT_FALSE(holds("{ body: { empty: x } }", R"({"empty":[]})"));
  EXPECT_TRUE(holds("{ body: { empty: { $ne: x } } }", R"({"empty":[]})"));
}

TEST(FilterSemanticsTest, EveryEntryMustHold) {
  EXPECT_TRUE(holds("{ body: { currency: eur, paid: true }, headers: { x-kind: order } }", kOrder,
                    {{"x-kind", "order"}}));
  EXPECT_FALSE(holds("{ body: { currency: eur, paid: false } }", kOrder));
  EXPECT_FALSE(holds("{ body: { currency: eur }, headers: { x-kind: order } }", kOrder,
                     {{"x-kind", "refund"}}));
  EXPECT_TRUE(holds("{}", kOrder));
  EXPECT_TRUE(holds("{ body: {}, headers: {} }", "not json"));
}

TEST(FilterSemanticsTest, AndOrNotAtEveryLevel) {
  // Condition level.
  EXPECT_TRUE(holds("{ body: { amount: { $or: [{ $lt: 10 }, { $gt: 1000 }] } } }", kOrder));
  EXPECT_FALSE(holds("{ body: { amount: { $or: [{ $lt: 10 }, { $gt: 2000 }] } } }", kOrder));
  EXPECT_TRUE(holds("{ body: { amount: { $and: [{ $gt: 10 }, { $lt: 2000 }] } } }", kOrder));
  EXPECT_TRUE(holds("{ body: { amount: { $or: [1, 1500] } } }", kOrder));  // values are $eq
  EXPECT_TRUE(holds("{ body: { amount: { $not: { $gt: 2000 } } } }", kOrder));
  EXPECT_FALSE(holds("{ body: { amount: { $not: 1500 } } }", kOrder));
  EXPECT_TRUE(holds("{ body: { currency: { $not: [usd, gbp] } } }", kOrder));  // none of them
  EXPECT_FALSE(holds("{ body: { currency: { $not: [usd, eur] } } }", kOrder));
  // Field level.
  EXPECT_TRUE(holds("{ body: { $or: [{ currency: usd }, { customer.tier: gold }] } }", kOrder));
  EXPECT_FALSE(holds("{ body: { $and: [{ currency: eur }, { customer.tier: silver }] } }", kOrder));
  EXPECT_TRUE(holds("{ body: { $not: { currency: usd } } }", kOrder));
  EXPECT_FALSE(holds("{ body: { $not: [{ currency: usd }, { paid: true }] } }", kOrder));
  // Filter level: body or headers.
  const std::string either =
      "{ $or: [{ body: { currency: usd } }, { headers: { x-kind: order } }] }";
  EXPECT_TRUE(holds(either, kOrder, {{"x-kind", "order"}}));
  EXPECT_FALSE(holds(either, kOrder, {{"x-kind", "refund"}}));
  EXPECT_TRUE(holds("{ $not: { headers: { x-kind: refund } } }", kOrder, {{"x-kind", "order"}}));
  EXPECT_TRUE(
      holds("{ $and: [{ body: { paid: true } }, { $not: [{ body: { amount: 1 } }] }] }", kOrder));
  // Nested a few levels deep.
  EXPECT_TRUE(
      holds("{ $or: [{ body: { $and: [{ amount: { $not: { $or: [{ $lt: 0 }, { $gt: 1e6 }] } } }, "
            "{ tags: { $in: [eu] } }] } }, { headers: { x-force: '1' } }] }",
            kOrder));
}

TEST(FilterSemanticsTest, NotIsTheNegationOnEveryEvent) {
  const std::vector<std::string> conditions = {
      "{ body: { amount: { $gt: 1000 } } }", "{ body: { missing: { $ne: 1 } } }",
      "{ body: { tags: { $nin: [eu] } } }", "{ headers: { x-kind: order } }",
      "{ body: { customer.phone: { $exists: false } } }"};
  const std::vector<std::string> bodies = {kOrder, "not json", "[]", "{}", R"({"amount":"1500"})"};
  const std::vector<model::Headers> headerSets = {{}, {{"x-kind", "order"}}};
  for (const auto& c : conditions) {
    auto f = compileYaml(c);
    auto notF = compileYaml("{ $not: " + c + " }");
    ASSERT_TRUE(f && notF);
    for (const auto& b : bodies) {
      for (const auto& h : headerSets) {
        EXPECT_NE(passes(*f, b, h), passes(*notF, b, h)) << c << " on " << b;
      }
    }
  }
}

TEST(FilterSemanticsTest, ABodyThatIsNotJsonMatchesNoBodyCondition) {
  for (const std::string body : {"not json", "", "{\"a\":", "a=1&b=2", "{\"a\":1} trailing"}) {
    EXPECT_FALSE(holds("{ body: { a: 1 } }", body)) << body;
    EXPECT_FALSE(holds("{ body: { a: { $ne: 1 } } }", body)) << body;
    EXPECT_FALSE(holds("{ body: { a: { $exists: false } } }", body)) << body;
    EXPECT_FALSE(holds("{ body: { a: { $nin: [1] } } }", body)) << body;
    EXPECT_FALSE(holds("{ body: { a: null } }", body)) << body;
    // $not is still the negation; header conditions still apply.
    EXPECT_TRUE(holds("{ body: { a: { $not: { $eq: 1 } } } }", body)) << body;
    EXPECT_TRUE(holds("{ headers: { x-kind: order } }", body, {{"x-kind", "order"}})) << body;
    EXPECT_TRUE(holds("{ $or: [{ body: { a: 1 } }, { headers: { x-kind: order } }] }", body,
                      {{"x-kind", "order"}}))
        << body;
  }
  // A JSON scalar is JSON: its paths are missing, not "no body condition".
  EXPECT_TRUE(holds("{ body: { a: { $exists: false } } }", "42"));
}

TEST(FilterSemanticsTest, HeadersAreTextComparedAsNumbersWhenBothAreNumbers) {
  const model::Headers h = {{"x-github-event", "push"},
                            {"x-count", "10"},
                            {"x-ratio", "0.50"},
                            {"x-flag", "true"},
                            {"x-id", "9007199254740993"}};
  EXPECT_TRUE(holds("{ headers: { x-github-event: push } }", "", h));
  EXPECT_FALSE(holds("{ headers: { x-github-event: Push } }", "", h));  // values are exact
  EXPECT_TRUE(holds("{ headers: { x-github-event: { $in: [push, pull_request] } } }", "", h));
  EXPECT_TRUE(holds("{ headers: { x-github-event: { $regex: '^pu' } } }", "", h));
  // Numerically: "10" > 9 (as text "10" < "9").
  EXPECT_TRUE(holds("{ headers: { x-count: { $gt: 9 } } }", "", h));
  EXPECT_TRUE(holds("{ headers: { x-count: 10.0 } }", "", h));
  EXPECT_TRUE(holds("{ headers: { x-ratio: { $eq: 0.5 } } }", "", h));
  EXPECT_TRUE(holds("{ headers: { x-id: { $gt: 9007199254740992 } } }", "", h));
  // A quoted operand compares text.
  EXPECT_TRUE(holds(R"({ headers: { x-count: { $lt: "9" } } })", "", h));
  EXPECT_FALSE(holds(R"({ headers: { x-ratio: "0.5" } })", "", h));
  // Not a number: the numeric comparison is false.
  EXPECT_FALSE(holds("{ headers: { x-github-event: { $gt: 1 } } }", "", h));
  EXPECT_FALSE(holds("{ headers: { x-github-event: { $lte: 1 } } }", "", h));
  // A boolean operand is the text true/false.
  EXPECT_TRUE(holds("{ headers: { x-flag: true } }", "", h));
  EXPECT_FALSE(holds("{ headers: { x-flag: false } }", "", h));
}

TEST(FilterSemanticsTest, MissingHeaders) {
  const model::Headers h = {{"x-present", "1"}};
  EXPECT_TRUE(holds("{ headers: { x-absent: { $exists: false } } }", "", h));
  EXPECT_FALSE(holds("{ headers: { x-absent: { $exists: true } } }", "", h));
  EXPECT_TRUE(holds("{ headers: { x-absent: { $ne: a } } }", "", h));
  EXPECT_TRUE(holds("{ headers: { x-absent: { $nin: [a] } } }", "", h));
  EXPECT_FALSE(holds("{ headers: { x-absent: a } }", "", h));
  EXPECT_FALSE(holds("{ headers: { x-absent: { $regex: '' } } }", "", h));
  EXPECT_TRUE(holds("{ headers: { x-absent: null } }", "", h));  // only a missing one is null
  EXPECT_FALSE(holds("{ headers: { x-present: null } }", "", h));
  EXPECT_TRUE(holds("{ headers: { x-present: { $ne: null } } }", "", h));
}

TEST(FilterSemanticsTest, EnvironmentVariablesSupplyValues) {
  auto f = compileYaml("{ body: { amount: { $gte: ${MIN} } } }", {{"MIN", "1000"}});
  ASSERT_TRUE(f);
  EXPECT_TRUE(passes(*f, kOrder));
  EXPECT_FALSE(passes(*f, R"({"amount":999})"));
}

TEST(FilterSemanticsTest, TheBodyIsParsedOnlyWhenABodyConditionIsReached) {
  const model::Headers h = {{"x-kind", "order"}};
  auto headersOnly = compileYaml("{ headers: { x-kind: order } }");
  ASSERT_TRUE(headersOnly);
  EXPECT_FALSE(headersOnly->readsBody());
  json::LazyValue a(kOrder);
  EXPECT_TRUE(headersOnly->matches(a, h));
  EXPECT_FALSE(a.parsed());

  // Written body first: the header condition is still tried first, and decides.
  auto both = compileYaml("{ body: { amount: { $gt: 1 } }, headers: { x-kind: refund } }");
  ASSERT_TRUE(both);
  EXPECT_TRUE(both->readsBody());
  json::LazyValue b(kOrder);
  EXPECT_FALSE(both->matches(b, h));
  EXPECT_FALSE(b.parsed());
  json::LazyValue c(kOrder);
  EXPECT_TRUE(both->matches(c, {{"x-kind", "refund"}}));
  EXPECT_TRUE(c.parsed());
}

}  // namespace
}  // namespace dispatch::filter
