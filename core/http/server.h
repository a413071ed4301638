// The front door: one event-loop thread owns every client connection (non-blocking sockets
// in epoll), so an idle or slow client costs a descriptor and a buffer, never a thread.
// Requests are framed by the strict RequestParser; a complete request goes to a fixed pool
// of worker threads that run the router; a handler that waits for a group commit hands back
// its thread and answers from the commit's completion. Responses are written by the loop.
// Every refusal (bad framing, sizes, timeouts, too many connections) is the JSON envelope
// with Connection: close. Optional TLS (1.2+) on the same loop. docs/architecture.md has the
// picture.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/http/router.h"
#include "core/util/status.h"

namespace dispatch::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;   // 0: any free port
  int threads = 32;  // workers that run handlers. Default: 32
  // The largest body read; larger → 413 without reading it all. Looked up per request so
  // a reload applies at once.
  std::function<int64_t()> maxBodyBytes = [] { return int64_t{1} << 20; };
  int maxConnections = 10'000;       // past it a new connection gets 503 and is closed
  int64_t headerTimeoutMs = 10'000;  // a request's header block, from its first byte (or accept)
  int64_t bodyTimeoutMs = 30'000;    // the body, from the end of the header block
  int64_t idleTimeoutMs = 60'000;    // keep-alive without a request; also a response unread
  size_t maxHeaderBytes = 64 << 10;  // request line + fields; past it → 431
  std::string tlsCert;               // both set: HTTPS only on this port
  std::string tlsKey;
};

class Server {
 public:
  Server(ServerOptions options, const Router& router);
  ~Server();  // stop(0) if still running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds (exclusively, no SO_REUSEPORT), loads TLS, starts the loop and the workers.
  // Throws std::runtime_error with a printable reason on failure.
  void start();
  // Stops accepting and closes idle connections at once; requests in progress finish and are
  // answered with Connection: close, for at most `graceMs`; then every connection is closed
  // and the workers are joined. Safe to call twice.
  void stop(int64_t graceMs = 10'000);
  // Rereads the TLS certificate and key (SIGHUP). New connections use them; open ones keep
  // theirs. An error leaves the old pair in force. kOk without TLS.
  Status reloadTls();
  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dispatch::http
