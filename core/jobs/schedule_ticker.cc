// The ticker's loop: poll, make the jobs of near ticks, wake the scheduler.
#include "core/jobs/schedule_ticker.h"

#include <chrono>

#include "core/jobs/schedule_service.h"
#include "core/util/log.h"

namespace dispatch::jobs {

ScheduleTicker::ScheduleTicker(store::Db& db, const Clock& clock,
                               std::function<void(TimeMs)> notifyDue, Options options)
    : store_(db), clock_(clock), notifyDue_(std::move(notifyDue)), opts_(options) {}

ScheduleTicker::~ScheduleTicker() { stop(); }

void ScheduleTicker::start() {
  std::lock_guard<std::mutex> g(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { loop(); });
}

void ScheduleTicker::stop() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void ScheduleTicker::wake() {
  std::lock_guard<std::mutex> g(mu_);
  woken_ = true;
  cv_.notify_all();
}

Result<int> ScheduleTicker::runOnce() {
  int made = 0;
  while (true) {
    TimeMs now = clock_.nowMs();
    auto plan = [now](const model::Schedule& s) {
      auto cron = schedule::parseCron(s.cron);
      auto zone = schedule::findZone(s.timezone);
      if (!cron || !zone) {
        // Validated when stored; a row that no longer parses (a zone gone from tzdata) stops
        // instead of failing every pass.
        log::warn("schedule stopped: its cron or time zone no longer parses",
                  {{"schedule_id", s.id}});
        return store::TickPlan{};
      }
      return planTick(*cron, *zone, s.nextTick.value_or(now), now);
    };
    auto batch = store_.tick(now, now + opts_.leadMs, opts_.batch, plan);
    if (!batch) return batch.status();
    made += batch->jobsCreated;
    if (batch->earliestJob && notifyDue_) notifyDue_(*batch->earliestJob);
    if (batch->schedules < opts_.batch) return made;
    std::lock_guard<std::mutex> g(mu_);
    if (stopping_) return made;
  }
}

void ScheduleTicker::loop() {
  int64_t waitMs = 0;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(waitMs), [&] { return stopping_ || woken_; });
      if (stopping_) return;
      woken_ = false;
    }
    waitMs = opts_.pollMs;
    auto made = runOnce();
    if (!made) {
      log::warn("schedule ticks failed; retrying", {{"error", made.status().message()}});
    } else if (*made > 0) {
      log::debug("schedule jobs made", {{"jobs", static_cast<long long>(*made)}});
    }
  }
}

}  // namespace dispatch::jobs
