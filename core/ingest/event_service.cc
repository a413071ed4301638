// Events and deliveries: scoped reads, replay, retry and redrive.
#include "core/ingest/event_service.h"

#include <cctype>

#include "core/ingest/destination_service.h"
#include "core/ingest/replay.h"
#include "core/route/transform_limits.h"
#include "core/util/json.h"
#include "core/util/uuid.h"

namespace dispatch::ingest {

Result<Listed<store::EventView>> EventService::listEvents(const std::optional<std::string>& scope,
                                                          const std::optional<std::string>& source,
                                                          const std::optional<std::string>& type,
                                                          store::Page page) {
  Listed<store::EventView> out;
  auto evs = events_.listEvents(scope, source, type, page, &out.total);
  if (!evs) return evs.status();
  out.items = std::move(evs.value());
  return out;
}

Result<store::EventView> EventService::getEvent(const std::optional<std::string>& scope,
                                                const std::string& id) {
  return events_.getEvent(id, scope);
}

Result<std::vector<std::string>> EventService::replay(const std::optional<std::string>& scope,
                                                      const std::string& eventId) {
  auto routing = routing_();
  auto ids = replayEvent(*routing, events_, eventId, scope);
  if (ids) wake();
  return ids;
}

Result<Listed<store::DeliveryView>> EventService::listDeliveries(
    const std::optional<std::string>& scope, const std::optional<model::State>& status,
    const std::optional<std::string>& destination, store::Page page) {
  Listed<store::DeliveryView> out;
  auto ds = events_.listDeliveries(scope, status, destination, page, &out.total);
  if (!ds) return ds.status();
  out.items = std::move(ds.value());
  return out;
}

Result<store::DeliveryView> EventService::getDelivery(const std::optional<std::string>& scope,
                                                      const std::string& id) {
  return events_.getDelivery(id, scope);
}

namespace {

Status invalid(std::string message) { return Status(Code::kInvalid, std::move(message)); }

// A header name a sender could have sent (an HTTP token), lower-cased as ingest stores it.
std::optional<std::string> headerName(const std::string& name) {
  if (name.empty()) return std::nullopt;
  std::string out;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) ||
          std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos)) {
      return std::nullopt;
    }
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

Status readTrialEvent(const json::Value& e, model::IncomingEvent& ev) {
  if (!e.isObject()) return invalid("event must be a JSON object");
  for (const auto& [key, v] : e.members()) {
    if (key == "body") {
      ev.body = v.isString() ? v.asString() : std::string(v.raw());
    } else if (key == "type" || key == "source") {
      if (!v.isString() && !v.isNull()) return invalid("event." + key + " must be a string");
      (key == "type" ? ev.eventType : ev.source) = v.asString();
    } else if (key == "headers") {
      if (!v.isObject() && !v.isNull()) return invalid("event.headers must be a JSON object");
      for (const auto& [name, value] : v.members()) {
        auto lower = headerName(name);
        if (!lower) return invalid("event.headers: invalid header name");
        if (!value.isString()) return invalid("event.headers." + name + " must be a string");
        ev.headers.emplace_back(*lower, value.asString());
      }
    } else {
      return invalid("event." + key + " is not a known field (body, type, headers, source)");
    }
  }
  return Status::ok();
}

}  // namespace

Result<TransformTrial> readTransformTrial(std::string_view body) {
  auto doc = json::parse(body);
  if (!doc) return invalid("Request body is not valid JSON");
  if (!doc->isObject()) return invalid("Request body must be a JSON object");
  TransformTrial t;
  const json::Value* lua = doc->find("lua");
  if (lua == nullptr || lua->isNull()) return invalid("lua is required");
  if (!lua->isString()) return invalid("lua must be a string");
  if (lua->asString().size() > kMaxTrialLuaBytes) {
    return invalid("lua is over " + std::to_string(kMaxTrialLuaBytes) + " bytes");
  }
  t.lua = lua->asString();
  const json::Value* event = doc->find("event");
  const json::Value* eventId = doc->find("eventId");
  if (event != nullptr && eventId != nullptr) return invalid("give event or eventId, not both");
  if (eventId != nullptr) {
    if (!eventId->isString()) return invalid("eventId must be a string");
    t.eventId = eventId->asString();
  } else if (event != nullptr) {
    if (Status st = readTrialEvent(*event, t.event); !st) return st;
  } else {
    return invalid("event or eventId is required");
  }
  for (const auto& [key, v] : doc->members()) {
    if (key != "lua" && key != "event" && key != "eventId") {
      return invalid(key + " is not a known field (lua, event, eventId)");
    }
  }
  return t;
}

Result<transform::TrialResult> EventService::tryTransform(const std::optional<std::string>& scope,
                                                          const TransformTrial& trial) {
  // Counted before anything else, so a flood of trials cannot queue up store reads either.
  if (trialsRunning_.fetch_add(1) >= kMaxConcurrentTrials) {
    trialsRunning_.fetch_sub(1);
    return Status(Code::kRateLimited, "Too many transform runs at once").setRetryAfterSeconds(1);
  }
  struct Release {
    std::atomic<int>& n;
    ~Release() { n.fetch_sub(1); }
  } release{trialsRunning_};
  model::IncomingEvent ev = trial.event;
  if (trial.eventId) {
    auto stored = events_.loadEvent(*trial.eventId, scope);
    if (!stored) return stored.status();
    ev = std::move(stored.value());
  }
  if (ev.id.empty()) ev.id = newUuidV7();
  auto routing = routing_();
  transform::EventInput in{ev.id, ev.source, ev.eventType, ev.headers, ev.query, ev.body};
  return transform::runTrial("transform.lua", trial.lua, route::transformLimits(routing->config()),
                             in);
}

Result<store::DeliveryView> EventService::retry(const std::optional<std::string>& scope,
                                                const std::string& id) {
  auto d = events_.retryDelivery(id, scope);
  if (d) wake();
  return d;
}

Result<int64_t> EventService::redrive(const std::optional<std::string>& scope,
                                      const std::optional<std::string>& project,
                                      const std::string& destination) {
  auto projectId = callerProject(projects_, scope, project);
  if (!projectId) return projectId.status();
  auto routing = routing_();
  if (!routing || routing->destination(*projectId, destination) == nullptr) {
    return Status(Code::kNotFound, "Destination not found");
  }
  auto n = events_.redrive(*projectId, destination);
  if (n) wake();
  return n;
}

}  // namespace dispatch::ingest
