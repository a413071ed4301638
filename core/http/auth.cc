// Credentials: project API keys (hashed lookup) and the admin token (constant time), behind
// the per-address throttle of failed attempts (auth_throttle.h).
#include <strings.h>

#include "core/http/api.h"
#include "core/http/auth_throttle.h"
#include "core/http/envelope.h"
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

bool isAdminToken(const std::string& digest, const config::Config& cfg) {
  const std::string& token = cfg.admin.token;
  if (token.empty()) return false;
  // Compare digests so the time taken does not depend on the token's length either.
  return crypto::constantTimeEquals(digest, crypto::sha256(token));
}

const Status kUnauthorized(Code::kUnauthorized, "Invalid or missing credentials");

// One request's view of the failed-attempt throttle (auth_throttle.h). Without a throttle
// (in-process tests) or a peer address it lets everything through and counts nothing.
class Gate {
 public:
  Gate(const Request& req, ApiContext& ctx, const config::Config& cfg)
      : throttle_(ctx.authThrottle) {
    if (throttle_ == nullptr) return;
    const config::AuthFailuresConfig& f = cfg.server.authFailures;
    options_.limit = f.limit;
    options_.windowMs = f.windowMs;
    options_.maxAddresses = static_cast<size_t>(f.maxAddresses);
    key_ = throttleKey(req.peer);
    retryAfter_ = throttle_->retryAfterSeconds(key_, options_);
  }

  bool closed() const { return retryAfter_ > 0; }
  // Answered instead of checking anything while the address is throttled.
  Status refusal() const {
    return Status(Code::kRateLimited, "Too many failed authentication attempts")
        .setRetryAfterSeconds(retryAfter_);
  }
  bool knows(const std::string& digest) const {
    return throttle_ != nullptr && throttle_->knowsKey(digest);
  }
  void succeeded(const std::string& digest) const {
    if (throttle_ != nullptr) throttle_->rememberKey(digest);
  }
  Status failed(const std::string& digest) const {
    if (throttle_ != nullptr) {
      throttle_->forgetKey(digest);
      throttle_->recordFailure(key_, options_);
    }
    return kUnauthorized;
  }

 private:
  AuthThrottle* throttle_;
  AuthThrottle::Options options_;
  std::string key_;
  int64_t retryAfter_ = 0;
};

// A project API key. From a throttled address only a key that authenticated before is
// looked up (API keys are 256 random bits: letting a known one through reveals nothing a
// guesser could use), everything else is refused without touching the store.
Result<Caller> checkApiKey(const std::string& key, ApiContext& ctx, const Gate& gate) {
  const std::string digest = crypto::sha256(key);
  if (gate.closed() && !gate.knows(digest)) return gate.refusal();
  auto k = ctx.keys.authenticate(key);
  if (!k) return k.status().code() == Code::kUnauthorized ? gate.failed(digest) : k.status();
  gate.succeeded(digest);
  return Caller{false, k->projectId, k->projectName};
}

// The admin token. From a throttled address it is refused unchecked, even when right:
// answering a right guess differently from a wrong one would let the guessing go on.
Result<Caller> checkAdminToken(const std::string& token, const config::Config& cfg,
                               const Gate& gate) {
  if (gate.closed()) return gate.refusal();
  const std::string digest = crypto::sha256(token);
  if (!isAdminToken(digest, cfg)) return gate.failed(digest);
  return Caller{true, "", ""};
}

}  // namespace

Result<Caller> authenticate(const Request& req, ApiContext& ctx) {
  std::optional<std::string> key = req.header("x-api-key");
  std::optional<std::string> token = bearer(req);
  if (!key && token && token->rfind("sk_", 0) == 0) key = token;
  if (!key && (!token || token->empty())) return kUnauthorized;  // nothing presented
  auto cfg = ctx.config();
  Gate gate(req, ctx, *cfg);
  if (key) return checkApiKey(*key, ctx, gate);
  return checkAdminToken(*token, *cfg, gate);
}

Result<Caller> authenticateAdmin(const Request& req, ApiContext& ctx) {
  std::optional<std::string> token = bearer(req);
  // An API key is not a guess at the admin token (which may not start with sk_): plain 401.
  if (!token || token->empty() || token->rfind("sk_", 0) == 0) return kUnauthorized;
  auto cfg = ctx.config();
  return checkAdminToken(*token, *cfg, Gate(req, ctx, *cfg));
}

Result<std::optional<model::State>> stateQueryParam(const Request& req) {
  auto s = req.queryParam("status");
  if (!s) return std::optional<model::State>();
  auto st = model::parseState(*s);
  if (!st) {
    std::string names;
    for (model::State one : model::kAllStates)
      names += (names.empty() ? "" : ", ") + std::string(model::toString(one));
    return Status(Code::kInvalid, "status must be one of " + names);
  }
  return std::optional<model::State>(*st);
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
