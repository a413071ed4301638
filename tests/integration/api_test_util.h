// Small helpers shared by the API integration tests: credentials, request bodies and
// envelope assertions that never dereference a missing field.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

namespace dispatch::test {

inline std::map<std::string, std::string> withKey(const std::string& key) {
  return {{"x-api-key", key}};
}

inline std::map<std::string, std::string> asAdmin() {
  return {{"Authorization", std::string("Bearer ") + kAdminToken}};
}

// A POST /api/v1/jobs body; `extra` is appended inside the object (starts with a comma).
inline std::string jobRequest(const std::string& url, const std::string& fireAt,
                              const std::string& extra = "") {
  return R"({"title":"a job","webhookUrl":")" + url + R"(","fireAt":")" + fireAt + "\"" + extra +
         "}";
}

// The string at `key` of an object, or "<missing>"/"<not a string>" so a failed lookup
// fails the comparison instead of crashing the test binary.
inline std::string str(const json::Value* v, const std::string& key) {
  if (v == nullptr) return "<missing object>";
  const json::Value* f = v->find(key);
  if (f == nullptr) return "<missing>";
  if (!f->isString()) return "<not a string: " + std::string(f->raw()) + ">";
  return f->asString();
}

inline int64_t num(const json::Value* v, const std::string& key) {
  if (v == nullptr) return -999999;
  const json::Value* f = v->find(key);
  if (f == nullptr || !f->isInteger()) return -999999;
  return f->asInt();
}

inline bool isNullField(const json::Value* v, const std::string& key) {
  const json::Value* f = v ? v->find(key) : nullptr;
  return f != nullptr && f->isNull();
}

inline std::set<std::string> keysOf(const json::Value* v) {
  std::set<std::string> out;
  if (v == nullptr) return out;
  for (const auto& [k, _] : v->members()) out.insert(k);
  return out;
}

inline bool isIsoMs(const std::string& s) {
  static const std::regex re(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
  return std::regex_match(s, re);
}

inline bool isUuidText(const std::string& s) {
  static const std::regex re(R"(^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$)");
  return std::regex_match(s, re);
}

// The envelope of an error: status code, `status:false`, exact message, `data:null`.
inline ::testing::AssertionResult isError(const ApiResponse& r, int status,
                                          const std::string& message) {
  if (r.status != status || !r.json || r.json->find("status") == nullptr ||
      r.json->find("status")->asBool() || r.message() != message ||
      !isNullField(r.json.get(), "data")) {
    return ::testing::AssertionFailure()
           << "expected " << status << " \"" << message << "\", got " << r.status << " " << r.body;
  }
  return ::testing::AssertionSuccess();
}

// An error envelope whose message names `field` first (e.g. "fireAt must be ...").
inline ::testing::AssertionResult isErrorNaming(const ApiResponse& r, int status,
                                                const std::string& field) {
  std::string m = r.message();
  bool names = m.rfind(field + " ", 0) == 0 && m.size() > field.size() + 4;
  if (r.status != status || !r.json || r.json->find("status") == nullptr ||
      r.json->find("status")->asBool() || !names || !isNullField(r.json.get(), "data")) {
    return ::testing::AssertionFailure() << "expected " << status << " naming '" << field
                                         << "', got " << r.status << " " << r.body;
  }
  return ::testing::AssertionSuccess();
}

// A success envelope with this status and message.
inline ::testing::AssertionResult isOk(const ApiResponse& r, int status,
                                       const std::string& message) {
  if (r.status != status || !r.json || r.json->find("status") == nullptr ||
      !r.json->find("status")->asBool() || r.message() != message) {
    return ::testing::AssertionFailure()
           << "expected " << status << " \"" << message << "\", got " << r.status << " " << r.body;
  }
  return ::testing::AssertionSuccess();
}

inline std::string jobStatus(const DispatchProcess& d, const std::string& key,
                             const std::string& id) {
  auto g = d.call("GET", "/api/v1/jobs/" + id, "", withKey(key));
  return str(g.data(), "status");
}

inline bool waitForStatus(const DispatchProcess& d, const std::string& key, const std::string& id,
                          const std::string& status, int timeoutMs) {
  return eventually([&] { return jobStatus(d, key, id) == status; }, timeoutMs);
}

// d.call, but a transport error (e.g. the server closing on an oversized body while we still
// send) becomes status -1 with the error text as body instead of an exception.
inline ApiResponse callOrError(const DispatchProcess& d, const std::string& method,
                               const std::string& path, const std::string& body,
                               const std::map<std::string, std::string>& headers) {
  try {
    return d.call(method, path, body, headers);
  } catch (const std::exception& e) {
    ApiResponse r;
    r.status = -1;
    r.body = e.what();
    return r;
  }
}

inline std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find('\n', i);
    if (j == std::string::npos) j = text.size();
    out.push_back(text.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace dispatch::test
