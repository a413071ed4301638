// The schedule API's rules (contracts/http-api.md "Schedules"): validation, the cron and
// time-zone arithmetic of each tick (core/schedule/), scoping as for jobs, and the ticker's
// rule for which tick fires. Used by the HTTP handlers.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/config/config.h"
#include "core/model/schedule.h"
#include "core/schedule/cron.h"
#include "core/store/schedule_store.h"

namespace dispatch::jobs {

// Which tick of a schedule fires now and which comes after it, given the stored next tick.
// A tick still ahead fires as it is (its job is made early and fires from the heap at its
// millisecond). Ticks missed while no node ran: only the most recent one at or before `now`
// fires, once.
store::TickPlan planTick(const schedule::Cron& cron, const schedule::Zone& zone, TimeMs nextTick,
                         TimeMs now);

class ScheduleService {
 public:
  using ConfigSource = std::function<std::shared_ptr<const config::Config>()>;
  // `wake`, when set, is told that a schedule's next tick may be near (the local ticker).
  ScheduleService(store::Db& db, ConfigSource config, const Clock& clock,
                  std::function<void()> wake = {})
      : store_(db), config_(std::move(config)), clock_(clock), wake_(std::move(wake)) {}

  // Validates `body` (the POST /api/v1/schedules JSON) and creates the schedule.
  Result<model::Schedule> create(const std::string& projectId, std::string_view body);
  // A page of the schedules `scope` may see (as JobService::list).
  Result<model::SchedulePage> list(const std::optional<std::string>& scope,
                                   const std::optional<std::string>& requestedProject, int page,
                                   int limit);
  // The schedule with its recent jobs; kNotFound when absent or outside `scope`.
  Result<model::Schedule> get(const std::optional<std::string>& scope, const std::string& id);
  // Applies the fields of `body` present (PATCH); the next tick is computed anew.
  Result<model::Schedule> update(const std::optional<std::string>& scope, const std::string& id,
                                 std::string_view body);
  // Deletes the schedule; no job is made for it after this.
  Status remove(const std::optional<std::string>& scope, const std::string& id);

 private:
  store::ScheduleStore store_;
  ConfigSource config_;
  const Clock& clock_;
  std::function<void()> wake_;
};

}  // namespace dispatch::jobs
