// Pure parts of ingest: header normalisation, idempotency values, event types.
#include "core/ingest/ingest_service.h"

#include <gtest/gtest.h>

namespace dispatch::ingest {
namespace {

TEST(IngestHeadersTest, LowerCasesJoinsRepeatsAndDropsCredentials) {
  model::Headers in{{"X-Multi", "a"},
                    {"Authorization", "Bearer sk_secret"},
                    {"x-multi", "b"},
                    {"Cookie", "session=1"},
                    {"Content-Type", "application/json"},
                    {"X-Api-Key", "sk_x"},
                    {"Proxy-Authorization", "Basic abc"}};
  model::Headers out = normalizeHeaders(in);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], (std::pair<std::string, std::string>{"x-multi", "a, b"}));
  EXPECT_EQ(out[1], (std::pair<std::string, std::string>{"content-type", "application/json"}));
}

TEST(IngestIdempotencyTest, LongValuesAreDigestedNotTruncated) {
  EXPECT_EQ(idempotencyValue("abc"), "abc");
  std::string a(300, 'x'), b(300, 'x');
  b.back() = 'y';
  EXPECT_NE(idempotencyValue(a), idempotencyValue(b));  // same 200-byte prefix, different ids
  EXPECT_EQ(idempotencyValue(a).rfind("sha256:", 0), 0u);
  EXPECT_EQ(idempotencyValue(a), idempotencyValue(std::string(300, 'x')));
}

TEST(IngestEventTypeTest, HeaderOrPath) {
  HookRequest r;
  r.header = [](std::string_view n) -> std::optional<std::string> {
    if (n == "X-Event") return std::string("push");
    return std::nullopt;
  };
  r.body = R"({"a":{"b":[{"t":"deep"}]},"n":1.50})";
  EXPECT_EQ(extractEventType({"X-Event", ""}, r), "push");
  EXPECT_EQ(extractEventType({"", "a.b.0.t"}, r), "deep");
  EXPECT_EQ(extractEventType({"", "n"}, r), "1.50");
  EXPECT_EQ(extractEventType({"", "missing.path"}, r), "");
  r.body = "not json";
  EXPECT_EQ(extractEventType({"", "a"}, r), "");
}

TEST(IngestEventTypeTest, TheBodyIsParsedOnlyForAPathAndKeptForRouting) {
  HookRequest r;
  r.header = [](std::string_view) -> std::optional<std::string> { return std::string("push"); };
  r.body = R"({"kind":"k"})";
  json::LazyValue byHeader(r.body);
  EXPECT_EQ(extractEventType({"X-Event", ""}, r, byHeader), "push");
  EXPECT_FALSE(byHeader.parsed());
  json::LazyValue byPath(r.body);
  EXPECT_EQ(extractEventType({"", "kind"}, r, byPath), "k");
  ASSERT_TRUE(byPath.parsed());
  // The same parse, handed on (to the route's filters).
  const json::Value* first = byPath.get();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(byPath.get(), first);
}

}  // namespace
}  // namespace dispatch::ingest
