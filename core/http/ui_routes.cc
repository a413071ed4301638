// The built-in dashboard (contracts/dashboard.md): its files from the binary at /ui/, and `/`
// redirecting there. The pages speak only the public API, so nothing here reads a store.
#include <algorithm>

#include "core/http/api.h"
#include "core/http/envelope.h"
#include "core/http/ui_assets.h"

namespace dispatch::http {
namespace {

// No inline script or style, no other origin: an event body that smuggles markup into the page
// still cannot run or load anything. frame-ancestors and X-Frame-Options refuse framing.
constexpr const char* kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

void addSecurityHeaders(Response& r) {
  r.headers.emplace_back("Content-Security-Policy", kCsp);
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
}

const char* contentTypeFor(std::string_view path) {
  auto ends = [&](std::string_view ext) {
    return path.size() >= ext.size() && path.substr(path.size() - ext.size()) == ext;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".ico")) return "image/x-icon";
  if (ends(".json")) return "application/json";
  return "application/octet-stream";
}

Response redirectToUi() {
  Response r;
  r.status = 302;
  r.contentType.clear();
  r.headers.emplace_back("Location", "/ui/");
  addSecurityHeaders(r);
  return r;
}

const UiAsset* findAsset(std::string_view path) {
  const auto& assets = uiAssets();
  auto it = std::lower_bound(assets.begin(), assets.end(), path,
                             [](const UiAsset& a, std::string_view p) { return a.path < p; });
  if (it == assets.end() || it->path != path) return nullptr;
  return &*it;
}

Response serveAsset(const Request& req) {
  // "/ui" and "/ui/" split alike: only the latter makes the pages' relative URLs resolve.
  if (req.path == "/ui") return redirectToUi();
  const std::string& rel = req.params.empty() ? std::string() : req.params[0];
  const UiAsset* asset = findAsset(rel.empty() ? "index.html" : rel);
  Response r = asset ? Response{} : envelope(404, "Not found");
  if (asset) {
    r.contentType = contentTypeFor(asset->path);
    r.body = std::string(asset->body);
    // Revalidated on every load (the ETag makes that a 304): a new binary's pages show at once.
    r.headers.emplace_back("Cache-Control", "no-cache");
  }
  addSecurityHeaders(r);
  return r;
}

}  // namespace

void addUiRoutes(Router& router) {
  router.add("GET", "/", [](Request&) { return redirectToUi(); });
  router.add("GET", "/ui/*", [](Request& r) { return serveAsset(r); });
}

}  // namespace dispatch::http
