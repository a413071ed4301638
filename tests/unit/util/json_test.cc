// Tests for the strict JSON parser, dot-paths, quoting, UTF-8 helpers and the writer.
#include "core/util/json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

namespace dispatch::json {
namespace {

TEST(JsonParseTest, AcceptsValidCorpus) {
  const char* valid[] = {
      "null",
      "true",
      "false",
      "0",
      "-0",
      "1",
      "-1",
      "12.5",
      "1e10",
      "1E+10",
      "1.5e-3",
      "\"\"",
      "\"hello\"",
      "[]",
      "{}",
      " \t\r\n[ 1 , 2 ]\n ",
      "{\"a\":{\"b\":[1,{\"c\":null}]}}",
      "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
      "\"\\u00e9\\uD83D\\uDE00\"",
      "\"caf\xC3\xA9 \xF0\x9F\x98\x80\"",
      "[[[[[[[[[[]]]]]]]]]]",
  };
  for (const char* text : valid) {
    EXPECT_TRUE(parse(text).isOk()) << text;
  }
}

TEST(JsonParseTest, RejectsInvalidCorpus) {
  const std::string invalid[] = {
      "",
      "   ",
      "[1,]",
      "{\"a\":1,}",
      "[,1]",
      "01",
      "[01]",
      "-",
      "1.",
      ".5",
      "1e",
      "1e+",
      "+1",
      "0x10",
      "NaN",
      "Infinity",
      "tru",
      "nul",
      "True",
      "\"abc",
      "\"\\x\"",
      "\"\\u12\"",
      "\"\\u12G4\"",
      "\"\\uD800\"",
      "\"\\uDC00\"",
      "\"\\uD800\\u0041\"",
      "\"\\uD800x\"",
      std::string("\"a\x01b\""),
      "\"tab\there\"",
      "\"new\nline\"",
      std::string("\"nul\0\"", 6),
      "\"\xC3\"",
      "\"\xC0\xAF\"",
      "\"\xED\xA0\x80\"",
      "\"\xF4\x90\x80\x80\"",
      "\"\xFF\"",
      "\xEF\xBB\xBF{}",
      "{\"a\" 1}",
      "{a:1}",
      "{'a':1}",
      "[1 2]",
      "[1]]",
      "{}{}",
      "1 2",
      "[",
      "{",
      "{\"a\":",
      "[1,",
      "// c\n1",
  };
  for (const std::string& text : invalid) {
    Result<Value> r = parse(text);
    EXPECT_FALSE(r.isOk()) << text;
    if (!r.isOk()) {
      EXPECT_EQ(r.status().code(), Code::kInvalid);
      EXPECT_FALSE(r.status().message().empty());
    }
  }
}

TEST(JsonParseTest, DepthBombFailsCleanly) {
  const std::string bomb(100'000, '[');
  Result<Value> r = parse(bomb);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("deep"), std::string::npos);

  const std::string objects = [] {
    std::string s;
    for (int i = 0; i < 100'000; ++i) s += "{\"a\":";
    return s;
  }();
  EXPECT_FALSE(parse(objects).isOk());
}

TEST(JsonParseTest, DepthLimitIsExact) {
  const auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_TRUE(parse(nested(128)).isOk());
  EXPECT_FALSE(parse(nested(129)).isOk());
  EXPECT_TRUE(parse(nested(3), {.maxDepth = 3}).isOk());
  EXPECT_FALSE(parse(nested(4), {.maxDepth = 3}).isOk());
  EXPECT_TRUE(parse("1", {.maxDepth = 0}).isOk());
  EXPECT_FALSE(parse("[]", {.maxDepth = 0}).isOk());
}

TEST(JsonParseTest, HugeNumbersKeepRawText) {
  const std::string big = "123456789012345678901234567890.000000000000000000001e-0005";
  const std::string text = "{\"n\":" + big + "}";  // must outlive the parsed value
  Result<Value> r = parse(text);
  ASSERT_TRUE(r.isOk());
  const Value* n = r->find("n");
  ASSERT_NE(n, nullptr);
  EXPECT_TRUE(n->isNumber());
  EXPECT_EQ(n->raw(), big);
  EXPECT_EQ(n->scalarText(), big);
  EXPECT_FALSE(n->isInteger());
}

TEST(JsonParseTest, IntegersAndDoubles) {
  EXPECT_EQ(parse("42")->asInt(), 42);
  EXPECT_TRUE(parse("-9223372036854775808")->isInteger());
  EXPECT_EQ(parse("-9223372036854775808")->asInt(), INT64_MIN);
  EXPECT_EQ(parse("9223372036854775807")->asInt(), INT64_MAX);
  EXPECT_FALSE(parse("9223372036854775808")->isInteger());
  EXPECT_EQ(parse("9223372036854775808")->asInt(), 0);
  EXPECT_FALSE(parse("1.0")->isInteger());
  EXPECT_FALSE(parse("1e2")->isInteger());
  EXPECT_FALSE(parse("\"1\"")->isInteger());
  EXPECT_DOUBLE_EQ(parse("1.5e-3")->asDouble(), 0.0015);
  EXPECT_DOUBLE_EQ(parse("-2")->asDouble(), -2.0);
  EXPECT_TRUE(std::isinf(parse("1e400")->asDouble()));
  EXPECT_LT(parse("-1e400")->asDouble(), 0);
  EXPECT_EQ(parse("1e-400")->asDouble(), 0.0);
  EXPECT_EQ(parse("0.0000000000000000000000000000000000001e-400")->asDouble(), 0.0);
  EXPECT_TRUE(std::isinf(parse("1e99999999999999999999999")->asDouble()));
}

TEST(JsonParseTest, DecodesStrings) {
  Result<Value> r = parse("\"a\\\"b\\\\c\\/d\\n\\u00e9\\uD83D\\uDE00\\u0041\"");
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->asString(),
            "a\"b\\c/d\n\xC3\xA9\xF0\x9F\x98\x80"
            "A");
  EXPECT_EQ(parse("\"\\u0000\"")->asString(), std::string(1, '\0'));
  EXPECT_EQ(parse("\"plain\"")->asString(), "plain");
  EXPECT_EQ(parse("\"\xE2\x82\xAC\"")->asString(), "\xE2\x82\xAC");
}

TEST(JsonParseTest, RawSpansAreExact) {
  const std::string text = " { \"a\" : [ 1 , \"x\\ny\" , { \"b\" : true } ] , \"c\" : -0.5e3 } ";
  Result<Value> r = parse(text);
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->raw(), "{ \"a\" : [ 1 , \"x\\ny\" , { \"b\" : true } ] , \"c\" : -0.5e3 }");
  const Value* a = r->find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->raw(), "[ 1 , \"x\\ny\" , { \"b\" : true } ]");
  ASSERT_EQ(a->items().size(), 3u);
  EXPECT_EQ(a->items()[0].raw(), "1");
  EXPECT_EQ(a->items()[1].raw(), "\"x\\ny\"");
  EXPECT_EQ(a->items()[1].asString(), "x\ny");
  EXPECT_EQ(a->items()[2].raw(), "{ \"b\" : true }");
  EXPECT_EQ(r->find("c")->raw(), "-0.5e3");
  // Spans point into the caller's buffer, not into a copy.
  EXPECT_EQ(r->raw().data(), text.data() + 1);
  EXPECT_EQ(parse("[]")->raw(), "[]");
  EXPECT_EQ(parse("{ }")->raw(), "{ }");
}

TEST(JsonParseTest, DuplicateKeysFindFirst) {
  Result<Value> r = parse("{\"k\":1,\"k\":2}");
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->members().size(), 2u);
  EXPECT_EQ(r->find("k")->asInt(), 1);
  EXPECT_EQ(r->at("k")->asInt(), 1);
}

TEST(JsonParseTest, ObjectMembersKeepOrder) {
  Result<Value> r = parse("{\"z\":1,\"a\":2,\"m\\u00e9\":3}");
  ASSERT_TRUE(r.isOk());
  ASSERT_EQ(r->members().size(), 3u);
  EXPECT_EQ(r->members()[0].first, "z");
  EXPECT_EQ(r->members()[1].first, "a");
  EXPECT_EQ(r->members()[2].first, "m\xC3\xA9");
  EXPECT_NE(r->find("m\xC3\xA9"), nullptr);
  EXPECT_EQ(parse("[1]")->find("0"), nullptr);
}

// Hostile-input smoke test: random byte edits of a valid document must never crash, and
// whatever still parses must span exactly the trimmed input and be valid UTF-8.
TEST(JsonParseTest, SurvivesRandomMutations) {
  const std::string seed =
      R"({"a":[1,-2.5e+3,true,false,null,"s\u00e9\n"],"b":{"c":"\uD83D\uDE00","d":[[{}]]}})";
  const char alphabet[] = "{}[],:\"\\0123456789.eE+-tfnu \x80\xC3\xA9\xED\xF4\x01";
  std::mt19937 rng(12345);
  for (int i = 0; i < 20000; ++i) {
    std::string text = seed;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t pos = rng() % (text.size() + 1);
      const char c = alphabet[rng() % (sizeof alphabet - 1)];
      switch (rng() % 3) {
        case 0:
          text.insert(pos, 1, c);
          break;
        case 1:
          if (pos < text.size()) text.erase(pos, 1);
          break;
        default:
          if (pos < text.size()) text[pos] = c;
      }
    }
    Result<Value> r = parse(text);
    if (r.isOk()) {
      const size_t first = text.find_first_not_of(' ');
      const size_t last = text.find_last_not_of(' ');
      EXPECT_EQ(r->raw(), text.substr(first, last - first + 1)) << text;
      EXPECT_TRUE(isValidUtf8(text)) << text;
    }
  }
}

TEST(JsonAtTest, DotPaths) {
  Result<Value> r = parse(R"({"type":"push","items":[{"type":"a"},{"type":"b","n":[10,20]}],)"
                          R"("obj":{"0":"zero","nested":{"deep":true}},"nil":null})");
  ASSERT_TRUE(r.isOk());
  ASSERT_NE(r->at("items.0.type"), nullptr);
  EXPECT_EQ(r->at("items.0.type")->asString(), "a");
  EXPECT_EQ(r->at("items.1.type")->asString(), "b");
  EXPECT_EQ(r->at("items.1.n.1")->asInt(), 20);
  EXPECT_EQ(r->at("type")->scalarText(), "push");
  EXPECT_EQ(r->at("obj.0")->asString(), "zero");  // numeric step on an object is a key
  EXPECT_TRUE(r->at("obj.nested.deep")->asBool());
  EXPECT_TRUE(r->at("nil")->isNull());
  EXPECT_EQ(r->at(""), &r.value());

  EXPECT_EQ(r->at("missing"), nullptr);
  EXPECT_EQ(r->at("items.2.type"), nullptr);
  EXPECT_EQ(r->at("items.x"), nullptr);
  EXPECT_EQ(r->at("items.-1"), nullptr);
  EXPECT_EQ(r->at("items.01.type"), nullptr);
  EXPECT_EQ(r->at("items.+1.type"), nullptr);
  EXPECT_EQ(r->at("items.99999999999999999999999"), nullptr);
  EXPECT_EQ(r->at("type.length"), nullptr);
  EXPECT_EQ(r->at("nil.x"), nullptr);
  EXPECT_EQ(r->at("items."), nullptr);
  EXPECT_EQ(r->at(".items"), nullptr);
  EXPECT_EQ(r->at("obj.nested.deep.more"), nullptr);
}

TEST(JsonAtTest, EmptyKeyStep) {
  Result<Value> r = parse(R"({"":{"x":1}})");
  ASSERT_TRUE(r.isOk());
  ASSERT_NE(r->at(".x"), nullptr);
  EXPECT_EQ(r->at(".x")->asInt(), 1);
}

TEST(JsonValueTest, ScalarText) {
  EXPECT_EQ(parse("\"a\\tb\"")->scalarText(), "a\tb");
  EXPECT_EQ(parse("1.50")->scalarText(), "1.50");
  EXPECT_EQ(parse("true")->scalarText(), "true");
  EXPECT_EQ(parse("false")->scalarText(), "false");
  EXPECT_EQ(parse("null")->scalarText(), "null");
  EXPECT_EQ(parse("[1, 2]")->scalarText(), "[1, 2]");
  EXPECT_EQ(parse("{\"a\" :1}")->scalarText(), "{\"a\" :1}");
}

TEST(JsonValueTest, TypesAndDefaults) {
  Result<Value> r = parse("[null,true,1,\"s\",[],{}]");
  ASSERT_TRUE(r.isOk());
  const auto& it = r->items();
  EXPECT_TRUE(it[0].isNull());
  EXPECT_TRUE(it[1].isBool() && it[1].asBool());
  EXPECT_TRUE(it[2].isNumber());
  EXPECT_TRUE(it[3].isString());
  EXPECT_TRUE(it[4].isArray() && it[4].items().empty());
  EXPECT_TRUE(it[5].isObject() && it[5].members().empty());
  EXPECT_EQ(it[2].asString(), "");
  EXPECT_EQ(it[3].asInt(), 0);
  EXPECT_EQ(it[3].asDouble(), 0.0);
  EXPECT_EQ(it[0].find("x"), nullptr);
}

TEST(JsonQuoteTest, EscapesSpecialCharacters) {
  EXPECT_EQ(quote(""), "\"\"");
  EXPECT_EQ(quote("plain"), "\"plain\"");
  EXPECT_EQ(quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(quote("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
  EXPECT_EQ(quote(std::string("\x01\x1f\0", 3)), "\"\\u0001\\u001f\\u0000\"");
  EXPECT_EQ(quote("/"), "\"/\"");
  EXPECT_EQ(quote("caf\xC3\xA9 \xF0\x9F\x98\x80"), "\"caf\xC3\xA9 \xF0\x9F\x98\x80\"");
}

TEST(JsonQuoteTest, ReplacesInvalidUtf8) {
  EXPECT_EQ(quote("a\xFF"
                  "b"),
            "\"a\xEF\xBF\xBD"
            "b\"");
  // A truncated sequence is one maximal subpart: one replacement character.
  EXPECT_EQ(quote("\xE2\x82"
                  "A"),
            "\"\xEF\xBF\xBD"
            "A\"");
  EXPECT_EQ(quote("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(quote("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(quote("end\xF0\x9F\x98"), "\"end\xEF\xBF\xBD\"");
}

TEST(JsonQuoteTest, AppendQuotedAppends) {
  std::string out = "x=";
  appendQuoted(out, "y\n");
  EXPECT_EQ(out, "x=\"y\\n\"");
}

TEST(JsonQuoteTest, QuotedTextParsesBack) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  all += "\xE2\x82\xAC\xF0\x9F\x98\x80";
  const std::string q = quote(all);
  EXPECT_TRUE(isValidUtf8(q));
  Result<Value> r = parse(q);
  ASSERT_TRUE(r.isOk()) << r.status().message();
  // Every lone byte 0x80..0xFF is its own maximal ill-formed subpart.
  std::string expected = all.substr(0, 128);
  for (int i = 0; i < 128; ++i) expected += "\xEF\xBF\xBD";
  expected += "\xE2\x82\xAC\xF0\x9F\x98\x80";
  EXPECT_EQ(r->asString(), expected);
}

TEST(JsonUtf8Test, Validation) {
  EXPECT_TRUE(isValidUtf8(""));
  EXPECT_TRUE(isValidUtf8("ascii"));
  EXPECT_TRUE(isValidUtf8(std::string("a\0b", 3)));
  EXPECT_TRUE(isValidUtf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF"));
  EXPECT_FALSE(isValidUtf8("\x80"));
  EXPECT_FALSE(isValidUtf8("\xC3"));
  EXPECT_FALSE(isValidUtf8("\xC0\x80"));          // overlong NUL
  EXPECT_FALSE(isValidUtf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(isValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(isValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(isValidUtf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(isValidUtf8("\xFE"));
}

TEST(JsonUtf8Test, Sanitize) {
  EXPECT_EQ(sanitizeUtf8("ok \xC3\xA9"), "ok \xC3\xA9");
  // A NUL is replaced, not dropped: nothing is cut silently.
  EXPECT_EQ(sanitizeUtf8(std::string("a\0b", 3)),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(sanitizeUtf8("a\xFF"
                         "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(sanitizeUtf8("\xE2\x82"), "\xEF\xBF\xBD");
  EXPECT_TRUE(isValidUtf8(sanitizeUtf8("\xC0\xAF\xED\xA0\x80\xF8\x88\x80\x80\x80")));
}

TEST(JsonUtf8Test, StorableTextIsValidUtf8WithoutNul) {
  EXPECT_TRUE(isStorableText(""));
  EXPECT_TRUE(isStorableText("caf\xC3\xA9 \\x00"));
  EXPECT_FALSE(isStorableText(std::string("a\0b", 3)));
  EXPECT_FALSE(isStorableText("caf\xE9"));
  EXPECT_FALSE(isStorableText("\xED\xA0\x80"));  // a surrogate
}

TEST(JsonUtf8Test, EscapeUnstorableIsIdentityOnGoodTextAndLosslessOtherwise) {
  EXPECT_EQ(escapeUnstorable("caf\xC3\xA9 a\\b"), "caf\xC3\xA9 a\\b");  // untouched
  EXPECT_EQ(escapeUnstorable(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(escapeUnstorable("caf\xE9"), "caf\\xe9");
  EXPECT_EQ(escapeUnstorable("\xE2\x82"), "\\xe2\\x82");  // a cut sequence, byte by byte
  // Once escaping, backslashes are doubled, so raw bytes and literal text never collide.
  EXPECT_EQ(escapeUnstorable("\\xff\xFF"), "\\\\xff\\xff");
  EXPECT_NE(escapeUnstorable("d\xFF"), escapeUnstorable("d\xFE"));
  for (std::string s : {std::string("a\0\xFF\\", 4), std::string("\xC0\xAF\xED\xA0\x80\xF8")}) {
    EXPECT_TRUE(isStorableText(escapeUnstorable(s))) << s;
  }
}

TEST(JsonWriterTest, BuildsCompactJson) {
  Writer w;
  w.beginObject().key("a").number(1).endObject();
  EXPECT_EQ(w.str(), "{\"a\":1}");

  Writer v;
  v.beginObject()
      .key("s")
      .string("x\"y")
      .key("i")
      .number(int64_t{-5})
      .key("d")
      .number(0.5)
      .key("b")
      .boolean(false)
      .key("n")
      .null()
      .key("arr")
      .beginArray()
      .number(1)
      .beginArray()
      .endArray()
      .beginObject()
      .endObject()
      .string("")
      .endArray()
      .key("raw")
      .raw("{\"k\": [1, 2]}")
      .key("so")
      .stringOrNull(std::nullopt)
      .key("s2")
      .stringOrNull(std::string("v"))
      .key("no")
      .numberOrNull(std::nullopt)
      .key("n2")
      .numberOrNull(7)
      .endObject();
  EXPECT_EQ(v.str(),
            "{\"s\":\"x\\\"y\",\"i\":-5,\"d\":0.5,\"b\":false,\"n\":null,\"arr\":[1,[],{},\"\"],"
            "\"raw\":{\"k\": [1, 2]},\"so\":null,\"s2\":\"v\",\"no\":null,\"n2\":7}");
  EXPECT_TRUE(parse(v.str()).isOk());
  const std::string taken = v.take();
  EXPECT_EQ(taken.front(), '{');
}

TEST(JsonWriterTest, Numbers) {
  Writer w;
  w.beginArray()
      .number(INT64_MIN)
      .number(size_t{18446744073709551615u})
      .number(3u)
      .number(static_cast<short>(-2))
      .number(1e21)
      .number(0.1)
      .number(2.0)
      .number(std::nan(""))
      .number(INFINITY)
      .endArray();
  EXPECT_EQ(w.str(), "[-9223372036854775808,18446744073709551615,3,-2,1e+21,0.1,2,null,null]");
  EXPECT_TRUE(parse(w.str()).isOk());
}

TEST(JsonWriterTest, TopLevelScalarsAndEscapedKeys) {
  Writer w;
  w.string("a\nb");
  EXPECT_EQ(w.str(), "\"a\\nb\"");
  Writer k;
  k.beginObject().key("q\"k").raw("1").key("e").beginObject().endObject().endObject();
  EXPECT_EQ(k.str(), "{\"q\\\"k\":1,\"e\":{}}");
}

}  // namespace
}  // namespace dispatch::json
