// The JSON ⇄ Lua bridge seen through transforms: regressions found by tests/fuzz/lua_json_fuzz.
#include <gtest/gtest.h>

#include <string>

#include "core/transform/transform.h"

namespace dispatch::transform {
namespace {

using Kind = Output::Kind;

Output run(const std::string& source, std::string_view body) {
  auto t = Transform::compile("transforms/test.lua", source, Limits{}, "test-link");
  EXPECT_TRUE(t.isOk()) << t.status().message();
  if (!t.isOk()) return {};
  EventInput e;
  e.id = "evt_1";
  e.source = "src";
  e.type = "t";
  e.body = body;
  return t.value()->run(e);
}

// A body with a repeated key decodes to a table holding the last value of each key; left as it
// was, it is still "unchanged" and its original bytes go out (transforms.md), not a re-encoding.
TEST(LuaJsonTest, UntouchedBodyWithDuplicateKeysKeepsItsBytes) {
  const std::string body = R"({"b":1,"a":2,"b":3,"n":[{"k":0,"k":{"z":1}}]})";
  Output out = run("function transform(e) return e end", body);
  ASSERT_EQ(out.kind, Kind::kDeliver) << out.error;
  EXPECT_FALSE(out.bodyChanged);
  EXPECT_EQ(out.body, body);

  Output roundTrip =
      run("function transform(e) e.body = json.decode(json.encode(e.body)) "
          "return e end",
          body);
  ASSERT_EQ(roundTrip.kind, Kind::kDeliver) << roundTrip.error;
  EXPECT_FALSE(roundTrip.bodyChanged);
  EXPECT_EQ(roundTrip.body, body);
}

TEST(LuaJsonTest, DuplicateKeysSeeTheLastValue) {
  Output out = run("function transform(e) e.body = { b = e.body.b, seen = true } return e end",
                   R"({"b":1,"b":3})");
  ASSERT_EQ(out.kind, Kind::kDeliver) << out.error;
  EXPECT_EQ(out.body, R"({"b":3,"seen":true})");

  // A change to the value Lua sees, or a key the body did not have, is a change.
  Output changed = run("function transform(e) e.body.b = 1 return e end", R"({"b":1,"b":3})");
  EXPECT_TRUE(changed.bodyChanged);
  EXPECT_EQ(changed.body, R"({"b":1})");
  Output added = run("function transform(e) e.body.c = 1 return e end", R"({"b":1,"b":3})");
  EXPECT_TRUE(added.bodyChanged);
  EXPECT_EQ(added.body, R"({"b":3,"c":1})");
}

}  // namespace
}  // namespace dispatch::transform
