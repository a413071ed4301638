// A schedule: a cron expression in a time zone that makes an ordinary job at each tick
// (contracts/http-api.md "Schedules").
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/model/state.h"
#include "core/util/time.h"

namespace dispatch::model {

struct ScheduleJob {  // one of a schedule's recent jobs
  std::string id;
  TimeMs fireAt = 0;
  State status = State::kScheduled;
};

struct Schedule {
  std::string id;
  std::string projectId;
  // What each tick's job is made of.
  std::string title;
  std::string webhookUrl;
  std::string payload = "{}";
  std::string headersJson;  // "" if none
  std::optional<std::string> callbackUrl;
  bool redactResponse = false;
  // When.
  std::string cron;
  std::string timezone = "UTC";
  bool paused = false;
  // The next tick no job was made for yet (stored); null while paused or when none is left.
  std::optional<TimeMs> nextTick;
  // As the API shows them: the next tick to fire (a job already made for it, or nextTick),
  // and the last tick that fired.
  std::optional<TimeMs> nextFireAt;
  std::optional<TimeMs> lastFiredAt;
  TimeMs createdAt = 0;
  TimeMs updatedAt = 0;
  std::vector<ScheduleJob> recentJobs;  // filled by get(), newest first
};

struct SchedulePage {
  std::vector<Schedule> schedules;
  int64_t total = 0;
};

}  // namespace dispatch::model
