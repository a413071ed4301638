// Shared by the bench tools (one executable per tests/bench/*.cc): clocks, percentiles, a
// field read from a JSON text, and a signed POST /hooks/{slug} (preset hmac).
#pragma once

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/util/crypto.h"

namespace bench {

inline int64_t nowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The integer after `"name":` in a JSON text, or -1.
inline int64_t intField(const std::string& body, const char* name) {
  std::string pat = std::string("\"") + name + "\":";
  size_t at = body.find(pat);
  if (at == std::string::npos) return -1;
  return std::strtoll(body.c_str() + at + pat.size(), nullptr, 10);
}

// The p-quantile (0..1) of microsecond samples, in milliseconds; -1 when there are none.
inline double pctMs(std::vector<int64_t> v, double p) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  size_t idx = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return static_cast<double>(v[std::min(idx, v.size() - 1)]) / 1000.0;
}

// POSTs `body` to /hooks/{slug}, signed as preset hmac expects (X-Hub-Signature-256), on a
// keep-alive session; returns the status code. Throws on a network error.
inline int postSignedHook(Poco::Net::HTTPClientSession& s, const std::string& slug,
                          const std::string& secret, const std::string& body) {
  std::string sig =
      "sha256=" + dispatch::crypto::hexEncode(dispatch::crypto::hmacSha256(secret, body));
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, "/hooks/" + slug,
                             Poco::Net::HTTPMessage::HTTP_1_1);
  req.setContentType("application/json");
  req.set("X-Hub-Signature-256", sig);
  req.setContentLength(static_cast<std::streamsize>(body.size()));
  req.setKeepAlive(true);
  s.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::string ignored;
  Poco::StreamCopier::copyToString(s.receiveResponse(resp), ignored);
  return resp.getStatus();
}

}  // namespace bench
