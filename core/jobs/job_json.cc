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

}  // namespace dispatch::jobs
