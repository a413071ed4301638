// A scheduled job as the API shows it (seed 002, contracts/http-api.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/model/delivery.h"
#include "core/util/time.h"

namespace dispatch::model {

struct NewJob {
  std::string id;
  std::string projectId;
  std::string title;
  std::string webhookUrl;
  std::string payload;  // raw JSON object text
  TimeMs fireAt = 0;
  std::optional<std::string> callbackUrl;
  std::optional<std::string> idempotencyKey;
  TimeMs createdAt = 0;
  std::string headersJson;                // the job's own headers, JSON object; "" if none
  bool redactResponse = false;            // attempts keep no response body
  std::optional<int64_t> retentionMs;     // the job's own retention; null: the project's
  std::optional<std::string> scheduleId;  // the schedule that created it
  std::optional<TimeMs> scheduleTick;     // and the tick it was created for
};

struct Job {
  std::string id;
  std::string projectId;
  std::string projectName;
  std::string title;
  std::string webhookUrl;
  std::string payload;
  TimeMs fireAt = 0;
  State status = State::kScheduled;
  int retryCount = 0;
  std::optional<std::string> callbackUrl;
  std::string headersJson;  // "" if none
  bool redactResponse = false;
  std::optional<int64_t> retentionMs;
  std::optional<std::string> scheduleId;
  TimeMs createdAt = 0;
  TimeMs updatedAt = 0;
  std::vector<Attempt> logs;  // filled by get(), newest first
};

struct JobFilter {
  std::optional<std::string> projectId;  // null: every project (admin)
  std::optional<State> status;
  int page = 1;
  int limit = 20;
};

struct JobPage {
  std::vector<Job> jobs;
  int64_t total = 0;
};

}  // namespace dispatch::model
