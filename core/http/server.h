// The HTTP server: Poco's HTTPServer with a fixed worker pool and keep-alive. Reads each
// body under the size limit (Content-Length checked before reading, chunked bodies while
// reading) and hands a Request to the router.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/http/router.h"

namespace dispatch::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port
  int threads = 32;
  // The largest body read; larger → 413 without reading it all. Looked up per request so
  // a reload applies at once.
  std::function<int64_t()> maxBodyBytes = [] { return int64_t{1} << 20; };
};

class Server {
 public:
  Server(ServerOptions options, const Router& router);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void start();
  // Stops accepting; waits for requests in progress.
  void stop();
  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dispatch::http
