// Helpers shared by the router integration tests (router_*.cc): signatures computed
// independently of the product (OpenSSL HMAC() plus our own hex/base64), source-endpoint
// calls, event/delivery lookups and config rewriting for reloads.
#pragma once

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/api_test_util.h"
#include "tests/integration/harness.h"

namespace dispatch::test::router {

using Headers = std::map<std::string, std::string>;

// ---------------------------------------------------------------- independent crypto
inline std::string hmac256(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

inline std::string hexOf(const std::string& raw, bool upper = false) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

inline constexpr const char* kB64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

inline std::string b64Of(const std::string& raw) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < raw.size(); i += 3) {
    uint32_t n = (uint8_t(raw[i]) << 16) | (uint8_t(raw[i + 1]) << 8) | uint8_t(raw[i + 2]);
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    out += kB64[(n >> 6) & 63];
    out += kB64[n & 63];
  }
  if (i + 1 == raw.size()) {
    uint32_t n = uint8_t(raw[i]) << 16;
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == raw.size()) {
    uint32_t n = (uint8_t(raw[i]) << 16) | (uint8_t(raw[i + 1]) << 8);
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    out += kB64[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

inline std::string unb64(const std::string& text) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    const char* p = std::strchr(kB64, c);
    if (p == nullptr || c == '\0') continue;
    acc = (acc << 6) | static_cast<uint32_t>(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

// The raw key of a `whsec_<base64>` secret.
inline std::string whsecKey(const std::string& secret) {
  return unb64(secret.rfind("whsec_", 0) == 0 ? secret.substr(6) : secret);
}

// A Standard Webhooks signature entry "v1,<base64>".
inline std::string swSign(const std::string& whsec, const std::string& id, const std::string& ts,
                          const std::string& body) {
  return "v1," + b64Of(hmac256(whsecKey(whsec), id + "." + ts + "." + body));
}

// True when one of the space-separated entries of `header` verifies with `whsec`.
inline bool swVerifies(const std::string& header, const std::string& whsec, const std::string& id,
                       const std::string& ts, const std::string& body) {
  std::string expected = swSign(whsec, id, ts, body);
  std::istringstream in(header);
  std::string part;
  while (in >> part) {
    if (part == expected) return true;
  }
  return false;
}

inline std::string nowSec(int64_t offsetSec = 0) {
  return std::to_string(nowMs() / 1000 + offsetSec);
}

inline std::string flipByte(std::string body, size_t at = 2) {
  body[at % body.size()] ^= 0x01;
  return body;
}

// ---------------------------------------------------------------- API helpers
inline ApiResponse postHook(const DispatchProcess& d, const std::string& slug,
                            const std::string& body, const Headers& headers = {}) {
  return d.call("POST", "/hooks/" + slug, body, headers);
}

// The event id of a 202, or "" (the response is then in `why`).
inline std::string accepted(const ApiResponse& r, std::string* why = nullptr) {
  if (r.status != 202 || r.data() == nullptr || r.data()->find("event_id") == nullptr ||
      !r.data()->find("event_id")->isString()) {
    if (why) *why = std::to_string(r.status) + " " + r.body;
    return "";
  }
  return r.data()->find("event_id")->asString();
}

inline ApiResponse getEvent(const DispatchProcess& d, const std::string& id) {
  return d.call("GET", "/api/v1/events/" + id, "", asAdmin());
}

inline ApiResponse getDelivery(const DispatchProcess& d, const std::string& id) {
  return d.call("GET", "/api/v1/deliveries/" + id, "", asAdmin());
}

inline std::string deliveryStatus(const DispatchProcess& d, const std::string& id) {
  return str(getDelivery(d, id).data(), "status");
}

inline bool waitDelivery(const DispatchProcess& d, const std::string& id, const std::string& status,
                         int timeoutMs) {
  return eventually([&] { return deliveryStatus(d, id) == status; }, timeoutMs);
}

// The elements of the array at `key` of the response's data (pointers into `r`, which must
// outlive them: json values view the response text). Empty when missing.
inline std::vector<const json::Value*> arrayAt(const ApiResponse& r, const std::string& key) {
  std::vector<const json::Value*> out;
  const json::Value* a = r.data() ? r.data()->find(key) : nullptr;
  if (a == nullptr || !a->isArray()) return out;
  for (const auto& x : a->items()) out.push_back(&x);
  return out;
}

inline std::vector<const json::Value*> arrayAt(const json::Value* v, const std::string& key) {
  std::vector<const json::Value*> out;
  const json::Value* a = v ? v->find(key) : nullptr;
  if (a == nullptr || !a->isArray()) return out;
  for (const auto& x : a->items()) out.push_back(&x);
  return out;
}

// The id of the event's delivery to `destination` ("" if none).
inline std::string deliveryTo(const DispatchProcess& d, const std::string& eventId,
                              const std::string& destination) {
  ApiResponse ev = getEvent(d, eventId);
  for (const json::Value* x : arrayAt(ev, "deliveries")) {
    if (str(x, "destination") == destination) return str(x, "id");
  }
  return "";
}

// "destination=reason" for each entry of the event's `skipped`, in order.
inline std::vector<std::string> skipsOf(const ApiResponse& ev) {
  std::vector<std::string> out;
  for (const json::Value* x : arrayAt(ev, "skipped")) {
    out.push_back(str(x, "destination") + "=" + str(x, "reason"));
  }
  return out;
}

// ---------------------------------------------------------------- files and config
inline std::string readText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void writeText(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// Replaces the `projects:` section (the file's last section, as the harness writes it).
inline void rewriteProjects(const DispatchProcess& d, const std::string& projectsYaml) {
  std::string text = readText(d.configPath());
  size_t at = text.find("\nprojects:");
  ASSERT_NE(at, std::string::npos) << text;
  writeText(d.configPath(), text.substr(0, at + 1) + projectsYaml);
}

inline ApiResponse reloadNow(const DispatchProcess& d) {
  return d.call("POST", "/api/v1/admin/reload", "", asAdmin());
}

// A POST with chunked transfer encoding (no Content-Length). Transport errors → status -1.
inline ApiResponse postChunked(int port, const std::string& path, const std::string& body,
                               const Headers& headers = {}) {
  ApiResponse out;
  try {
    Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
    s.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest req("POST", path, Poco::Net::HTTPMessage::HTTP_1_1);
    req.setChunkedTransferEncoding(true);
    req.setContentType("application/json");
    for (const auto& [k, v] : headers) req.set(k, v);
    std::ostream& os = s.sendRequest(req);
    // Several chunks, as a streaming client would send them.
    for (size_t i = 0; i < body.size(); i += 512) os << body.substr(i, 512);
    Poco::Net::HTTPResponse resp;
    std::istream& in = s.receiveResponse(resp);
    out.status = resp.getStatus();
    Poco::StreamCopier::copyToString(in, out.body);
    auto parsed = json::parse(out.body);
    if (parsed) out.json = std::make_shared<json::Value>(std::move(parsed).value());
  } catch (const std::exception& e) {
    out.status = -1;
    out.body = e.what();
  }
  return out;
}

inline int64_t msSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t)
      .count();
}

// A delivery yaml with local receivers allowed, plus `extra` settings.
inline std::string deliveryYaml(const std::string& extra = "") {
  return std::string("{ allow_http: true, allow_private_networks: true, timeout: 2s, workers: 16") +
         (extra.empty() ? "" : ", " + extra) + " }";
}

}  // namespace dispatch::test::router
