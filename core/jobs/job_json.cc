// Job → JSON. The payload is written raw, byte-for-byte as stored.
#include "core/jobs/job_json.h"

#include "core/jobs/job_validation.h"

namespace dispatch::jobs {

void writeAttempts(json::Writer& w, const std::vector<model::Attempt>& logs) {
  w.beginArray();
  for (const auto& a : logs) {
    w.beginObject();
    w.key("id").string(a.id);
    w.key("attempt").number(static_cast<int64_t>(a.attempt));
    w.key("status").string(
        model::toString(a.success ? model::State::kSuccess : model::State::kFailed));
    w.key("responseCode").numberOrNull(a.responseCode);
    w.key("responseBody").stringOrNull(a.responseBody);
    w.key("firedAt").string(formatIsoUtc(a.firedAt));
    w.key("durationMs").number(a.durationMs);
    w.key("error").stringOrNull(a.error);
    w.endObject();
  }
  w.endArray();
}

void writeJob(json::Writer& w, const model::Job& j, bool withProject, bool withLogs) {
  w.beginObject();
  w.key("id").string(j.id);
  w.key("projectId").string(j.projectId);
  w.key("title").string(j.title);
  w.key("webhookUrl").string(j.webhookUrl);
  w.key("payload").raw(j.payload);
  w.key("fireAt").string(formatIsoUtc(j.fireAt));
  w.key("status").string(model::toString(j.status));
  w.key("retryCount").number(static_cast<int64_t>(j.retryCount));
  if (j.callbackUrl) w.key("callbackUrl").string(*j.callbackUrl);
  if (!j.headersJson.empty()) w.key("headers").raw(j.headersJson);
  if (j.redactResponse) w.key("redactResponse").boolean(true);
  if (j.retentionMs) w.key("retention").string(jobRetentionLabel(*j.retentionMs));
  if (j.scheduleId) w.key("scheduleId").string(*j.scheduleId);
  w.key("createdAt").string(formatIsoUtc(j.createdAt));
  w.key("updatedAt").string(formatIsoUtc(j.updatedAt));
  if (withProject) {
    w.key("project").beginObject();
    w.key("id").string(j.projectId);
    w.key("name").string(j.projectName);
    w.endObject();
  }
  if (withLogs) {
    w.key("logs");
    writeAttempts(w, j.logs);
  }
  w.endObject();
}

std::string jobJson(const model::Job& j, bool withProject, bool withLogs) {
  json::Writer w;
  writeJob(w, j, withProject, withLogs);
  return w.take();
}

namespace {

void timeOrNull(json::Writer& w, const std::optional<TimeMs>& t) {
  if (t) {
    w.string(formatIsoUtc(*t));
  } else {
    w.null();
  }
}

}  // namespace

void writeSchedule(json::Writer& w, const model::Schedule& s, bool withRecentJobs) {
  w.beginObject();
  w.key("id").string(s.id);
  w.key("projectId").string(s.projectId);
  w.key("title").string(s.title);
  w.key("webhookUrl").string(s.webhookUrl);
  w.key("cron").string(s.cron);
  w.key("timezone").string(s.timezone);
  w.key("payload").raw(s.payload);
  if (!s.headersJson.empty()) w.key("headers").raw(s.headersJson);
  if (s.callbackUrl) w.key("callbackUrl").string(*s.callbackUrl);
  w.key("redactResponse").boolean(s.redactResponse);
  w.key("paused").boolean(s.paused);
  w.key("nextFireAt");
  timeOrNull(w, s.paused ? std::nullopt : s.nextFireAt);
  w.key("lastFiredAt");
  timeOrNull(w, s.lastFiredAt);
  w.key("createdAt").string(formatIsoUtc(s.createdAt));
  w.key("updatedAt").string(formatIsoUtc(s.updatedAt));
  if (withRecentJobs) {
    w.key("recentJobs").beginArray();
    for (const auto& j : s.recentJobs) {
      w.beginObject();
      w.key("id").string(j.id);
      w.key("fireAt").string(formatIsoUtc(j.fireAt));
      w.key("status").string(model::toString(j.status));
      w.endObject();
    }
    w.endArray();
  }
  w.endObject();
}

std::string scheduleJson(const model::Schedule& s, bool withRecentJobs) {
  json::Writer w;
  writeSchedule(w, s, withRecentJobs);
  return w.take();
}

}  // namespace dispatch::jobs
