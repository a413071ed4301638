// Schedules and the jobs their ticks make (contracts/http-api.md "Schedules"). The cron and
// time-zone arithmetic is the caller's (core/schedule/ via jobs::ScheduleService and the
// ticker): the store keeps rows, locks them, and makes exactly one job per tick.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/model/schedule.h"
#include "core/store/db.h"

namespace dispatch::store {

// What the ticker decided for one schedule whose next tick is near.
struct TickPlan {
  std::optional<TimeMs> fire;  // make the job of this tick (none: skip it)
  std::optional<TimeMs> next;  // the tick after it (none: the schedule has no tick left)
};

struct TickBatch {
  int schedules = 0;                  // schedules handled
  int jobsCreated = 0;                // jobs made (a tick that already had its job makes none)
  std::optional<TimeMs> earliestJob;  // the earliest fireAt made, to wake the scheduler
};

class ScheduleStore {
 public:
  explicit ScheduleStore(Db& db) : db_(db) {}

  // Inserts the schedule as given (nextTick decided by the caller).
  Status create(const model::Schedule& s);
  // The schedule with its recent jobs. `projectId` null: any project (admin).
  Result<model::Schedule> get(const std::string& id, const std::optional<std::string>& projectId);
  // A page of schedules, newest first. `projectId` null: every project.
  Result<model::SchedulePage> list(const std::optional<std::string>& projectId, int page,
                                   int limit);
  // Locks the schedule and lets `edit` change it (its nextTick included); withdraws the job
  // made ahead of time for a tick still to come (CANCELLED, its tick given up so it can be
  // made again from the edited schedule), then stores the edit. kNotFound when absent or
  // outside `projectId`; an error of `edit` is returned as it is, and nothing changes.
  Result<model::Schedule> update(const std::string& id, const std::optional<std::string>& projectId,
                                 TimeMs now, const std::function<Status(model::Schedule&)>& edit);
  // Deletes the schedule and withdraws its job for a tick still to come; jobs that fired stay.
  Status remove(const std::string& id, const std::optional<std::string>& projectId, TimeMs now);

  // One ticker batch, in one transaction: locks up to `limit` schedules whose nextTick is at
  // or before `horizon` (skipping those another node holds), asks `plan` for each, makes the
  // job of each planned tick (none when the tick already has its job: a unique index) and
  // stores the next tick.
  Result<TickBatch> tick(TimeMs now, TimeMs horizon, int limit,
                         const std::function<TickPlan(const model::Schedule&)>& plan);

 private:
  Db& db_;
};

}  // namespace dispatch::store
