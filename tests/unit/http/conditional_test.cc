// Conditional GETs (core/http/conditional.h) and the router's rest-of-path patterns.
#include "core/http/conditional.h"

#include <gtest/gtest.h>

#include "core/http/router.h"

namespace dispatch::http {
namespace {

TEST(Conditional, IfNoneMatchHoldsOnlyTheSameTag) {
  const std::string tag = etagFor("body");
  EXPECT_EQ(tag, etagFor("body"));
  EXPECT_NE(tag, etagFor("body2"));
  EXPECT_TRUE(noneMatchHolds(tag, tag));
  EXPECT_TRUE(noneMatchHolds("\"a\", " + tag, tag));
  EXPECT_TRUE(noneMatchHolds("W/" + tag, tag));
  EXPECT_TRUE(noneMatchHolds("*", tag));
  EXPECT_TRUE(noneMatchHolds(" \"a\" ,\t" + tag + " ", tag));
  EXPECT_FALSE(noneMatchHolds("", tag));
  EXPECT_FALSE(noneMatchHolds("\"a\"", tag));
  EXPECT_FALSE(noneMatchHolds(tag.substr(1, tag.size() - 2), tag));  // unquoted
  EXPECT_FALSE(noneMatchHolds(", ,", tag));
}

TEST(Conditional, OnlyASuccessfulGetBecomesA304) {
  Response ok;
  ok.body = "{\"x\":1}";
  Request get;
  get.method = "GET";
  get.headers.emplace_back("If-None-Match", etagFor(ok.body));

  Response r = ok;
  applyConditional(get, r);
  EXPECT_EQ(r.status, 304);
  EXPECT_TRUE(r.body.empty());
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"Cache-Control", "no-store"}));
  EXPECT_EQ(r.headers[1].first, "ETag");

  Request post = get;
  post.method = "POST";
  r = ok;
  applyConditional(post, r);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.headers.empty());

  Response notFound = ok;
  notFound.status = 404;
  applyConditional(get, notFound);
  EXPECT_EQ(notFound.status, 404);
  EXPECT_TRUE(notFound.headers.empty());

  // A route's own Cache-Control stays; a stale tag gets the body.
  Response page = ok;
  page.headers.emplace_back("Cache-Control", "no-cache");
  Request stale = get;
  stale.headers[0].second = "\"stale\"";
  applyConditional(stale, page);
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body, ok.body);
  ASSERT_EQ(page.headers.size(), 2u);
  EXPECT_EQ(page.headers[0].second, "no-cache");
}

TEST(RouterRest, ATrailingStarTakesTheRestOfThePath) {
  Router router;
  router.add("GET", "/files/*", [](Request& r) {
    Response resp;
    resp.body = "[" + r.params.at(0) + "]";
    return resp;
  });
  auto get = [&](const std::string& path) {
    Request r;
    r.method = "GET";
    r.path = path;
    return router.dispatch(r);
  };
  EXPECT_EQ(get("/files/a/b/c.js").body, "[a/b/c.js]");
  EXPECT_EQ(get("/files/").body, "[]");
  EXPECT_EQ(get("/files").body, "[]");
  EXPECT_EQ(get("/other/a").status, 404);
  // GETs come back with their ETag.
  Response r = get("/files/x");
  ASSERT_FALSE(r.headers.empty());
  EXPECT_EQ(r.headers.back().first, "ETag");
}

}  // namespace
}  // namespace dispatch::http
