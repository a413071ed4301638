// The front door's byte-level pieces: path decoding, request conversion, response framing.
#include "core/http/wire.h"

#include <gtest/gtest.h>

namespace dispatch::http {
namespace {

TEST(DecodePath, DecodesEscapesAndRefusesBrokenOnes) {
  std::string out;
  EXPECT_TRUE(decodePath("/hooks/a%20b%2Fc", &out));
  EXPECT_EQ(out, "/hooks/a b/c");
  EXPECT_TRUE(decodePath("/a+b", &out));
  EXPECT_EQ(out, "/a+b");  // '+' is a space only in a query
  EXPECT_TRUE(decodePath("/%ff", &out));
  EXPECT_EQ(out, "/\xff");
  EXPECT_FALSE(decodePath("/a%", &out));
  EXPECT_FALSE(decodePath("/a%2", &out));
  EXPECT_FALSE(decodePath("/a%zz", &out));
  EXPECT_FALSE(decodePath("/a%00b", &out));  // NUL never reaches a route
}

TEST(ToRequest, SplitsPathAndQueryAndMovesTheRest) {
  ParsedRequest p;
  p.method = "POST";
  p.target = "/hooks/gh%2Dx?a=1&b=%20";
  p.headers = {{"Host", "x"}, {"X-A", "\xff"}};
  p.body = "{}";
  auto r = toRequest(std::move(p));
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->path, "/hooks/gh-x");
  EXPECT_EQ(r->query, "a=1&b=%20");
  EXPECT_EQ(r->header("x-a").value_or(""), "\xff");
  EXPECT_EQ(r->body, "{}");

  ParsedRequest bad;
  bad.method = "GET";
  bad.target = "/x%0";
  auto e = toRequest(std::move(bad));
  ASSERT_FALSE(e.isOk());
  EXPECT_EQ(e.status().message(), "Malformed request path");
}

TEST(AppendResponse, FramesStatusLengthDateHeadersAndConnection) {
  Response r;
  r.status = 405;
  r.body = "{\"status\":false}";
  r.headers.emplace_back("Allow", "POST");
  std::string out;
  appendResponse(out, r, {}, "Fri, 04 Dec 2026 01:59:10 GMT");
  EXPECT_EQ(out,
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: application/json\r\n"
            "Content-Length: 16\r\nDate: Fri, 04 Dec 2026 01:59:10 GMT\r\nAllow: POST\r\n\r\n"
            "{\"status\":false}");

  std::string head;
  ResponseFraming f;
  f.head = true;
  f.close = true;
  appendResponse(head, r, f, "d");
  EXPECT_NE(head.find("Content-Length: 16\r\n"), std::string::npos);
  EXPECT_NE(head.find("Connection: close\r\n\r\n"), std::string::npos);
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");  // no body after HEAD

  std::string ka;
  ResponseFraming k;
  k.keepAlive10 = true;
  appendResponse(ka, r, k, "d");
  EXPECT_NE(ka.find("Connection: keep-alive\r\n"), std::string::npos);
}

TEST(HttpDate, IsAnImfFixdate) { EXPECT_EQ(httpDate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT"); }

}  // namespace
}  // namespace dispatch::http
