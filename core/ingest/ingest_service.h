// Source endpoints (POST /hooks/{slug}): verify → event type → route → durable store.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/delivery/handoff.h"
#include "core/route/routing.h"
#include "core/store/event_store.h"
#include "core/store/key_store.h"
#include "core/util/lazy_json.h"
#include "core/util/status.h"

namespace dispatch::ingest {

struct HookRequest {
  std::string slug;
  std::function<std::optional<std::string>(std::string_view)> header;  // case-insensitive
  model::Headers headers;  // all of them, names as received
  model::Headers query;
  std::string body;
};

struct HookResult {
  std::string eventId;
  bool duplicate = false;
  bool wakeScheduler = false;  // deliveries were stored for the scheduler to claim
};

// Extracts the event type: a header's value, or a JSON dot-path's scalar text ("" when the
// body is not JSON or the path is missing). `body` is req.body, parsed only for a path.
std::string extractEventType(const config::EventTypeConfig& cfg, const HookRequest& req,
                             json::LazyValue& body);
std::string extractEventType(const config::EventTypeConfig& cfg, const HookRequest& req);

// Lower-cased names, repeated headers joined with ", ", credential headers (Authorization,
// Proxy-Authorization, Cookie, X-Api-Key) removed.
model::Headers normalizeHeaders(const model::Headers& in);

// The stored idempotency value: as sent up to 200 bytes, else "sha256:<hex>" of it.
std::string idempotencyValue(const std::string& raw);

class IngestService {
 public:
  // With `handoff`, accepted deliveries go straight to this node's engine when it has room.
  IngestService(store::EventStore& events, store::KeyStore& keys, const Clock& clock,
                delivery::Handoff* handoff = nullptr)
      : events_(events), keys_(keys), clock_(clock), handoff_(handoff) {}

  // kNotFound (unknown slug), kUnauthorized ("Invalid signature"), kUnavailable (store).
  Result<HookResult> accept(const route::Routing& routing, const HookRequest& req);
  // As accept, without holding this thread while the event waits for its group commit:
  // verification, typing and routing run here; `done` runs once with the outcome, here (an
  // early refusal, a duplicate) or on a group-commit writer thread after the commit. Neither
  // `routing` nor `req` is used once this returns.
  void acceptAsync(const route::Routing& routing, const HookRequest& req,
                   std::function<void(Result<HookResult>)> done);

 private:
  bool verified(const route::SourceEntry& src, const HookRequest& req);

  store::EventStore& events_;
  store::KeyStore& keys_;
  const Clock& clock_;
  delivery::Handoff* handoff_;
};

}  // namespace dispatch::ingest
