// Events and deliveries: scoped reads, replay, retry and redrive.
#include "core/ingest/event_service.h"

#include "core/ingest/destination_service.h"
#include "core/ingest/replay.h"

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
