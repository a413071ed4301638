// Credentials: project API keys (hashed lookup) and the admin token (constant time).
#include <strings.h>

#include "core/http/api.h"
#include "core/http/envelope.h"
#include "core/store/key_store.h"
#include "core/util/crypto.h"

namespace dispatch::http {
namespace {

std::optional<std::string> bearer(const Request& req) {
  auto h = req.header("Authorization");
  if (!h) return std::nullopt;
  const std::string prefix = "Bearer ";
  if (h->size() <= prefix.size() || strncasecmp(h->c_str(), prefix.c_str(), prefix.size()) != 0) {
    return std::nullopt;
  }
  std::string v = h->substr(prefix.size());
  while (!v.empty() && v.back() == ' ') v.pop_back();
  return v;
}

bool isAdminToken(const std::string& presented, const config::Config& cfg) {
  const std::string& token = cfg.admin.token;
  if (token.empty() || presented.empty()) return false;
  // Compare digests so the time taken does not depend on the token's length either.
  return crypto::constantTimeEquals(crypto::sha256(presented), crypto::sha256(token));
}

const Status kUnauthorized(Code::kUnauthorized, "Invalid or missing credentials");

}  // namespace

Result<Caller> authenticate(const Request& req, ApiContext& ctx) {
  std::optional<std::string> key = req.header("x-api-key");
  std::optional<std::string> token = bearer(req);
  if (!key && token && token->rfind("sk_", 0) == 0) key = token;
  if (key) {
    auto k = store::KeyStore(ctx.db).authenticate(*key);
    if (!k) return k.status().code() == Code::kUnauthorized ? kUnauthorized : k.status();
    return Caller{false, k->projectId, k->projectName};
  }
  if (token && isAdminToken(*token, *ctx.config())) return Caller{true, "", ""};
  return kUnauthorized;
}

Result<Caller> authenticateAdmin(const Request& req, ApiContext& ctx) {
  std::optional<std::string> token = bearer(req);
  if (token && isAdminToken(*token, *ctx.config())) return Caller{true, "", ""};
  return kUnauthorized;
}

Result<int> intQueryParam(const Request& req, const char* name, int dflt, int lo, int hi) {
  auto v = req.queryParam(name);
  if (!v) return dflt;
  std::string msg = std::string(name) + " must be an integer between " + std::to_string(lo) +
                    " and " + std::to_string(hi);
  if (v->empty() || v->size() > 9) return Status(Code::kInvalid, msg);
  for (char c : *v) {
    if (c < '0' || c > '9') return Status(Code::kInvalid, msg);
  }
  int n = std::stoi(*v);
  if (n < lo || n > hi) return Status(Code::kInvalid, msg);
  return n;
}

void writePagination(json::Writer& w, int64_t total, int page, int limit) {
  w.key("pagination").beginObject();
  w.key("total").number(total);
  w.key("page").number(static_cast<int64_t>(page));
  w.key("limit").number(static_cast<int64_t>(limit));
  w.key("totalPages").number((total + limit - 1) / limit);
  w.endObject();
}

std::optional<Response> requireJson(const Request& req) {
  if (req.body.empty()) return std::nullopt;
  auto ct = req.header("Content-Type");
  if (ct) {
    std::string v = *ct;
    for (auto& ch : v) ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
    if (v.rfind("application/json", 0) == 0) return std::nullopt;
  }
  return envelope(415, "Content-Type must be application/json");
}

}  // namespace dispatch::http
