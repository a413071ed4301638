// Replaying a stored event.
#include "core/ingest/replay.h"

namespace dispatch::ingest {

Result<std::vector<std::string>> replayEvent(const route::Routing& routing,
                                             store::EventStore& events, const std::string& eventId,
                                             const std::optional<std::string>& projectId) {
  auto ev = events.loadEvent(eventId, projectId);
  if (!ev) return ev.status();
  if (routing.source(ev->source) == nullptr) {
    return Status(Code::kInvalid, "The event's source is no longer configured");
  }
  model::RoutePlan plan = routing.plan(*ev);
  plan.skips.clear();  // the event's skip list describes its first routing
  std::vector<std::string> ids;
  for (auto& d : plan.deliveries) {
    d.messageId = d.id;
    ids.push_back(d.id);
  }
  if (Status st = events.addDeliveries(*ev, plan); !st) return st;
  return ids;
}

}  // namespace dispatch::ingest
