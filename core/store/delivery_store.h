// The engine's store side: claims with FOR UPDATE SKIP LOCKED and leases, completions
// with their attempt rows, and the due times that feed the in-memory heap.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/model/delivery.h"
#include "core/store/db.h"
#include "core/store/group_commit.h"

namespace dispatch::store {

class DeliveryStore {
 public:
  // With a committer, completions are group-committed (one fsync for many attempts).
  explicit DeliveryStore(Db& db, GroupCommitter* committer = nullptr)
      : db_(db), committer_(committer) {}

  // Claims up to `limit` deliveries due at or before `now`, oldest due first, plus
  // FIRING deliveries whose lease expired (a node died mid-attempt). Each claim is a lease
  // of `leaseMs`.
  Result<std::vector<model::Claimed>> claimDue(int limit, TimeMs now, int64_t leaseMs);
  // Due times of open deliveries in (now, until], ascending, at most `limit`.
  Result<std::vector<TimeMs>> dueTimes(TimeMs now, TimeMs until, int limit);
  // The first moment after `now` at which a lease runs out (its expiry + 1 ms), if any lease
  // runs past `now`: a node that died stops renewing, so this is when its work is claimable.
  Result<std::optional<TimeMs>> nextLeaseExpiry(TimeMs now);
  // Records one attempt and moves the delivery on, if our lease still holds (else the
  // work belongs to someone else and nothing is written: returns kConflict).
  Status complete(const model::Completion& c);
  // Records many completions in one transaction (one WAL flush): attempts and delivery rows
  // in one statement each, whatever the count. `ours[i]` tells whether completion i still
  // held its lease (false: nothing of it was written). All or nothing on error.
  Status completeBatch(const std::vector<model::Completion>& cs, std::vector<bool>* ours);
  // Hands claimed work back (shutdown): FIRING → SCHEDULED/FAILED, due now.
  Status release(const std::vector<std::pair<std::string, int64_t>>& idsAndSeqs);
  // Extends the leases we still hold (fenced by lease_seq) to `now + leaseMs`, in one
  // statement, so an attempt that outlasts one lease is not re-claimed while it runs. Returns
  // the ids renewed: a row missing was taken over (its lease ran out and another claim won)
  // or is locked by another transaction at this moment (skipped, not waited for).
  Result<std::vector<std::string>> renew(
      const std::vector<std::pair<std::string, int64_t>>& idsAndSeqs, TimeMs now, int64_t leaseMs);

 private:
  Db& db_;
  GroupCommitter* committer_;
};

}  // namespace dispatch::store
