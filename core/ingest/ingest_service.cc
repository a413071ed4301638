// Ingest: the request's path from arrival to a durable event.
#include "core/ingest/ingest_service.h"

#include <future>
#include <memory>

#include "core/util/crypto.h"
#include "core/util/json.h"
#include "core/util/text.h"
#include "core/util/uuid.h"
#include "core/verify/presets.h"
#include "core/verify/verifier.h"

namespace dispatch::ingest {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return s;
}

const Status kInvalidSignature(Code::kUnauthorized, "Invalid signature");

// Credentials the sender put on the request are never stored, shown or handed to transforms.
bool isCredentialHeader(const std::string& lowerName) {
  return lowerName == "authorization" || lowerName == "proxy-authorization" ||
         lowerName == "cookie" || lowerName == "x-api-key";
}

}  // namespace

model::Headers normalizeHeaders(const model::Headers& in) {
  model::Headers out;
  out.reserve(in.size());
  for (const auto& [k, v] : in) {
    std::string name = lower(k);
    if (isCredentialHeader(name)) continue;
    bool merged = false;
    for (auto& [on, ov] : out) {
      if (on == name) {
        ov += ", " + v;  // a repeated header is one value, as HTTP defines it
        merged = true;
        break;
      }
    }
    if (!merged) out.emplace_back(std::move(name), v);
  }
  return out;
}

std::string idempotencyValue(const std::string& raw) {
  // Long values are kept whole in meaning but bounded in size: their digest stands in.
  if (raw.size() > 200) return "sha256:" + crypto::hexEncode(crypto::sha256(raw));
  // Escaped, not refused: the sender cannot fix its header, and a 400 would lose the event.
  // The escape is lossless, so two different raw keys never collapse into one.
  return text::storable(raw);
}

std::string extractEventType(const config::EventTypeConfig& cfg, const HookRequest& req,
                             json::LazyValue& body) {
  std::string type;
  if (!cfg.header.empty()) {
    type = req.header(cfg.header).value_or("");
  } else if (!cfg.path.empty()) {
    const json::Value* doc = body.get();
    const json::Value* v = doc != nullptr ? doc->at(cfg.path) : nullptr;
    if (v != nullptr) type = v->scalarText();
  }
  // The sender's bytes (a NUL from "\u0000", obs-text in a header), made storable losslessly:
  // routing, transforms and the store all see the same type.
  return text::storable(type);
}

std::string extractEventType(const config::EventTypeConfig& cfg, const HookRequest& req) {
  json::LazyValue body(req.body);
  return extractEventType(cfg, req, body);
}

bool IngestService::verified(const route::SourceEntry& src, const HookRequest& req) {
  const verify::Preset* preset = verify::findPreset(src.source->verify.preset);
  if (preset == nullptr) return false;
  switch (preset->auth) {
    case verify::Auth::kUnsigned:
      return src.source->allowUnsigned;
    case verify::Auth::kApiKey: {
      auto auth = req.header("Authorization");
      const std::string prefix = "Bearer ";
      if (!auth || auth->compare(0, prefix.size(), prefix) != 0) return false;
      auto key = keys_.authenticate(auth->substr(prefix.size()));
      return key && key->projectId == src.projectId;
    }
    case verify::Auth::kSignature:
      break;
  }
  if (!src.verifier) return false;
  verify::Request vr{req.header, req.body, clock_.nowMs()};
  return src.verifier->verify(vr);
}

Result<HookResult> IngestService::accept(const route::Routing& routing, const HookRequest& req) {
  std::promise<Result<HookResult>> promise;
  auto f = promise.get_future();
  acceptAsync(routing, req, [&promise](Result<HookResult> r) { promise.set_value(std::move(r)); });
  return f.get();
}

void IngestService::acceptAsync(const route::Routing& routing, const HookRequest& req,
                                std::function<void(Result<HookResult>)> done) {
  const route::SourceEntry* src = routing.source(req.slug);
  if (src == nullptr) return done(Status(Code::kNotFound, "Unknown source"));
  if (!verified(*src, req)) return done(kInvalidSignature);

  // What the commit's completion needs, alive until it has run.
  struct Pending {
    model::IncomingEvent e;
    model::RoutePlan plan;
    int scheduled = 0;
    int granted = 0;
  };
  auto p = std::make_shared<Pending>();
  model::IncomingEvent& e = p->e;
  e.id = newUuidV7();
  e.projectId = src->projectId;
  e.source = req.slug;
  // The body is parsed at most once, and only if the type's path or a body filter reads it.
  json::LazyValue body(req.body);
  e.eventType = extractEventType(src->source->eventType, req, body);
  e.headers = normalizeHeaders(req.headers);
  e.query = req.query;
  e.body = req.body;
  if (auto ct = req.header("Content-Type")) e.contentType = text::storable(*ct);
  if (!src->source->idempotencyHeader.empty()) {
    auto v = verify::idempotencyHeaderValue(src->source->verify.preset,
                                            src->source->idempotencyHeader, req.header);
    if (v && !v->empty()) e.idempotencyKey = idempotencyValue(*v);
  }
  e.receivedAt = clock_.nowMs();
  // A retry of an event we have: answer at once, without running its transforms again.
  if (e.idempotencyKey) {
    auto first = events_.findByIdempotencyKey(e.source, *e.idempotencyKey);
    if (!first) return done(first.status());
    if (*first) return done(HookResult{**first, true});
  }

  p->plan = routing.plan(e, body);
  for (const auto& d : p->plan.deliveries) p->scheduled += d.state == model::State::kScheduled;
  p->granted = handoff_ != nullptr ? handoff_->reserve(p->scheduled) : 0;
  int leased = 0;
  for (auto& d : p->plan.deliveries) {
    if (leased == p->granted) break;
    if (d.state != model::State::kScheduled) continue;
    d.leaseUntil = e.receivedAt + handoff_->leaseMs();
    ++leased;
  }
  events_.ingestAsync(
      p->e, p->plan,
      [p, handoff = handoff_, done = std::move(done)](Result<store::IngestOutcome> out) {
        if (handoff != nullptr) {
          bool stored = out.isOk() && !out->duplicate;
          handoff->handOver(stored ? store::EventStore::leasedClaims(p->e, p->plan)
                                   : std::vector<model::Claimed>{},
                            p->granted);
        }
        if (!out) return done(out.status());
        done(
            HookResult{out->eventId, out->duplicate, !out->duplicate && p->scheduled > p->granted});
      });
}

}  // namespace dispatch::ingest
