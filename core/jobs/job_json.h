// JSON shapes of jobs and attempt logs as the API shows them.
#pragma once

#include <string>
#include <vector>

#include "core/model/job.h"
#include "core/model/schedule.h"
#include "core/util/json.h"

namespace dispatch::jobs {

// Writes the job object. `withProject` adds "project":{"id","name"}; `withLogs` adds "logs".
void writeJob(json::Writer& w, const model::Job& j, bool withProject, bool withLogs);
void writeAttempts(json::Writer& w, const std::vector<model::Attempt>& logs);
std::string jobJson(const model::Job& j, bool withProject, bool withLogs);

// Writes the schedule object; `withRecentJobs` adds "recentJobs".
void writeSchedule(json::Writer& w, const model::Schedule& s, bool withRecentJobs);
std::string scheduleJson(const model::Schedule& s, bool withRecentJobs);

}  // namespace dispatch::jobs
