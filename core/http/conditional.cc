// Conditional GETs (conditional.h).
#include "core/http/conditional.h"

#include <algorithm>

#include "core/util/crypto.h"

namespace dispatch::http {

std::string etagFor(std::string_view body) {
  // 128 bits of SHA-256: an attacker-chosen body cannot pose as another list's tag.
  return "\"" + crypto::hexEncode(crypto::sha256(body).substr(0, 16)) + "\"";
}

bool noneMatchHolds(std::string_view ifNoneMatch, std::string_view etag) {
  size_t i = 0;
  while (i < ifNoneMatch.size()) {
    while (i < ifNoneMatch.size() &&
           (ifNoneMatch[i] == ' ' || ifNoneMatch[i] == ',' || ifNoneMatch[i] == '\t')) {
      ++i;
    }
    if (i >= ifNoneMatch.size()) break;
    size_t j = ifNoneMatch.find(',', i);
    if (j == std::string_view::npos) j = ifNoneMatch.size();
    std::string_view tag = ifNoneMatch.substr(i, j - i);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag == "*") return true;
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == etag) return true;
    i = j;
  }
  return false;
}

void applyConditional(const Request& req, Response& resp) {
  applyConditional(req.method, req.header("If-None-Match"), resp);
}

void applyConditional(std::string_view method, const std::optional<std::string>& ifNoneMatch,
                      Response& resp) {
  if ((method != "GET" && method != "HEAD") || resp.status != 200) return;
  std::string etag = etagFor(resp.body);
  const bool hasCacheControl =
      std::any_of(resp.headers.begin(), resp.headers.end(),
                  [](const auto& h) { return h.first == "Cache-Control"; });
  if (!hasCacheControl) resp.headers.emplace_back("Cache-Control", "no-store");
  if (ifNoneMatch && noneMatchHolds(*ifNoneMatch, etag)) {
    resp.status = 304;
    resp.body.clear();
    resp.contentType.clear();
  }
  resp.headers.emplace_back("ETag", std::move(etag));
}

}  // namespace dispatch::http
