// Poco glue: converts Poco requests to http::Request and back.
#include "core/http/server.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <chrono>

#include "core/http/envelope.h"
#include "core/util/log.h"

namespace dispatch::http {
namespace {

// Reads at most `limit` bytes; returns false when the body is larger.
bool readBody(std::istream& in, int64_t limit, std::string* out) {
  char buf[16384];
  while (in) {
    in.read(buf, sizeof buf);
    std::streamsize n = in.gcount();
    if (n <= 0) break;
    if (static_cast<int64_t>(out->size()) + n > limit) return false;
    out->append(buf, static_cast<size_t>(n));
  }
  return true;
}

// What a connection answered early (body too large) still reads and discards before closing.
constexpr int64_t kLingerBytes = int64_t{16} << 20;
constexpr std::chrono::milliseconds kLingerTime{2000};

// Closing a socket with unread request bytes makes the kernel send a reset, which can
// destroy the response still in flight: the client would see a broken connection instead
// of the 413. So, as nginx's lingering close: send FIN, then discard what the client still
// sends, within a byte and time budget, so a huge body is still never read in full.
void lingerBeforeClose(Poco::Net::HTTPServerRequest& preq) {
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&preq);
  if (impl == nullptr) return;
  try {
    Poco::Net::StreamSocket& sock = impl->socket();
    sock.shutdownSend();
    sock.setReceiveTimeout(Poco::Timespan(0, 250'000));
    const auto deadline = std::chrono::steady_clock::now() + kLingerTime;
    char buf[16384];
    int64_t left = kLingerBytes;
    while (left > 0 && std::chrono::steady_clock::now() < deadline) {
      int n = sock.receiveBytes(buf, sizeof buf);
      if (n <= 0) break;
      left -= n;
    }
  } catch (...) {
    // A timeout or a reset while draining: the connection is closing anyway.
  }
}

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  Handler(const Router& router, const ServerOptions& opts) : router_(router), opts_(opts) {}

  void handleRequest(Poco::Net::HTTPServerRequest& preq,
                     Poco::Net::HTTPServerResponse& presp) override {
    Response resp;
    try {
      resp = handle(preq);
    } catch (const std::exception& e) {
      log::error("unhandled error in request", {{"error", e.what()}});
      resp = errorResponse(Status(Code::kInternal, ""));
    }
    presp.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(resp.status));
    presp.setContentType(resp.contentType);
    for (const auto& [k, v] : resp.headers) presp.set(k, v);
    if (resp.close) presp.setKeepAlive(false);
    presp.setContentLength(static_cast<std::streamsize>(resp.body.size()));
    std::ostream& out = presp.send();
    if (preq.getMethod() != "HEAD") out.write(resp.body.data(), static_cast<std::streamsize>(resp.body.size()));
    if (resp.close) {
      out.flush();
      lingerBeforeClose(preq);
    }
  }

 private:
  Response handle(Poco::Net::HTTPServerRequest& preq) {
    Request req;
    req.method = preq.getMethod();
    const std::string& uri = preq.getURI();
    size_t q = uri.find('?');
    try {
      Poco::URI::decode(uri.substr(0, q), req.path);
    } catch (...) {
      return envelope(400, "Malformed request path");
    }
    if (q != std::string::npos) req.query = uri.substr(q + 1);
    for (const auto& [k, v] : preq) req.headers.emplace_back(k, v);

    int64_t limit = opts_.maxBodyBytes();
    if (preq.hasContentLength() && preq.getContentLength64() > limit) {
      Response r = envelope(413, "Request body too large");
      r.close = true;  // the rest of the body is never read
      return r;
    }
    // HTTP/1.1: a request with neither Content-Length nor chunked encoding has no body
    // (reading "until close" would hang on a keep-alive connection).
    bool hasBody = preq.hasContentLength() || preq.getChunkedTransferEncoding();
    if (hasBody && !readBody(preq.stream(), limit, &req.body)) {
      Response r = envelope(413, "Request body too large");
      r.close = true;
      return r;
    }
    return router_.dispatch(req);
  }

  const Router& router_;
  const ServerOptions& opts_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(const Router& router, const ServerOptions& opts) : router_(router), opts_(opts) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(router_, opts_);
  }

 private:
  const Router& router_;
  const ServerOptions& opts_;
};

}  // namespace

struct Server::Impl {
  ServerOptions opts;
  const Router& router;
  std::unique_ptr<Poco::ThreadPool> pool;
  std::unique_ptr<Poco::Net::HTTPServer> server;
  int port = 0;
};

Server::Server(ServerOptions options, const Router& router)
    : impl_(new Impl{std::move(options), router, nullptr, nullptr, 0}) {}

Server::~Server() { stop(); }

void Server::start() {
  Poco::Net::SocketAddress addr(impl_->opts.host, static_cast<Poco::UInt16>(impl_->opts.port));
  // Bind without SO_REUSEPORT (Poco's default constructor sets it), so a second server on a
  // port in use fails instead of silently sharing it.
  Poco::Net::ServerSocket socket;
  socket.bind(addr, true, false);
  socket.listen(1024);
  impl_->port = socket.address().port();
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(impl_->opts.threads);
  params->setMaxQueued(4096);
  params->setKeepAlive(true);
  params->setMaxKeepAliveRequests(0);  // unlimited
  params->setKeepAliveTimeout(Poco::Timespan(30, 0));
  params->setTimeout(Poco::Timespan(30, 0));
  impl_->pool = std::make_unique<Poco::ThreadPool>(2, impl_->opts.threads + 2);
  impl_->server = std::make_unique<Poco::Net::HTTPServer>(
      new Factory(impl_->router, impl_->opts), *impl_->pool, socket, params);
  impl_->server->start();
}

void Server::stop() {
  if (impl_->server) {
    impl_->server->stopAll(false);
    impl_->server.reset();
  }
  if (impl_->pool) {
    impl_->pool->joinAll();
    impl_->pool.reset();
  }
}

int Server::port() const { return impl_->port; }

}  // namespace dispatch::http
