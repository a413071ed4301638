// The rows the delivery engine moves through the state machine (state.h): a claimed delivery,
// one attempt, one completion.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/state.h"
#include "core/util/time.h"

namespace dispatch::model {

enum class Kind : int { kJob = 1, kEvent = 2, kCallback = 3 };

// One attempt in the log.
struct Attempt {
  std::string id;
  int attempt = 0;
  bool success = false;
  std::optional<int64_t> responseCode;
  std::optional<std::string> responseBody;
  TimeMs firedAt = 0;
  int64_t durationMs = 0;
  std::optional<std::string> error;
};

// A delivery claimed by this node, with what a worker needs to perform one attempt.
struct Claimed {
  std::string id;
  std::string projectId;
  Kind kind = Kind::kJob;
  std::optional<std::string> jobId;
  std::optional<std::string> eventId;
  std::optional<std::string> destination;
  std::string url;
  std::string messageId;
  std::optional<std::string> body;  // stored body (events, callbacks)
  int attemptsBefore = 0;           // attempts already recorded
  int64_t leaseSeq = 0;             // fences our completion against a takeover
  TimeMs dueAt = 0;
  // Jobs: the fields the delivered body is built from at each attempt.
  std::string title;
  std::string payload;
  std::optional<std::string> callbackUrl;
  bool redactResponse = false;            // the job's own redactResponse
  std::optional<std::string> scheduleId;  // the schedule that created the job
  // Events: what the route decided, and the event's own body when the delivery has none.
  std::string eventType;
  // Extra headers, JSON object ("" if none): from the transform (events), or the job's own.
  std::string headersJson;
  std::string source;
  std::string eventBody;
  std::optional<std::string> eventContentType;
  // Set when a stored value of the delivery did not open (encryption at rest: its key is no
  // longer listed): why. No attempt is made; the delivery ends DEAD with this error.
  std::optional<std::string> unreadable;
};

// What a worker reports back after one attempt.
struct Completion {
  std::string deliveryId;
  std::string projectId;  // what the attempt's response body is sealed for (encryption at rest)
  int64_t leaseSeq = 0;
  State next = State::kFailed;  // kSuccess, kFailed (retry at nextAttemptAt) or kDead
  TimeMs nextAttemptAt = 0;
  Attempt attempt;
  std::optional<std::string> lastError;  // summary for the delivery row
  // No attempt was made (rate limit): hand the delivery back, due at nextAttemptAt.
  bool deferred = false;
  // No attempt was made (destination paused, circuit open): the delivery waits, held, with
  // its due time, until the destination is resumed or its circuit lets it through.
  bool held = false;
  // When set, a callback delivery created in the same transaction (jobs with callbackUrl).
  struct Callback {
    std::string id;
    std::string projectId;
    std::string jobId;
    std::string url;
    std::string body;
  };
  std::optional<Callback> callback;
};

}  // namespace dispatch::model
