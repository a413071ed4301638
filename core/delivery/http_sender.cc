// net::HttpResponse → plugin::DeliveryResult.
#include "core/delivery/http_sender.h"

namespace dispatch::delivery {

plugin::DeliveryResult toDeliveryResult(const net::HttpResponse& r) {
  plugin::DeliveryResult out;
  using E = net::HttpResponse::Error;
  using K = plugin::DeliveryResult::Kind;
  switch (r.error) {
    case E::kNone:
      out.kind = K::kHttp;
      break;
    case E::kTimeout:
      out.kind = K::kTimeout;
      break;
    case E::kNetwork:
      out.kind = K::kNetwork;
      break;
    // A URL the policy refuses, or one that cannot be parsed, will not get better by
    // waiting: no retries.
    case E::kBlocked:
    case E::kInvalidUrl:
      out.kind = K::kPermanent;
      break;
  }
  out.status = r.status;
  out.body = r.body;
  out.error = r.errorText;
  out.retryAfter = r.retryAfter;
  out.durationMs = r.durationMs;
  return out;
}

plugin::DeliveryResult PolicyHttpSender::post(
    const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
    const std::string& body, int64_t timeoutMs, int64_t maxResponseBytes) {
  net::HttpRequest req;
  req.url = url;
  req.headers = headers;
  req.body = body;
  req.timeoutMs = timeoutMs;
  req.maxResponseBytes = maxResponseBytes;
  return toDeliveryResult(client_.send(req));
}

}  // namespace dispatch::delivery
