// The strict HTTP/1.1 request parser: each framing rule accepted and refused with its status, the
// same outcome however the bytes are split, pipelining, and the connection semantics.
#include "core/http/request_parser.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace dispatch::http {
namespace {

using Result = RequestParser::Result;

// What a caller saw while feeding a byte stream: one event per kHeadersDone, kComplete and
// kError, the requests taken, and the error.
struct Outcome {
  std::vector<std::string> events;
  std::vector<ParsedRequest> requests;
  int status = 0;
  std::string message;
};

std::string describe(const ParsedRequest& r) {
  std::string s = r.method + " " + r.target + " 1." + std::to_string(r.versionMinor) +
                  (r.keepAlive ? " keep-alive" : " close");
  for (const auto& [name, value] : r.headers) s += "\n" + name + "=" + value;
  return s + "\n\n" + r.body;
}

// Simulates the event loop: keeps the unconsumed bytes, appends a piece, calls parse() until it
// needs more (or fails), and drops what was consumed.
Outcome feed(const std::string& bytes, const std::vector<size_t>& pieceSizes,
             ParseLimits limits = {}) {
  RequestParser parser(limits);
  Outcome run;
  std::string buffer;
  size_t offset = 0;
  for (size_t piece : pieceSizes) {
    buffer.append(bytes, offset, piece);
    offset += piece;
    while (true) {
      size_t consumed = 0;
      Result r = parser.parse(buffer, &consumed);
      EXPECT_LE(consumed, buffer.size());
      buffer.erase(0, consumed);
      if (r == Result::kNeedMore) {
        EXPECT_TRUE(buffer.empty()) << "kNeedMore consumes every byte given";
        break;
      }
      if (r == Result::kHeadersDone) {
        run.events.push_back("headers");
      } else if (r == Result::kComplete) {
        run.requests.push_back(parser.take());
        run.events.push_back("complete " + describe(run.requests.back()));
      } else {
        run.status = parser.errorStatus();
        run.message = parser.errorMessage();
        run.events.push_back("error " + std::to_string(run.status) + " " + run.message);
        EXPECT_EQ(parser.parse("GET / HTTP/1.1\r\n\r\n", &consumed), Result::kError);
        return run;
      }
    }
  }
  return run;
}

Outcome whole(const std::string& bytes, ParseLimits limits = {}) {
  return feed(bytes, {bytes.size()}, limits);
}

Outcome byteByByte(const std::string& bytes, ParseLimits limits = {}) {
  return feed(bytes, std::vector<size_t>(bytes.size(), 1), limits);
}

Outcome randomSplits(const std::string& bytes, unsigned seed, ParseLimits limits = {}) {
  std::mt19937 rng(seed);
  std::vector<size_t> pieces;
  for (size_t left = bytes.size(); left > 0;) {
    size_t n = std::uniform_int_distribution<size_t>(1, std::min<size_t>(left, 40))(rng);
    pieces.push_back(n);
    left -= n;
  }
  return feed(bytes, pieces, limits);
}

// The status a request (fed whole, then byte by byte) is refused with; 0 when it is accepted.
int statusOf(const std::string& bytes, ParseLimits limits = {}) {
  Outcome w = whole(bytes, limits);
  EXPECT_EQ(w.events, byteByByte(bytes, limits).events) << "split-dependent outcome";
  if (w.status == 0) {
    EXPECT_EQ(w.requests.size(), 1u) << "not exactly one complete request";
  }
  return w.status;
}

ParsedRequest only(const std::string& bytes, ParseLimits limits = {}) {
  Outcome run = whole(bytes, limits);
  EXPECT_EQ(run.status, 0) << run.message;
  EXPECT_EQ(run.requests.size(), 1u);
  return run.requests.empty() ? ParsedRequest{} : run.requests.front();
}

std::string get(const std::string& headers) {
  return "GET / HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n";
}

std::string post(const std::string& headers, const std::string& body) {
  return "POST /hooks/a HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n" + body;
}

// Bytes with a NUL where the text has '@'.
std::string withNul(std::string s) {
  for (char& c : s) {
    if (c == '@') c = '\0';
  }
  return s;
}

// --- request line ---

TEST(RequestParserLineTest, ParsesASimpleGet) {
  ParsedRequest r = only("GET /health?full=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n");
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/health?full=1");
  EXPECT_EQ(r.versionMinor, 1);
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[0].first, "Host");
  EXPECT_EQ(r.headers[0].second, "example.com");
  EXPECT_EQ(r.headers[1].second, "*/*");
  EXPECT_TRUE(r.body.empty());
  EXPECT_TRUE(r.keepAlive);
}

TEST(RequestParserLineTest, SkipsBlankLinesBeforeTheRequestLineButBoundsThem) {
  EXPECT_EQ(only("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n").target, "/");
  std::string many;
  for (int i = 0; i < 4097; ++i) many += "\r\n";
  EXPECT_EQ(statusOf(many + "GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("\r\rGET / HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
}

TEST(RequestParserLineTest, MethodIsATokenFollowedByOneSpace) {
  EXPECT_EQ(only("M-SEARCH / HTTP/1.1\r\nHost: x\r\n\r\n").method, "M-SEARCH");
  EXPECT_EQ(statusOf("G(T / HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(statusOf(" GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET  / HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1 \r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET /\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET\r\nHost: x\r\n\r\n"), 400);
}

TEST(RequestParserLineTest, TargetBytesAreVisibleAscii) {
  EXPECT_EQ(statusOf("GET /heal\rthz HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(statusOf(withNul("GET /a@b HTTP/1.1\r\nHost: x\r\n\r\n")), 400);
  EXPECT_EQ(statusOf("GET /a\x7f HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET /a\tb HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
}

TEST(RequestParserLineTest, TargetIsOriginOrHttpAbsoluteForm) {
  EXPECT_EQ(statusOf("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET foo HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET ftp://x/a HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET http:///a HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET http:// HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
}

TEST(RequestParserLineTest, AbsoluteFormIsReducedToPathAndQuery) {
  auto target = [](const std::string& t) {
    return only("GET " + t + " HTTP/1.1\r\nHost: x\r\n\r\n").target;
  };
  EXPECT_EQ(target("http://example.com/hooks/a?x=1"), "/hooks/a?x=1");
  EXPECT_EQ(target("HTTPS://example.com:8443/b"), "/b");
  EXPECT_EQ(target("http://example.com"), "/");
  EXPECT_EQ(target("hTTp://example.com?q"), "/?q");
}

TEST(RequestParserLineTest, VersionIsHttp10Or11) {
  EXPECT_EQ(only("GET / HTTP/1.0\r\n\r\n").versionMinor, 0);
  EXPECT_EQ(statusOf("GET / HTTP/9.9\r\nHost: x\r\n\r\n"), 505);
  EXPECT_EQ(statusOf("GET / HTTP/2.0\r\nHost: x\r\n\r\n"), 505);
  EXPECT_EQ(statusOf("GET / HTTP/0.9\r\nHost: x\r\n\r\n"), 505);
  EXPECT_EQ(statusOf("GET / HTTP/1.2\r\nHost: x\r\n\r\n"), 505);
  EXPECT_EQ(statusOf("GET / http/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.10\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/a.1\r\nHost: x\r\n\r\n"), 400);
}

TEST(RequestParserLineTest, TargetPastItsLimitIs414) {
  ParseLimits limits;
  limits.maxTargetBytes = 32;
  std::string ok = "/" + std::string(31, 'a');
  EXPECT_EQ(only("GET " + ok + " HTTP/1.1\r\nHost: x\r\n\r\n", limits).target, ok);
  EXPECT_EQ(statusOf("GET " + ok + "b HTTP/1.1\r\nHost: x\r\n\r\n", limits), 414);
  EXPECT_EQ(statusOf("GET http://x" + ok + " HTTP/1.1\r\nHost: x\r\n\r\n", limits), 414);
  // Known before the line ends: no need to wait for the rest.
  EXPECT_EQ(whole("GET " + ok + "b", limits).status, 414);
  EXPECT_EQ(whole("GET " + ok, limits).status, 0);
}

TEST(RequestParserLineTest, ALongRequestLineWithAnOversizedTargetIs414NotA431) {
  ParseLimits limits;
  limits.maxHeaderBytes = 256;
  limits.maxTargetBytes = 64;
  EXPECT_EQ(statusOf("GET /" + std::string(1000, 'a') + " HTTP/1.1\r\n\r\n", limits), 414);
  EXPECT_EQ(statusOf(std::string(1000, 'G') + " / HTTP/1.1\r\n\r\n", limits), 431);
}

// --- line endings ---

TEST(RequestParserLineTest, EveryLineEndsInCrlf) {
  EXPECT_EQ(statusOf("GET / HTTP/1.1\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: x\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: x\r\n\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: x\r\n\r\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\r\n\r\n"), 400);
}

// --- header fields ---

TEST(RequestParserFieldTest, ValuesAreTrimmedAndKeepObsText) {
  ParsedRequest r = only(get("X-A: \t padded value \t\r\nX-B: caf\xc3\xa9 \xff!\r\nX-C:\r\n"));
  ASSERT_EQ(r.headers.size(), 4u);
  EXPECT_EQ(r.headers[1].second, "padded value");
  EXPECT_EQ(r.headers[2].second, "caf\xc3\xa9 \xff!");
  EXPECT_EQ(r.headers[3].second, "");
}

TEST(RequestParserFieldTest, AValueStartingWith0xffIsAnOrdinaryValue) {
  ParsedRequest r = only("GET / HTTP/1.1\r\nX-A: \xff\r\nHost: x\r\n\r\n");
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[0].second, "\xff");
  EXPECT_EQ(r.headers[1].first, "Host");
}

TEST(RequestParserFieldTest, ControlBytesInAValueAreRefused) {
  EXPECT_EQ(statusOf(get(withNul("X-A: a@b\r\n"))), 400);
  EXPECT_EQ(statusOf(get("X-A: a\x01\r\n")), 400);
  EXPECT_EQ(statusOf(get("X-A: a\x7f\r\n")), 400);
  EXPECT_EQ(statusOf(get("X-A: a\x1b[0m\r\n")), 400);
}

TEST(RequestParserFieldTest, WhitespaceBeforeTheColonIsRefused) {
  EXPECT_EQ(statusOf(get("Transfer-Encoding : chunked\r\n") + "0\r\n\r\n"), 400);
  EXPECT_EQ(statusOf(get("X-A\t: b\r\n")), 400);
  EXPECT_EQ(statusOf(get("X A: b\r\n")), 400);
}

TEST(RequestParserFieldTest, ALineWithoutAColonIsRefused) {
  EXPECT_EQ(statusOf(get("X-A b\r\n")), 400);
  Outcome run = whole(get("secret-token-1234\r\n"));
  EXPECT_EQ(run.status, 400);
  EXPECT_EQ(run.message, "Malformed request: header line without a colon");
}

TEST(RequestParserFieldTest, EmptyAndInvalidNamesAreRefused) {
  EXPECT_EQ(statusOf(get(": b\r\n")), 400);
  EXPECT_EQ(statusOf(get("X(A): b\r\n")), 400);
  EXPECT_EQ(statusOf(get("X-\xff: b\r\n")), 400);
}

TEST(RequestParserFieldTest, FoldedLinesAreRefused) {
  EXPECT_EQ(statusOf(get("X-A: a\r\n b\r\n")), 400);
  EXPECT_EQ(statusOf(get("X-A: a\r\n\tb\r\n")), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\n Host: x\r\n\r\n"), 400);
}

TEST(RequestParserFieldTest, TooManyFieldsIs431) {
  ParseLimits limits;
  limits.maxHeaderCount = 3;
  EXPECT_EQ(only(get("A: 1\r\nB: 2\r\n"), limits).headers.size(), 3u);
  EXPECT_EQ(statusOf(get("A: 1\r\nB: 2\r\nC: 3\r\n"), limits), 431);
}

TEST(RequestParserFieldTest, AHeaderBlockPastItsLimitIs431) {
  ParseLimits limits;
  limits.maxHeaderBytes = 64;
  std::string head = "GET / HTTP/1.1\r\nHost: x\r\nX-A: ";  // 30 bytes
  std::string exact = head + std::string(64 - 30 - 4, 'v') + "\r\n\r\n";
  ASSERT_EQ(exact.size(), 64u);
  EXPECT_EQ(statusOf(exact, limits), 0);
  EXPECT_EQ(statusOf(head + std::string(64 - 30 - 3, 'v') + "\r\n\r\n", limits), 431);
  // An unfinished block already past the limit is refused without waiting for its end.
  EXPECT_EQ(whole(head + std::string(100, 'v'), limits).status, 431);
  EXPECT_EQ(whole(head + std::string(30, 'v'), limits).status, 0);
}

TEST(RequestParserFieldTest, ErrorMessagesQuoteNothingOfTheRequest) {
  for (const std::string& bad :
       {get("X-Secret-Token-42 oops\r\n"), get("X-Secret-Token-42: \x01\r\n"),
        std::string("GET /X-Secret-Token-42\r HTTP/1.1\r\n\r\n"),
        get("Transfer-Encoding: X-Secret-Token-42\r\n")}) {
    Outcome run = whole(bad);
    EXPECT_NE(run.status, 0);
    EXPECT_FALSE(run.message.empty());
    EXPECT_EQ(run.message.find("Secret"), std::string::npos) << run.message;
  }
}

// --- Host ---

TEST(RequestParserFramingTest, Http11NeedsExactlyOneHost) {
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHOST: a\r\n\r\n"), 0);
  EXPECT_EQ(statusOf("GET / HTTP/1.0\r\n\r\n"), 0);
  EXPECT_EQ(statusOf("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"), 400);
}

// --- Content-Length ---

TEST(RequestParserFramingTest, ContentLengthFramesTheBody) {
  Outcome run = whole(post("Content-Length: 5\r\n", "hello"));
  ASSERT_EQ(run.requests.size(), 1u);
  EXPECT_EQ(run.events.front(), "headers");
  EXPECT_EQ(run.requests[0].body, "hello");
  EXPECT_EQ(only(post("Content-Length: 0\r\n", "")).body, "");
  EXPECT_EQ(only(post("Content-Length: 005\r\n", "hello")).body, "hello");
}

TEST(RequestParserFramingTest, ContentLengthIsDigitsOnly) {
  for (const char* value : {"+5", "-5", "5x", "0x5", "5 5", "", " ", "5.0", "1e3"}) {
    EXPECT_EQ(statusOf(post(std::string("Content-Length: ") + value + "\r\n", "hello")), 400)
        << value;
  }
}

TEST(RequestParserFramingTest, IdenticalContentLengthsAreOneAndDifferentOnesAreRefused) {
  EXPECT_EQ(only(post("Content-Length: 5, 5\r\n", "hello")).body, "hello");
  EXPECT_EQ(only(post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello")).body, "hello");
  EXPECT_EQ(statusOf(post("Content-Length: 5\r\nContent-Length: 6\r\n", "hello!")), 400);
  EXPECT_EQ(statusOf(post("Content-Length: 5, 6\r\n", "hello!")), 400);
  EXPECT_EQ(statusOf(post("Content-Length: 5,\r\n", "hello")), 400);
  EXPECT_EQ(statusOf(post("Content-Length: 5\r\nContent-Length: 05\r\n", "hello")), 400);
}

TEST(RequestParserFramingTest, ContentLengthOverTheLimitIs413BeforeAnyBodyByte) {
  ParseLimits limits;
  limits.maxBodyBytes = 10;
  EXPECT_EQ(only(post("Content-Length: 10\r\n", "0123456789"), limits).body.size(), 10u);
  // No body byte sent: the declaration alone is refused.
  EXPECT_EQ(whole(post("Content-Length: 11\r\n", ""), limits).status, 413);
  EXPECT_EQ(whole(post("Content-Length: 99999999999999999999999999\r\n", "")).status, 413);
}

TEST(RequestParserFramingTest, NoLengthAndNoCodingMeansNoBody) {
  RequestParser parser;
  std::string bytes = post("", "GET");
  size_t consumed = 0;
  ASSERT_EQ(parser.parse(bytes, &consumed), Result::kComplete);
  EXPECT_EQ(bytes.substr(consumed), "GET");
  EXPECT_EQ(parser.take().body, "");
}

// --- Transfer-Encoding ---

TEST(RequestParserFramingTest, LengthBesideACodingIsRefused) {
  EXPECT_EQ(statusOf(post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n")),
            400);
  EXPECT_EQ(statusOf(post("Transfer-Encoding: chunked\r\nContent-Length: 0\r\n", "0\r\n\r\n")),
            400);
}

TEST(RequestParserFramingTest, OnlyChunkedAloneIsAcceptedAsACoding) {
  EXPECT_EQ(statusOf(post("Transfer-Encoding: Chunked\r\n", "0\r\n\r\n")), 0);
  for (const char* value :
       {"xchunked", "gzip, chunked", "chunked, chunked", "identity", "gzip", "chunked;q=1"}) {
    EXPECT_EQ(statusOf(post(std::string("Transfer-Encoding: ") + value + "\r\n", "0\r\n\r\n")), 501)
        << value;
  }
  EXPECT_EQ(
      statusOf(post("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n")),
      501);
}

TEST(RequestParserFramingTest, AnEmptyCodingIsRefused) {
  EXPECT_EQ(statusOf(post("Transfer-Encoding:\r\n", "0\r\n\r\n")), 400);
  EXPECT_EQ(statusOf(post("Transfer-Encoding: chunked,\r\n", "0\r\n\r\n")), 400);
}

TEST(RequestParserFramingTest, ACodingInHttp10IsRefused) {
  EXPECT_EQ(statusOf("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400);
}

// --- chunked bodies ---

TEST(RequestParserChunkedTest, DechunksAndDiscardsTrailers) {
  Outcome run = whole(post("Transfer-Encoding: chunked\r\n",
                           "5\r\nhello\r\n1;name=\"v a\";x\r\n,\r\nA \t; ext\r\n world!!!!\r\n"
                           "0\r\nX-Checksum: abc\r\nX-More: \xff\r\n\r\n"));
  ASSERT_EQ(run.status, 0) << run.message;
  ASSERT_EQ(run.requests.size(), 1u);
  EXPECT_EQ(run.events.front(), "headers");
  EXPECT_EQ(run.requests[0].body, "hello, world!!!!");
  EXPECT_EQ(run.requests[0].headers.size(), 2u) << "trailers are not headers";
}

TEST(RequestParserChunkedTest, ChunkSizeIsOneToSixteenHexDigits) {
  for (const char* size : {"zz", "-1", "+1", "", " 1", "1 ", "0x1", "10000000000000000"}) {
    EXPECT_EQ(
        statusOf(post("Transfer-Encoding: chunked\r\n", std::string(size) + "\r\na\r\n0\r\n\r\n")),
        400)
        << size;
  }
  EXPECT_EQ(statusOf(post("Transfer-Encoding: chunked\r\n", "0000000000000001\r\na\r\n0\r\n\r\n")),
            0);
  EXPECT_EQ(whole(post("Transfer-Encoding: chunked\r\n", "ffffffffffffffff\r\n")).status, 413);
}

TEST(RequestParserChunkedTest, ChunkLinesAndDataEndInCrlf) {
  std::string te = "Transfer-Encoding: chunked\r\n";
  EXPECT_EQ(statusOf(post(te, "1\na\r\n0\r\n\r\n")), 400);
  EXPECT_EQ(statusOf(post(te, "1\r\nab\r\n0\r\n\r\n")), 400);
  EXPECT_EQ(statusOf(post(te, "1\r\na\n0\r\n\r\n")), 400);
  EXPECT_EQ(statusOf(post(te, "1\r\na\r\r\n0\r\n\r\n")), 400);
  EXPECT_EQ(statusOf(post(te, "1\r\na\r\n0\r\n\n")), 400);
  EXPECT_EQ(statusOf(post(te, "1;a\x01\r\na\r\n0\r\n\r\n")), 400);
  EXPECT_EQ(statusOf(post(te, "1" + std::string(5000, ' ') + ";x\r\na\r\n0\r\n\r\n")), 400);
}

TEST(RequestParserChunkedTest, TrailersAreValidatedAndBounded) {
  std::string te = "Transfer-Encoding: chunked\r\n";
  EXPECT_EQ(statusOf(post(te, "0\r\nX-A b\r\n\r\n")), 400);
  EXPECT_EQ(statusOf(post(te, "0\r\n X-A: b\r\n\r\n")), 400);
  ParseLimits limits;
  limits.maxHeaderBytes = 128;
  EXPECT_EQ(statusOf(post(te, "0\r\nX-A: " + std::string(200, 'v') + "\r\n\r\n"), limits), 431);
}

TEST(RequestParserChunkedTest, ABodyGrowingPastTheLimitIs413) {
  ParseLimits limits;
  limits.maxBodyBytes = 8;
  std::string te = "Transfer-Encoding: chunked\r\n";
  EXPECT_EQ(only(post(te, "4\r\n1234\r\n4\r\n5678\r\n0\r\n\r\n"), limits).body, "12345678");
  EXPECT_EQ(statusOf(post(te, "4\r\n1234\r\n5\r\n56789\r\n0\r\n\r\n"), limits), 413);
  // Refused on the declaration, before the chunk's data.
  EXPECT_EQ(whole(post(te, "4\r\n1234\r\n5\r\n"), limits).status, 413);
}

// --- connection semantics ---

TEST(RequestParserConnectionTest, Http11KeepsAliveUnlessClose) {
  EXPECT_TRUE(only(get("")).keepAlive);
  EXPECT_FALSE(only(get("Connection: close\r\n")).keepAlive);
  EXPECT_FALSE(only(get("Connection: keep-alive, CLOSE\r\n")).keepAlive);
  EXPECT_TRUE(only(get("Connection: upgrade\r\n")).keepAlive);
}

TEST(RequestParserConnectionTest, Http10ClosesUnlessKeepAlive) {
  EXPECT_FALSE(only("GET / HTTP/1.0\r\n\r\n").keepAlive);
  EXPECT_TRUE(only("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keepAlive);
  EXPECT_TRUE(only("GET / HTTP/1.0\r\nConnection: foo , keep-alive\r\n\r\n").keepAlive);
  EXPECT_FALSE(only("GET / HTTP/1.0\r\nConnection: close\r\n\r\n").keepAlive);
}

TEST(RequestParserConnectionTest, ExpectsContinueOnlyWithABodyToCome) {
  auto expects = [](const std::string& head) {
    RequestParser parser;
    size_t consumed = 0;
    Result r = parser.parse(head, &consumed);
    return std::make_pair(r, parser.expectsContinue());
  };
  EXPECT_EQ(expects(post("Expect: 100-Continue\r\nContent-Length: 5\r\n", "")),
            std::make_pair(Result::kHeadersDone, true));
  EXPECT_EQ(expects(post("Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n", "")),
            std::make_pair(Result::kHeadersDone, true));
  EXPECT_EQ(expects(post("Expect: 100-continue\r\nContent-Length: 0\r\n", "")),
            std::make_pair(Result::kComplete, false));
  EXPECT_EQ(expects(post("Content-Length: 5\r\n", "")),
            std::make_pair(Result::kHeadersDone, false));
  EXPECT_EQ(expects("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"),
            std::make_pair(Result::kHeadersDone, false));
}

// --- the caller's view ---

TEST(RequestParserStreamTest, HeadersDoneOncePerRequestWithABodyThenComplete) {
  std::string bytes = post("Content-Length: 3\r\n", "abc") + get("") +
                      post("Transfer-Encoding: chunked\r\n", "1\r\nx\r\n0\r\n\r\n");
  for (const Outcome& run : {whole(bytes), byteByByte(bytes)}) {
    ASSERT_EQ(run.events.size(), 5u);
    EXPECT_EQ(run.events[0], "headers");
    EXPECT_EQ(run.events[1].substr(0, 8), "complete");
    EXPECT_EQ(run.events[2].substr(0, 8), "complete");
    EXPECT_EQ(run.events[3], "headers");
    EXPECT_EQ(run.events[4].substr(0, 8), "complete");
  }
}

TEST(RequestParserStreamTest, PhasesAreReportedToTheEventLoop) {
  RequestParser parser;
  size_t consumed = 0;
  EXPECT_EQ(parser.parse("\r\n", &consumed), Result::kNeedMore);
  EXPECT_FALSE(parser.inRequest()) << "blank lines are not a request";
  EXPECT_EQ(parser.parse("POST / HTTP/1.1\r\n", &consumed), Result::kNeedMore);
  EXPECT_TRUE(parser.inRequest());
  EXPECT_FALSE(parser.headersDone());
  EXPECT_EQ(parser.parse("Host: x\r\nContent-Length: 2\r\n\r\na", &consumed), Result::kHeadersDone);
  EXPECT_EQ(consumed, 30u);
  EXPECT_TRUE(parser.headersDone());
  EXPECT_EQ(parser.parse("a", &consumed), Result::kNeedMore);
  EXPECT_EQ(parser.parse("bGET", &consumed), Result::kComplete);
  EXPECT_EQ(consumed, 1u);
  EXPECT_EQ(parser.parse("GET", &consumed), Result::kComplete) << "until taken";
  EXPECT_EQ(consumed, 0u);
  EXPECT_EQ(parser.take().body, "ab");
  EXPECT_FALSE(parser.inRequest());
  EXPECT_FALSE(parser.headersDone());
}

TEST(RequestParserStreamTest, AnEmptyViewNeedsMoreInEveryPhase) {
  RequestParser parser;
  size_t consumed = 1;
  EXPECT_EQ(parser.parse(std::string_view(), &consumed), Result::kNeedMore);
  EXPECT_EQ(consumed, 0u);
  for (std::string_view piece :
       {"POST / HTTP/1.1\r\n", "Host: x\r\nTransfer-Encoding: chunked\r\n\r\n", "2\r\n", "a", "b\r",
        "\n0\r\n", "T: 1\r\n"}) {
    EXPECT_NE(parser.parse(piece, &consumed), Result::kError);
    EXPECT_EQ(parser.parse(std::string_view(), &consumed), Result::kNeedMore);
  }
  EXPECT_EQ(parser.parse("\r\n", &consumed), Result::kComplete);
  EXPECT_EQ(parser.take().body, "ab");
}

TEST(RequestParserStreamTest, AfterAnErrorEveryParseIsAnError) {
  RequestParser parser;
  size_t consumed = 0;
  ASSERT_EQ(parser.parse("GET / HTTP/1.1\r\nX-A b\r\n", &consumed), Result::kError);
  EXPECT_EQ(parser.errorStatus(), 400);
  EXPECT_EQ(parser.parse("\r\n", &consumed), Result::kError);
  EXPECT_EQ(parser.parse("GET / HTTP/1.1\r\nHost: x\r\n\r\n", &consumed), Result::kError);
  EXPECT_EQ(parser.errorStatus(), 400);
}

TEST(RequestParserStreamTest, PipelinedRequestsAreTakenInOrderAndTheRestLeftAlone) {
  std::string first = get("X-N: 1\r\n");
  std::string second = post("Content-Length: 2\r\n", "hi");
  std::string third = "DELETE /x HTTP/1.0\r\n\r\n";
  std::string bytes = first + second + third + "GET /partial";
  RequestParser parser;
  size_t consumed = 0;
  ASSERT_EQ(parser.parse(bytes, &consumed), Result::kComplete);
  EXPECT_EQ(consumed, first.size());
  EXPECT_EQ(parser.take().headers.back().second, "1");
  bytes.erase(0, consumed);
  EXPECT_EQ(bytes, second + third + "GET /partial") << "the next requests are untouched";
  ASSERT_EQ(parser.parse(bytes, &consumed), Result::kHeadersDone);
  bytes.erase(0, consumed);
  ASSERT_EQ(parser.parse(bytes, &consumed), Result::kComplete);
  bytes.erase(0, consumed);
  EXPECT_EQ(parser.take().body, "hi");
  EXPECT_EQ(bytes, third + "GET /partial");
  ASSERT_EQ(parser.parse(bytes, &consumed), Result::kComplete);
  bytes.erase(0, consumed);
  ParsedRequest last = parser.take();
  EXPECT_EQ(last.method, "DELETE");
  EXPECT_FALSE(last.keepAlive);
  EXPECT_EQ(bytes, "GET /partial");
}

TEST(RequestParserStreamTest, TwoPipelinedRequestsInOneBuffer) {
  Outcome run = whole(get("") + post("Content-Length: 1\r\n", "z"));
  ASSERT_EQ(run.requests.size(), 2u);
  EXPECT_EQ(run.requests[0].method, "GET");
  EXPECT_EQ(run.requests[1].body, "z");
}

TEST(RequestParserStreamTest, AnySplitGivesTheSameOutcomeAsWhole) {
  ParseLimits small;
  small.maxHeaderBytes = 96;
  small.maxTargetBytes = 24;
  small.maxHeaderCount = 4;
  small.maxBodyBytes = 16;
  std::vector<std::string> streams = {
      get("X-A: \xff\r\n") + get("Connection: close\r\n"),
      "\r\n\r\n" + post("Content-Length: 5\r\nExpect: 100-continue\r\n", "hello") + get(""),
      post("Transfer-Encoding: chunked\r\n", "3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n") +
          "GET / HTTP/1.0\r\n\r\n",
      "GET http://example.com/a?b HTTP/1.1\r\nHost: example.com\r\n\r\n",
      "GET /" + std::string(40, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n",
      get("X-A: " + std::string(120, 'b') + "\r\n"),
      get("A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n"),
      post("Content-Length: 17\r\n", std::string(17, 'x')),
      post("Transfer-Encoding: chunked\r\n", "9\r\n123456789\r\n8\r\n12345678\r\n0\r\n\r\n"),
      post("Transfer-Encoding: chunked\r\n", "3\r\nabcX\r\n"),
      post("Transfer-Encoding: chunked\r\n", "3\r\nabc\r\n0\r\nT: " + std::string(100, 't')),
      get("") + "GET / HTTP/1.1\nHost: x\r\n\r\n",
      get("Transfer-Encoding : chunked\r\n"),
      "\r\r\n",
      std::string(200, 'G'),
      "GET /" + std::string(200, 'a'),
  };
  for (size_t i = 0; i < streams.size(); ++i) {
    const std::string& s = streams[i];
    for (ParseLimits limits : {ParseLimits{}, small}) {
      Outcome w = whole(s, limits);
      EXPECT_EQ(w.events, byteByByte(s, limits).events) << "stream " << i;
      for (unsigned seed = 1; seed <= 20; ++seed) {
        EXPECT_EQ(w.events, randomSplits(s, seed, limits).events)
            << "stream " << i << " seed " << seed;
      }
    }
  }
}

TEST(RequestParserStreamTest, TakeResetsForTheNextRequest) {
  RequestParser parser;
  size_t consumed = 0;
  std::string a =
      "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nq";
  ASSERT_EQ(parser.parse(a, &consumed), Result::kHeadersDone);
  ASSERT_EQ(parser.parse(a.substr(consumed), &consumed), Result::kComplete);
  EXPECT_FALSE(parser.expectsContinue());
  parser.take();
  ASSERT_EQ(parser.parse("GET / HTTP/1.0\r\n\r\n", &consumed), Result::kComplete);
  ParsedRequest r = parser.take();
  EXPECT_EQ(r.versionMinor, 0);
  EXPECT_TRUE(r.body.empty());
  EXPECT_TRUE(r.headers.empty());
}

}  // namespace
}  // namespace dispatch::http
