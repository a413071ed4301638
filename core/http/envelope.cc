// Envelope rendering and the code → status table.
#include "core/http/envelope.h"

#include <algorithm>
#include <string>

#include "core/util/json.h"

namespace dispatch::http {

int httpStatusFor(Code code) {
  switch (code) {
    case Code::kOk:
      return 200;
    case Code::kInvalid:
      return 400;
    case Code::kConflict:
      return 400;
    case Code::kBlocked:
      return 400;
    case Code::kUnauthorized:
      return 401;
    case Code::kNotFound:
      return 404;
    case Code::kTooLarge:
      return 413;
    case Code::kRateLimited:
      return 429;
    case Code::kUnavailable:
      return 503;
    case Code::kInternal:
      return 500;
  }
  return 500;
}

Response envelope(int status, std::string_view message, std::string_view dataJson) {
  Response r;
  r.status = status;
  r.body.reserve(40 + message.size() + dataJson.size());
  r.body += "{\"status\":";
  r.body += (status >= 200 && status < 300) ? "true" : "false";
  r.body += ",\"message\":";
  json::appendQuoted(r.body, message);
  r.body += ",\"data\":";
  r.body += dataJson.empty() ? std::string_view("null") : dataJson;
  r.body += '}';
  return r;
}

Response errorResponse(const Status& st) {
  int code = httpStatusFor(st.code());
  if (st.code() == Code::kInternal) return envelope(code, "Internal server error");
  if (st.code() == Code::kUnavailable)
    return envelope(code, "Service unavailable: the store is unreachable");
  Response r = envelope(code, st.message());
  if (st.code() == Code::kRateLimited) {
    r.headers.emplace_back("Retry-After",
                           std::to_string(std::max<int64_t>(1, st.retryAfterSeconds())));
  }
  return r;
}

}  // namespace dispatch::http
