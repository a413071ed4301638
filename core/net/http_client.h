// Outbound HTTP(S): one attempt per call, no redirects followed, the network policy
// checked on the resolved IP at every call and the connection made to that very IP
// (no DNS-rebinding window). Keep-alive sessions are pooled per (scheme, host, port, IP).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/net/network_policy.h"

namespace dispatch::net {

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  // Host, Content-Length, Transfer-Encoding and Connection are the client's; caller values
  // for them are ignored. A name that is not a token or a value with CR/LF → kInvalidUrl.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int64_t timeoutMs = 15'000;           // connect + send + full response
  int64_t maxResponseBytes = 64 << 10;  // the body kept; the rest is read and dropped
};

struct HttpResponse {
  // kInvalidUrl also covers a malformed request header; kNetwork covers DNS failures.
  enum class Error { kNone, kTimeout, kNetwork, kBlocked, kInvalidUrl };
  Error error = Error::kNone;
  std::string errorText;  // e.g. "timeout after 500ms", "connection refused"; empty if none
  int status = 0;         // 0 when error != kNone
  std::string body;       // at most maxResponseBytes
  bool truncated = false;
  std::optional<std::string> retryAfter;  // the raw Retry-After header, if any
  int64_t durationMs = 0;
};

struct ClientOptions {
  NetworkPolicy policy;
  std::string caFile;              // extra trusted CA (PEM file); system CAs are always trusted
  int maxIdlePerHost = 64;         // idle keep-alive sessions kept per host. Default: 64
  int64_t idleTimeoutMs = 30'000;  // idle sessions older are closed. Default: 30s
};

// Thread-safe. Owns its pools; destroy after every caller has returned.
class HttpClient {
 public:
  // Throws std::runtime_error when caFile is set but cannot be loaded (a config error).
  explicit HttpClient(ClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Performs one request. Never throws; every failure is reported in the response.
  HttpResponse send(const HttpRequest& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dispatch::net
