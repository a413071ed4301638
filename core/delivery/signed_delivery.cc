// render(), then the Standard Webhooks headers over what it rendered.
#include "core/delivery/signed_delivery.h"

#include <strings.h>

#include <utility>

#include "core/verify/signer.h"

namespace dispatch::delivery {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

Headers::iterator find(Headers& headers, const char* name) {
  for (auto it = headers.begin(); it != headers.end(); ++it) {
    if (strcasecmp(it->first.c_str(), name) == 0) return it;
  }
  return headers.end();
}

}  // namespace

std::optional<std::string> renderAndSign(const plugin::Destination& dest, plugin::Delivery& d,
                                         const std::vector<std::string>& signingKeys,
                                         std::string_view messageId, int64_t timestampSec) {
  plugin::Rendered rendered = dest.render(d);
  if (!rendered.error.empty()) return std::move(rendered.error);
  d.body = std::move(rendered.body);
  if (!rendered.contentType.empty()) {
    auto it = find(d.headers, "Content-Type");
    if (it != d.headers.end()) {
      it->second = std::move(rendered.contentType);
    } else {
      d.headers.emplace_back("Content-Type", std::move(rendered.contentType));
    }
  }
  Headers trio = verify::standardWebhookHeaders(signingKeys, messageId, timestampSec, d.body);
  auto at = find(d.headers, "User-Agent");
  at = at == d.headers.end() ? at : at + 1;
  d.headers.insert(at, std::make_move_iterator(trio.begin()), std::make_move_iterator(trio.end()));
  return std::nullopt;
}

}  // namespace dispatch::delivery
