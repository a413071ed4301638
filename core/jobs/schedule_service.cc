// Schedule validation, next ticks, and scoping.
#include "core/jobs/schedule_service.h"

#include "core/jobs/job_service.h"
#include "core/jobs/job_validation.h"
#include "core/util/uuid.h"

namespace dispatch::jobs {
namespace {

Status invalid(std::string m) { return Status(Code::kInvalid, std::move(m)); }

// cron, timezone and paused of `doc` into `s`, with the template's fields (partial: PATCH).
Status readSchedule(const json::Value& doc, const ValidationLimits& limits, model::Schedule& s,
                    bool partial) {
  JobTemplate t;
  t.title = s.title;
  t.webhookUrl = s.webhookUrl;
  t.payload = s.payload;
  t.headersJson = s.headersJson;
  t.callbackUrl = s.callbackUrl;
  t.redactResponse = s.redactResponse;
  if (Status st = readJobTemplate(doc, limits, t, partial); !st) return st;

  const json::Value* cron = doc.find("cron");
  if (cron == nullptr || cron->isNull()) {
    if (!partial || cron != nullptr) return invalid("cron is required");
  } else {
    if (!cron->isString()) return invalid("cron must be a string");
    auto parsed = schedule::parseCron(cron->asString());
    if (!parsed) return invalid("cron is not valid: " + parsed.status().message());
    s.cron = cron->asString();
  }

  if (const json::Value* tz = doc.find("timezone"); tz != nullptr && !tz->isNull()) {
    if (!tz->isString()) return invalid("timezone must be a string");
    if (auto zone = schedule::findZone(tz->asString()); !zone) {
      if (zone.status().code() != Code::kInvalid) return zone.status();
      return invalid("timezone must be an IANA time zone name (e.g. Europe/Berlin)");
    }
    s.timezone = tz->asString();
  }

  if (const json::Value* p = doc.find("paused"); p != nullptr && !p->isNull()) {
    if (!p->isBool()) return invalid("paused must be a boolean");
    s.paused = p->asBool();
  }
  s.title = std::move(t.title);
  s.webhookUrl = std::move(t.webhookUrl);
  s.payload = std::move(t.payload);
  s.headersJson = std::move(t.headersJson);
  s.callbackUrl = std::move(t.callbackUrl);
  s.redactResponse = t.redactResponse;
  return Status::ok();
}

// The schedule's next tick after `now`, null while paused.
Status armNextTick(model::Schedule& s, TimeMs now) {
  s.nextTick.reset();
  if (s.paused) return Status::ok();
  auto cron = schedule::parseCron(s.cron);
  if (!cron) return invalid("cron is not valid: " + cron.status().message());
  auto zone = schedule::findZone(s.timezone);
  if (!zone) return invalid("timezone must be an IANA time zone name (e.g. Europe/Berlin)");
  s.nextTick = schedule::nextTick(*cron, *zone, now);
  return Status::ok();
}

}  // namespace

store::TickPlan planTick(const schedule::Cron& cron, const schedule::Zone& zone, TimeMs nextTick,
                         TimeMs now) {
  store::TickPlan p;
  p.fire = nextTick;
  if (nextTick <= now) {
    // Late: the most recent tick at or before now fires, once; older ones are skipped.
    if (auto latest = schedule::latestTick(cron, zone, nextTick, now)) p.fire = *latest;
  }
  p.next = schedule::nextTick(cron, zone, *p.fire);
  return p;
}

Result<model::Schedule> ScheduleService::create(const std::string& projectId,
                                                std::string_view body) {
  auto doc = json::parse(body);
  if (!doc) return invalid("Request body is not valid JSON");
  if (!doc->isObject()) return invalid("Request body must be a JSON object");
  model::Schedule s;
  if (Status st = readSchedule(*doc, validationLimits(*config_(), projectId), s, false); !st) {
    return st;
  }
  TimeMs now = clock_.nowMs();
  if (Status st = armNextTick(s, now); !st) return st;
  s.id = newUuidV7();
  s.projectId = projectId;
  s.createdAt = now;
  s.updatedAt = now;
  if (Status st = store_.create(s); !st) return st;
  if (wake_) wake_();
  s.nextFireAt = s.nextTick;
  return s;
}

Result<model::SchedulePage> ScheduleService::list(const std::optional<std::string>& scope,
                                                  const std::optional<std::string>& requested,
                                                  int page, int limit) {
  auto project = listedProject(scope, requested);
  if (!project) return project.status();
  return store_.list(*project, page, limit);
}

Result<model::Schedule> ScheduleService::get(const std::optional<std::string>& scope,
                                             const std::string& id) {
  return store_.get(id, scope);
}

Result<model::Schedule> ScheduleService::update(const std::optional<std::string>& scope,
                                                const std::string& id, std::string_view body) {
  auto doc = json::parse(body);
  if (!doc) return invalid("Request body is not valid JSON");
  if (!doc->isObject()) return invalid("Request body must be a JSON object");
  auto cfg = config_();
  TimeMs now = clock_.nowMs();
  auto out = store_.update(id, scope, now, [&](model::Schedule& s) {
    if (Status st = readSchedule(*doc, validationLimits(*cfg, s.projectId), s, true); !st) {
      return st;
    }
    return armNextTick(s, now);
  });
  if (out && wake_) wake_();
  return out;
}

Status ScheduleService::remove(const std::optional<std::string>& scope, const std::string& id) {
  return store_.remove(id, scope, clock_.nowMs());
}

}  // namespace dispatch::jobs
