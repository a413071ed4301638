// splitUrl(): the URL syntax parseUrl and the plugins' URL check share — the pieces as
// written, parseUrl's reasons for what cannot be split, and what each Userinfo mode does.
#include <gtest/gtest.h>

#include <string>

#include "core/net/network_policy.h"

namespace dispatch::net {
namespace {

TEST(SplitUrlTest, ThePiecesAsWritten) {
  Result<UrlParts> u = splitUrl("HTTPS://Ex%41mple.COM:8o/a?b#c", Userinfo::kRefuse);
  ASSERT_TRUE(u.isOk()) << u.status().message();
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "Ex%41mple.COM");  // not lower-cased, not checked: parseUrl's business
  EXPECT_FALSE(u->bracketed);
  ASSERT_TRUE(u->port.has_value());
  EXPECT_EQ(*u->port, "8o");
  EXPECT_EQ(u->tail, "/a?b#c");

  u = splitUrl("http://[zz::1]:/", Userinfo::kRefuse);
  ASSERT_TRUE(u.isOk());
  EXPECT_EQ(u->host, "zz::1");
  EXPECT_TRUE(u->bracketed);
  ASSERT_TRUE(u->port.has_value());
  EXPECT_EQ(*u->port, "");

  u = splitUrl("http://h?x", Userinfo::kRefuse);
  ASSERT_TRUE(u.isOk());
  EXPECT_EQ(u->host, "h");
  EXPECT_FALSE(u->port.has_value());
  EXPECT_EQ(u->tail, "?x");
  u = splitUrl("http://h", Userinfo::kRefuse);
  ASSERT_TRUE(u.isOk());
  EXPECT_EQ(u->tail, "");
}

TEST(SplitUrlTest, UserinfoIsRefusedOrSkippedUpToTheLastAt) {
  EXPECT_EQ(splitUrl("https://u:p@h/x", Userinfo::kRefuse).status().message(),
            "URL must not contain credentials (user@host)");
  // Refused before the authority's other faults are looked at, as parseUrl always has.
  EXPECT_EQ(splitUrl("https://u@[::1/x", Userinfo::kRefuse).status().message(),
            "URL must not contain credentials (user@host)");
  Result<UrlParts> u = splitUrl("https://a@b:p@h:81/x@y", Userinfo::kSkip);
  ASSERT_TRUE(u.isOk());
  EXPECT_EQ(u->host, "h");
  EXPECT_EQ(*u->port, "81");
  EXPECT_EQ(u->tail, "/x@y");
  EXPECT_EQ(splitUrl("https://u@/x", Userinfo::kSkip).status().message(), "URL has an empty host");
}

TEST(SplitUrlTest, ReasonsAreParseUrlsOwn) {
  const std::pair<const char*, const char*> cases[] = {
      {"http://h x/", "URL must not contain whitespace or control characters"},
      {"example.com/x", "URL must be absolute (http or https)"},
      {"ftp://h/x", "URL scheme must be http or https"},
      {"http://[::1/", "URL has an unterminated IPv6 address"},
      {"http://[::1]x/", "URL has junk after the IPv6 address"},
      {"http://[]/", "URL has an empty host"},
      {"http://:80/", "URL has an empty host"},
  };
  for (const auto& [url, reason] : cases) {
    for (Userinfo mode : {Userinfo::kRefuse, Userinfo::kSkip}) {
      Result<UrlParts> u = splitUrl(url, mode);
      EXPECT_EQ(u.status().code(), Code::kInvalid) << url;
      EXPECT_EQ(u.status().message(), reason) << url;
    }
    EXPECT_EQ(parseUrl(url).status().message(), reason) << url;
  }
}

}  // namespace
}  // namespace dispatch::net
