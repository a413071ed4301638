// The events and deliveries API's rules on top of the store: who may see and change which
// event or delivery (a key its own project, the admin every project), replay, retry and
// redrive, each waking the scheduler when it armed something.
//
// A `scope` names what the caller may see: nullopt for the admin (every project), else the
// project of the caller's API key — the same convention as the stores' projectId filters.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/route/routing.h"
#include "core/store/event_store.h"
#include "core/store/project_store.h"
#include "core/transform/trial.h"

namespace dispatch::ingest {

// A transform to try (POST /api/v1/transforms/run): its Lua source and the event, either
// stored (`eventId`, within the caller's scope) or given (`event`: body, type, headers,
// source).
struct TransformTrial {
  std::string lua;
  std::optional<std::string> eventId;
  model::IncomingEvent event;
};

// The largest `lua` source a trial takes. Default: 256 KiB.
inline constexpr size_t kMaxTrialLuaBytes = 256 << 10;

// Reads a POST /api/v1/transforms/run body: {"lua", "event": {"body", "type", "headers",
// "source"}} or {"lua", "eventId"}. `event.body` that is a JSON string is the body's text;
// any other JSON value is the body as that JSON. kInvalid naming the field otherwise.
Result<TransformTrial> readTransformTrial(std::string_view body);

template <class T>
struct Listed {
  std::vector<T> items;
  int64_t total = 0;  // across every page
};

class EventService {
 public:
  using RoutingSource = std::function<std::shared_ptr<const route::Routing>()>;
  // `routing` is the current snapshot (replay routes through it); `wake`, when set, is told
  // when deliveries were armed for the local scheduler to claim.
  EventService(store::Db& db, RoutingSource routing, std::function<void(TimeMs)> wake = {})
      : events_(db, nullptr), projects_(db), routing_(std::move(routing)), wake_(std::move(wake)) {}

  // Newest first, optionally by source and event type.
  Result<Listed<store::EventView>> listEvents(const std::optional<std::string>& scope,
                                              const std::optional<std::string>& source,
                                              const std::optional<std::string>& type,
                                              store::Page page);
  // The event with its deliveries (and their logs) and skips; kNotFound outside `scope`.
  Result<store::EventView> getEvent(const std::optional<std::string>& scope, const std::string& id);
  // Routes the stored event again through the current links; the new deliveries' ids.
  // kNotFound outside `scope`; kInvalid when its source is no longer configured.
  Result<std::vector<std::string>> replay(const std::optional<std::string>& scope,
                                          const std::string& eventId);

  Result<Listed<store::DeliveryView>> listDeliveries(const std::optional<std::string>& scope,
                                                     const std::optional<model::State>& status,
                                                     const std::optional<std::string>& destination,
                                                     store::Page page);
  // The delivery with its logs; kNotFound outside `scope`.
  Result<store::DeliveryView> getDelivery(const std::optional<std::string>& scope,
                                          const std::string& id);
  // DEAD/FAILED → SCHEDULED due now; kConflict for any other state.
  Result<store::DeliveryView> retry(const std::optional<std::string>& scope, const std::string& id);
  // Runs the transform once on the event, in the server's sandbox under the current config's
  // limits; nothing is stored or sent. kNotFound for a stored event outside `scope`;
  // kRateLimited while `maxConcurrentTrials` trials already run on this node (a trial holds
  // an HTTP worker for up to its CPU budget).
  Result<transform::TrialResult> tryTransform(const std::optional<std::string>& scope,
                                              const TransformTrial& trial);
  static constexpr int kMaxConcurrentTrials = 4;

  // Every DEAD delivery of `destination` → SCHEDULED due now; the count. A key redrives in
  // its own project; the admin names one (`project`, a name or id): kInvalid without it,
  // kNotFound for an unknown one, and for a destination the project's config does not name.
  Result<int64_t> redrive(const std::optional<std::string>& scope,
                          const std::optional<std::string>& project,
                          const std::string& destination);

 private:
  void wake() const {
    if (wake_) wake_(0);
  }

  // Without a group committer: these writes are rare and commit on their own.
  store::EventStore events_;
  store::ProjectStore projects_;
  RoutingSource routing_;
  std::function<void(TimeMs)> wake_;
  std::atomic<int> trialsRunning_{0};
};

}  // namespace dispatch::ingest
