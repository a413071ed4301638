// libFuzzer target for the HTTP/1.1 request parser: no input may crash it, break its invariants,
// or be framed differently when the same bytes arrive in other pieces (whole, split in two at a
// point the first byte picks, and byte by byte for short inputs). Each request it frames then
// goes through the conditional GET (core/http/conditional.h) with its own If-None-Match
// headers, whose answer must agree with a plain reference reading of the tag list.
#include <strings.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/http/conditional.h"
#include "core/http/request_parser.h"

namespace {

using dispatch::http::ParsedRequest;
using dispatch::http::ParseLimits;
using dispatch::http::RequestParser;
using Result = RequestParser::Result;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "request_parser_fuzz: %s\n", what);
    std::abort();
  }
}

// Small limits so the 413/414/431 paths are reached by short inputs.
ParseLimits smallLimits() {
  ParseLimits limits;
  limits.maxHeaderBytes = 512;
  limits.maxTargetBytes = 64;
  limits.maxHeaderCount = 8;
  limits.maxBodyBytes = 256;
  return limits;
}

// The reference: split at commas, trim blanks, drop a W/ prefix, compare; `*` matches anything.
bool referenceHolds(std::string_view list, std::string_view tag) {
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view item = list.substr(start, comma - start);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item == "*") return true;
    if (item.size() >= 2 && item.substr(0, 2) == "W/") item.remove_prefix(2);
    if (!item.empty() && item == tag) return true;
    start = comma + 1;
  }
  return false;
}

// A 200 answer to this request through applyConditional: a 304 exactly when one of its
// If-None-Match values holds the body's tag, with no body and the tag kept.
void checkConditional(const ParsedRequest& parsed) {
  dispatch::http::Request req;
  req.method = "GET";
  bool holds = false;
  dispatch::http::Response resp;
  resp.body = parsed.body.empty() ? std::string("{}") : parsed.body;
  const std::string tag = dispatch::http::etagFor(resp.body);
  bool first = true;
  for (const auto& [name, value] : parsed.headers) {
    req.headers.emplace_back(name, value);
    if (first && name.size() == 13 && strncasecmp(name.c_str(), "if-none-match", 13) == 0) {
      holds = referenceHolds(value, tag);  // Request::header reads the first one
      first = false;
    }
    check(dispatch::http::noneMatchHolds(value + ", " + tag, tag), "own tag appended not held");
    check(dispatch::http::noneMatchHolds(value, tag) == referenceHolds(value, tag),
          "noneMatchHolds differs from the reference");
  }
  if (!first) {
    dispatch::http::applyConditional(req, resp);
    check(resp.status == (holds ? 304 : 200), "304 iff the tag is held");
    check(resp.body.empty() == holds, "a 304 has no body, a 200 its own");
    check(!resp.headers.empty() && resp.headers.back().second == tag, "ETag missing");
  }
}

std::string describe(const ParsedRequest& r) {
  std::string s = r.method + ' ' + r.target + ' ' + std::to_string(r.versionMinor) +
                  (r.keepAlive ? " keep-alive\n" : " close\n");
  for (const auto& [name, value] : r.headers) {
    s += std::to_string(name.size()) + ':' + name + std::to_string(value.size()) + ':' + value;
  }
  return s + '\n' + std::to_string(r.body.size()) + ':' + r.body;
}

// Feeds `bytes` in pieces as the event loop does and records what it saw: each kHeadersDone,
// each request taken, the error.
std::vector<std::string> feed(std::string_view bytes, const std::vector<size_t>& cuts,
                              const ParseLimits& limits) {
  RequestParser parser(limits);
  std::vector<std::string> events;
  std::string buffer;
  size_t offset = 0;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    size_t end = i < cuts.size() ? cuts[i] : bytes.size();
    buffer.append(bytes.substr(offset, end - offset));
    offset = end;
    while (true) {
      size_t consumed = SIZE_MAX;
      Result r = parser.parse(buffer, &consumed);
      check(consumed <= buffer.size(), "consumed more than given");
      buffer.erase(0, consumed);
      if (r == Result::kNeedMore) {
        check(buffer.empty(), "kNeedMore left bytes unconsumed");
        break;
      }
      if (r == Result::kHeadersDone) {
        check(parser.headersDone() && parser.inRequest(), "kHeadersDone without headersDone()");
        events.push_back(parser.expectsContinue() ? "headers, continue" : "headers");
        continue;
      }
      if (r == Result::kComplete) {
        ParsedRequest req = parser.take();
        check(static_cast<int64_t>(req.body.size()) <= limits.maxBodyBytes, "body over limit");
        check(!req.method.empty() && !req.target.empty() && req.target[0] == '/', "bad request");
        check(req.versionMinor == 0 || req.versionMinor == 1, "bad version");
        check(!parser.inRequest() && !parser.headersDone(), "take() did not reset");
        checkConditional(req);
        events.push_back(describe(req));
        continue;
      }
      int status = parser.errorStatus();
      check(status == 400 || status == 413 || status == 414 || status == 431 || status == 501 ||
                status == 505,
            "unexpected error status");
      check(!parser.errorMessage().empty(), "empty error message");
      check(parser.parse(buffer, &consumed) == Result::kError, "parse after kError");
      events.push_back(std::to_string(status) + ' ' + parser.errorMessage());
      return events;
    }
  }
  return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  bool small = true;
  for (const ParseLimits& limits : {smallLimits(), ParseLimits{}}) {
    std::vector<std::string> whole = feed(bytes, {}, limits);
    // Two cuts the first bytes pick: one anywhere, one after it.
    size_t first = size == 0 ? 0 : static_cast<size_t>(data[0]) * size / 255;
    size_t second = size < 2 ? first : first + static_cast<size_t>(data[1]) * (size - first) / 255;
    check(feed(bytes, {first}, limits) == whole, "split outcome differs from whole");
    check(feed(bytes, {first, second}, limits) == whole, "3-piece outcome differs from whole");
    // Byte by byte costs a call per byte: short inputs, small limits only.
    if (small && size <= 256) {
      std::vector<size_t> everyByte;
      for (size_t i = 1; i < size; ++i) everyByte.push_back(i);
      check(feed(bytes, everyByte, limits) == whole, "byte-by-byte outcome differs from whole");
    }
    small = false;
  }
  return 0;
}
