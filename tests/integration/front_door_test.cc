// The front door speaks strict HTTP/1.x: every framing the server cannot read one way only
// is refused with its status, `Connection: close` and an envelope, and the connection is
// closed so that bytes after a refused request are never read as a second request
// (smuggling). Valid framings work: pipelining, HTTP/1.0, Expect: 100-continue, chunked
// bodies, and bodies over max_body_bytes are refused with 413.
#include <gtest/gtest.h>

#include "tests/integration/front_door_util.h"

namespace dispatch::test {
namespace {

using namespace front_door;
using namespace std::string_literals;

// One server shared by the tests of a suite (each test uses connections of its own).
struct SharedServer {
  TestDatabase db;
  std::unique_ptr<DispatchProcess> proc;
  bool started = false;
  SharedServer() {
    DispatchOptions o;
    o.projectsYaml = hookProjects();
    o.serverMaxBodyBytes = "16KiB";
    o.serverExtraYaml = "threads: 4\nheader_timeout: 5s\nbody_timeout: 5s\n";
    proc = std::make_unique<DispatchProcess>(db, o);
    started = proc->start();
  }
};

// A complete, valid request sent right after each refused one: it must never be answered.
const std::string kSmuggled = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

struct FramingCase {
  std::string name;
  std::string request;
  int status;
};

// Test names show the case's name, not its bytes.
void PrintTo(const FramingCase& c, std::ostream* os) { *os << c.name; }

std::string headerBlockOver64KiB() {
  std::string h = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (int i = 0; i < 80; ++i)
    h += "X-Pad-" + std::to_string(i) + ": " + std::string(1000, 'p') + "\r\n";
  return h + "\r\n";
}

std::vector<FramingCase> framingCases() {
  const std::string post = "POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  return {
      {"BareLf", "GET /healthz HTTP/1.1\nHost: 127.0.0.1\n\n", 400},
      {"BareLfInOneHeaderLine", "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\nX-A: b\r\n\r\n", 400},
      {"ObsFold", "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\r\n b\r\n\r\n", 400},
      {"HeaderLineWithoutColon", "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nNoColonHere\r\n\r\n",
       400},
      {"WhitespaceBeforeColon", post + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400},
      {"ContentLengthWithTransferEncoding",
       post + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"TwoDifferentContentLengths", post + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
       400},
      {"ContentLengthWithPlus", post + "Content-Length: +5\r\n\r\nhello", 400},
      {"ContentLengthWithTrailingGarbage", post + "Content-Length: 5x\r\n\r\nhello", 400},
      {"BadChunkSize", post + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400},
      {"ControlByteInHeaderValue",
       "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\x01z\r\n\r\n", 400},
      {"NulInHeaderValue", "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\0z\r\n\r\n"s, 400},
      {"CarriageReturnInTarget", "GET /heal\rthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400},
      {"Http11WithoutHost", "GET /healthz HTTP/1.1\r\n\r\n", 400},
      {"UnknownTransferCoding", post + "Transfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
       501},
      {"GzipThenChunked", post + "Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
       501},
      {"Version9_9", "GET /healthz HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n", 505},
      {"Version2_0", "GET /healthz HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n", 505},
      {"TargetOver16KiB",
       "GET /healthz?pad=" + std::string(17 * 1024, 'a') + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
       414},
      {"HeaderBlockOverMaxHeaderBytes", headerBlockOver64KiB(), 431},
  };
}

class FrontDoorFraming : public ::testing::TestWithParam<FramingCase> {
 protected:
  static void SetUpTestSuite() { server_ = new SharedServer; }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(server_->started) << server_->proc->log(); }
  int port() const { return server_->proc->port(); }

  static SharedServer* server_;
};

SharedServer* FrontDoorFraming::server_ = nullptr;

TEST_P(FrontDoorFraming, RefusedOnceAndClosed) {
  const FramingCase& c = GetParam();
  RawConn conn(port());
  ASSERT_TRUE(conn.ok()) << conn.error();
  // The server may close before it has read everything; what matters is what comes back.
  conn.send(c.request + kSmuggled);
  std::string why;
  auto r = conn.readResponse(kAnswerMs, &why);
  ASSERT_TRUE(r.has_value()) << why;
  expectRefusedAndClosed(conn, *r, c.status);
}

INSTANTIATE_TEST_SUITE_P(FrontDoor, FrontDoorFraming, ::testing::ValuesIn(framingCases()),
                         [](const auto& info) { return info.param.name; });

// The server still answers normally after all those refusals.
TEST_F(FrontDoorFraming, ValidRequestAfterRefusalsIsAnswered) {
  std::string why;
  auto r = exchange(port(), get(), kAnswerMs, &why);
  ASSERT_TRUE(r.has_value()) << why;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ok");
}

// A byte 0xff in a header value is an ordinary (obs-text) value: one request, its body read
// as its body, the connection kept for the next request.
TEST_F(FrontDoorFraming, HighByteInHeaderValueIsOneOrdinaryRequest) {
  RawConn conn(port());
  ASSERT_TRUE(conn.ok()) << conn.error();
  ASSERT_TRUE(
      conn.send("POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: \xff\r\n"
                "Content-Length: 5\r\n\r\nhello"));
  std::string why;
  auto r = conn.readResponse(kAnswerMs, &why);
  ASSERT_TRUE(r.has_value()) << why;
  EXPECT_EQ(r->status, 200) << r->raw << r->body;  // POST /healthz is routed (answers "ok")
  EXPECT_EQ(conn.fill(500), RawConn::Read::kTimeout)
      << "more after the one response: " << printable(conn.pending());
  EXPECT_TRUE(conn.pending().empty()) << printable(conn.pending());
  ASSERT_TRUE(conn.send(get()));
  auto again = conn.readResponse(kAnswerMs, &why);
  ASSERT_TRUE(again.has_value()) << why;
  EXPECT_EQ(again->status, 200);
}

// Three requests in one write: three answers, in order, on the same connection.
TEST_F(FrontDoorFraming, PipelinedRequestsAnsweredInOrder) {
  RawConn conn(port());
  ASSERT_TRUE(conn.ok()) << conn.error();
  ASSERT_TRUE(
      conn.send(get("/healthz") + post("/hooks/fd-in", R"({"pipelined":1})") + get("/healthz")));
  std::string why;
  auto first = conn.readResponse(kAnswerMs, &why);
  ASSERT_TRUE(first.has_value()) << why;
  auto second = conn.readResponse(kAnswerMs, &why);
  ASSERT_TRUE(second.has_value()) << why;
  auto third = conn.readResponse(kAnswerMs, &why);
  ASSERT_TRUE(third.has_value()) << why;
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->body, "ok");
  EXPECT_EQ(second->status, 202) << second->body;
  EXPECT_EQ(third->status, 200);  // not ahead of the slower POST
  EXPECT_EQ(third->body, "ok");
  std::string id = eventIdOf(*second);
  ASSERT_FALSE(id.empty()) << second->body;
  EXPECT_EQ(server_->db.scalar("SELECT count(*) FROM events WHERE id = '" + id + "'"), "1");
  EXPECT_EQ(conn.fill(300), RawConn::Read::kTimeout) << printable(conn.pending());
}

TEST_F(FrontDoorFraming, Http10IsAnsweredThenClosed) {
  RawConn conn(port());
  ASSERT_TRUE(conn.ok()) << conn.error();
  ASSERT_TRUE(conn.send("GET /healthz HTTP/1.0\r\n\r\n"));
  std::string why;
  auto r = conn.readResponse(kAnswerMs, &why);
  ASSERT_TRUE(r.has_value()) << why;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ok");
  EXPECT_TRUE(conn.waitClosed(3000)) << "an HTTP/1.0 connection without keep-alive stayed open";
  EXPECT_TRUE(conn.pending().empty()) << printable(conn.pending());
}

TEST_F(FrontDoorFraming, Http10KeepAliveStaysOpen) {
  RawConn conn(port());
  ASSERT_TRUE(conn.ok()) << conn.error();
  const std::string req = "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
  ASSERT_TRUE(conn.send(req));
  std::string why;
  auto r = conn.readResponse(kAnswerMs, &why);
  ASSERT_TRUE(r.has_value()) << why;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(conn.fill(300), RawConn::Read::kTimeout) << "closed or more bytes after keep-alive";
  ASSERT_TRUE(conn.send(req));
  auto again = conn.readResponse(kAnswerMs, &why);
  ASSERT_TRUE(again.has_value()) << why;
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(again->body, "ok");
}

TEST_F(FrontDoorFraming, ExpectContinueGets100BeforeTheAnswer) {
  RawConn conn(port());
  ASSERT_TRUE(conn.ok()) << conn.error();
  const std::string body = R"({"expect":"continue"})";
  ASSERT_TRUE(
      conn.send("POST /hooks/fd-in HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: application/json\r\nExpect: 100-continue\r\n"
                "Content-Length: " +
                std::to_string(body.size()) + "\r\n\r\n"));
  std::string why;
  auto interim = conn.readResponse(kAnswerMs, &why);  // the body is not sent yet
  ASSERT_TRUE(interim.has_value()) << why;
  EXPECT_EQ(interim->version, "HTTP/1.1");
  EXPECT_EQ(interim->status, 100) << interim->raw;
  ASSERT_TRUE(conn.send(body));
  auto r = conn.readResponse(kAnswerMs, &why);
  ASSERT_TRUE(r.has_value()) << why;
  EXPECT_EQ(r->status, 202) << r->body;
  std::string id = eventIdOf(*r);
  ASSERT_FALSE(id.empty()) << r->body;
  EXPECT_EQ(server_->db.scalar("SELECT count(*) FROM events WHERE id = '" + id + "'"), "1");
}

// A chunked body is read and stored exactly (the framing is not part of the event).
TEST_F(FrontDoorFraming, ChunkedBodyIsReassembled) {
  RawConn conn(port());
  ASSERT_TRUE(conn.ok()) << conn.error();
  ASSERT_TRUE(
      conn.send("POST /hooks/fd-in HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                "6\r\n{\"a\":1\r\n3\r\n,\"b\r\n4\r\n\":2}\r\n0\r\n\r\n"));
  std::string why;
  auto r = conn.readResponse(kAnswerMs, &why);
  ASSERT_TRUE(r.has_value()) << why;
  ASSERT_EQ(r->status, 202) << r->body;
  std::string id = eventIdOf(*r);
  ASSERT_FALSE(id.empty()) << r->body;
  EXPECT_EQ(
      server_->db.scalar("SELECT convert_from(body, 'UTF8') FROM events WHERE id = '" + id + "'"),
      R"({"a":1,"b":2})");
}

// A declared Content-Length over max_body_bytes (16KiB here) is refused before any of the
// body is sent.
TEST_F(FrontDoorFraming, DeclaredBodyOverLimitIs413WithoutReadingIt) {
  RawConn conn(port());
  ASSERT_TRUE(conn.ok()) << conn.error();
  ASSERT_TRUE(
      conn.send("POST /hooks/fd-in HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: application/json\r\nContent-Length: 1048576\r\n\r\n"));
  std::string why;
  auto r = conn.readResponse(kAnswerMs, &why);
  ASSERT_TRUE(r.has_value()) << "no answer before the body was sent: " << why;
  expectRefusedAndClosed(conn, *r, 413);
}

TEST_F(FrontDoorFraming, ChunkedBodyOverLimitIs413) {
  RawConn conn(port());
  ASSERT_TRUE(conn.ok()) << conn.error();
  std::string req =
      "POST /hooks/fd-in HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) req += "2000\r\n" + std::string(8192, 'x') + "\r\n";
  req += "0\r\n\r\n";
  conn.send(req + kSmuggled);
  std::string why;
  auto r = conn.readResponse(kAnswerMs, &why);
  ASSERT_TRUE(r.has_value()) << why;
  expectRefusedAndClosed(conn, *r, 413);
}

}  // namespace
}  // namespace dispatch::test
