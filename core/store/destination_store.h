// Destination gates and health in the store (migration 0009): pause and resume, the circuit
// breaker's transitions, the per-minute attempt counts each node writes, and what
// GET /api/v1/destinations shows. A gate that holds a destination marks its waiting
// deliveries `held` (left out of claims and of the due-time heap); opening it clears the mark
// and wakes every node (NOTIFY). Every transition is conditional on the state it leaves, so
// nodes racing for one (two nodes tripping a circuit, two trials) change it once.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/model/destination.h"
#include "core/store/db.h"

namespace dispatch::store {

// Attempts and outcomes one node saw for one destination since its last flush.
struct DestinationTally {
  std::string projectId;
  std::string destination;
  std::map<TimeMs, std::pair<int64_t, int64_t>> minutes;  // minute start → attempts, successes
  std::optional<TimeMs> lastSuccessAt;
  std::optional<TimeMs> lastFailureAt;
  std::optional<std::string> lastError;  // with lastFailureAt
};

class DestinationStore {
 public:
  explicit DestinationStore(Db& db) : db_(db) {}

  // Gates that hold something back (paused, or circuit not closed), by "projectId/name".
  Result<std::map<std::string, model::Gate>> gates();

  // Pauses: the destination's waiting deliveries are held until resume().
  Status pause(const std::string& projectId, const std::string& destination);
  // Resumes: with the circuit closed every held delivery is released (due as before); with it
  // half-open the trial is; with it open they wait for the breaker's trial.
  Status resume(const std::string& projectId, const std::string& destination);

  // Closed → open (holds the waiting deliveries). False when it was not closed.
  Result<bool> openCircuit(const std::string& projectId, const std::string& destination);
  // Open for at least `coolDownMs` and not paused → half-open, with the earliest held delivery
  // released as the trial (none waiting: the next delivery takes the slot). The trial's id
  // ("" for a free slot), or nullopt when this call changed nothing.
  Result<std::optional<std::string>> halfOpen(const std::string& projectId,
                                              const std::string& destination, int64_t coolDownMs);
  // Half-open with a free slot while deliveries are held (held by a node that had not yet
  // heard of the half-open circuit) → the longest-waiting one is released as the trial. Its
  // id, or nullopt when this changed nothing.
  Result<std::optional<std::string>> ensureTrial(const std::string& projectId,
                                                 const std::string& destination);
  // Half-open with a free slot → this delivery is the trial. False when another took it.
  Result<bool> takeTrial(const std::string& projectId, const std::string& destination,
                         const std::string& deliveryId);
  // The trial `deliveryId` succeeded: half-open → closed, the held deliveries released
  // (unless paused). False when the circuit was not half-open with that trial.
  Result<bool> closeCircuit(const std::string& projectId, const std::string& destination,
                            const std::string& deliveryId);
  // The trial failed: half-open → open again, its cool-down starting now.
  Result<bool> reopenCircuit(const std::string& projectId, const std::string& destination,
                             const std::string& deliveryId);
  // Closes a circuit whose destination has `circuit_breaker: off` now (releases its holds).
  Status forceClose(const std::string& projectId, const std::string& destination);

  // Adds one node's tallies; drops minute rows older than `keepFrom`.
  Status flush(const std::vector<DestinationTally>& tallies, TimeMs keepFrom);

  // The health of a project's destinations that have a row, a minute count since `since`, or
  // open deliveries, by name.
  Result<std::map<std::string, model::DestinationHealth>> health(const std::string& projectId,
                                                                 TimeMs since);

 private:
  Db& db_;
};

}  // namespace dispatch::store
