// A routed event and what routing made of it.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/model/delivery.h"
#include "core/util/time.h"

namespace dispatch::model {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct IncomingEvent {
  std::string id;
  std::string projectId;
  std::string source;     // slug
  std::string eventType;  // "" when none
  Headers headers;        // lower-cased names
  Headers query;
  std::string body;  // exactly as received
  std::optional<std::string> contentType;
  std::optional<std::string> idempotencyKey;
  TimeMs receivedAt = 0;
};

struct PlannedDelivery {
  std::string id;
  std::string destination;
  std::string url;                   // the destination's URL as of creation
  std::optional<std::string> body;   // null: the event's body as received
  std::string eventType;             // after the transform
  Headers headersOut;                // set by the transform
  State state = State::kScheduled;   // kDead when the transform failed
  std::optional<std::string> error;  // the transform's error
  // webhook-id: the event id (null) for first routing; a replay sets the delivery's own id.
  std::optional<std::string> messageId;
  // Set when the delivery is handed to this node's engine at creation (delivery/handoff.h):
  // stored FIRING with this lease instead of SCHEDULED.
  std::optional<TimeMs> leaseUntil;
};

struct Skip {
  std::string destination;
  std::string reason;  // "event type filter" | "filter did not match" | "transform returned nil"
};

struct RoutePlan {
  std::vector<PlannedDelivery> deliveries;
  std::vector<Skip> skips;
};

}  // namespace dispatch::model
