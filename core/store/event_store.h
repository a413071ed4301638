// Routed events: durable ingest (event + its fan-out in one group-committed transaction),
// reads for the events/deliveries API, replay, retry and redrive.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/model/delivery.h"
#include "core/model/event.h"
#include "core/store/db.h"
#include "core/store/group_commit.h"

namespace dispatch::store {

struct IngestOutcome {
  std::string eventId;
  bool duplicate = false;  // the idempotency value was seen before: eventId is the first one
};

struct DeliveryView {
  std::string id;
  std::string projectId;
  std::optional<std::string> eventId;
  std::string destination;
  model::State status = model::State::kScheduled;
  int attempts = 0;
  std::optional<TimeMs> nextAttemptAt;
  std::optional<std::string> error;
  TimeMs createdAt = 0;
  TimeMs updatedAt = 0;
  std::vector<model::Attempt> logs;  // by id only
};

struct EventView {
  std::string id;
  std::string projectId;
  std::string source;
  std::string eventType;
  std::string headersJson;  // JSON object
  std::string body;         // raw bytes
  TimeMs receivedAt = 0;
  std::vector<DeliveryView> deliveries;
  std::vector<model::Skip> skips;
};

struct Page {
  int page = 1;
  int limit = 20;
};

class EventStore {
 public:
  EventStore(Db& db, GroupCommitter* committer) : db_(db), committer_(committer) {}

  // Persists the event and its planned deliveries/skips atomically (group commit when a
  // committer is set). With an idempotency key already seen for the source: nothing is
  // written and the first event's id is returned.
  Result<IngestOutcome> ingest(const model::IncomingEvent& e, const model::RoutePlan& plan);
  // As ingest, without waiting for the commit: `done` runs after it (on a group-commit
  // writer thread, see GroupCommitter::submitAsync). `e` and `plan` must stay alive and
  // unchanged until `done` has run.
  void ingestAsync(const model::IncomingEvent& e, const model::RoutePlan& plan,
                   std::function<void(Result<IngestOutcome>)> done);
  // What a worker needs for each delivery of `plan` stored leased (PlannedDelivery::leaseUntil),
  // as a claim would have read it back.
  static std::vector<model::Claimed> leasedClaims(const model::IncomingEvent& e,
                                                  const model::RoutePlan& plan);
  // The id of the source's event with this idempotency value, if any.
  Result<std::optional<std::string>> findByIdempotencyKey(const std::string& source,
                                                          const std::string& key);
  // Adds deliveries for an existing event (replay); kNotFound once the event is gone
  // (deleted by retention since it was loaded).
  Status addDeliveries(const model::IncomingEvent& e, const model::RoutePlan& plan);

  Result<model::IncomingEvent> loadEvent(const std::string& id,
                                         const std::optional<std::string>& projectId);
  Result<EventView> getEvent(const std::string& id, const std::optional<std::string>& projectId);
  Result<std::vector<EventView>> listEvents(const std::optional<std::string>& projectId,
                                            const std::optional<std::string>& source,
                                            const std::optional<std::string>& type, Page page,
                                            int64_t* total);

  Result<DeliveryView> getDelivery(const std::string& id,
                                   const std::optional<std::string>& projectId);
  Result<std::vector<DeliveryView>> listDeliveries(const std::optional<std::string>& projectId,
                                                   const std::optional<model::State>& status,
                                                   const std::optional<std::string>& destination,
                                                   Page page, int64_t* total);
  // DEAD/FAILED → SCHEDULED due now. kConflict for any other state.
  Result<DeliveryView> retryDelivery(const std::string& id,
                                     const std::optional<std::string>& projectId);
  // Every DEAD delivery of the destination in the project → SCHEDULED due now.
  Result<int64_t> redrive(const std::string& projectId, const std::string& destination);

 private:
  Db& db_;
  GroupCommitter* committer_;
};

}  // namespace dispatch::store
