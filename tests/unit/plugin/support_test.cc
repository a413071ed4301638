// The helpers shared by the built-in plugins: URLs, truncation, UTF-8 text, paths.
#include "core/plugin/support.h"

#include <gtest/gtest.h>

#include "core/util/json.h"

namespace dispatch::plugin {
namespace {

TEST(PluginSupportTest, HttpUrls) {
  for (const char* ok :
       {"https://hooks.slack.com/services/T/B/X", "http://127.0.0.1:8080",
        "HTTPS://Example.COM/a?b#c", "https://[::1]:9000/x", "https://u:p@h/x", "http://h?x=1"}) {
    EXPECT_TRUE(isHttpUrl(ok)) << ok;
  }
  for (const char* bad :
       {"", "hooks.slack.com/x", "ftp://h/x", "https://", "https:///path", "https://h:port/x",
        "https://h x/", "https://h/\r\nX: y", "https://[::1", "https://:80/", "mailto:a@b"}) {
    EXPECT_FALSE(isHttpUrl(bad)) << bad;
  }
}

TEST(PluginSupportTest, TruncatesByCodePoints) {
  EXPECT_EQ(truncateChars("hello", 5), "hello");
  EXPECT_EQ(truncateChars("hello!", 5), "hell\xE2\x80\xA6");
  EXPECT_EQ(truncateChars("", 0), "");
  EXPECT_EQ(truncateChars("ab", 0), "");
  EXPECT_EQ(truncateChars("ab", 1), "\xE2\x80\xA6");
  // "é€😀x": 2-, 3- and 4-byte sequences are never split.
  const std::string mixed = "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80x";
  EXPECT_EQ(truncateChars(mixed, 4), mixed);
  EXPECT_EQ(truncateChars(mixed, 3), "\xC3\xA9\xE2\x82\xAC\xE2\x80\xA6");
  EXPECT_EQ(truncateChars(mixed, 2), "\xC3\xA9\xE2\x80\xA6");
}

TEST(PluginSupportTest, Utf8TextIsWhatAJsonStringOfItDecodesTo) {
  EXPECT_EQ(utf8Text("plain \xC3\xA9 text\n"), "plain \xC3\xA9 text\n");  // valid: unchanged
  const std::string nul("a\0b", 3);
  EXPECT_EQ(utf8Text(nul), nul);
  EXPECT_EQ(utf8Text("bad \xFF end"), "bad \xEF\xBF\xBD end");
  EXPECT_EQ(utf8Text("cut \xE2\x82"), "cut \xEF\xBF\xBD");
  for (const std::string& s : {std::string("x\xC0\xAFy"), std::string("\xED\xA0\x80", 3),
                               std::string("\x00\xFE\x01\xF4\x90", 5)}) {
    const std::string text = utf8Text(s);
    Result<json::Value> v = json::parse(jsonQuote(s));
    ASSERT_TRUE(v.isOk());
    EXPECT_EQ(text, v->asString());
    EXPECT_EQ(jsonQuote(text), jsonQuote(s));
  }
}

TEST(PluginSupportTest, ResolvesPaths) {
  EXPECT_EQ(resolvePath("/etc/dispatch", "out/a.jsonl"), "/etc/dispatch/out/a.jsonl");
  EXPECT_EQ(resolvePath("/etc/dispatch", "../var/a.jsonl"), "/etc/var/a.jsonl");
  EXPECT_EQ(resolvePath("/etc/dispatch", "/var/log/a.jsonl"), "/var/log/a.jsonl");
  EXPECT_EQ(resolvePath("", "a.jsonl"), "a.jsonl");
}

TEST(PluginSupportTest, JsonAndTime) {
  EXPECT_EQ(jsonQuote("a\"b\n"), "\"a\\\"b\\n\"");
  EXPECT_EQ(formatIsoUtc(0), "1970-01-01T00:00:00.000Z");
}

}  // namespace
}  // namespace dispatch::plugin
