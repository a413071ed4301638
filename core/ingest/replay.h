// Replay: route a stored event again through the current links and transforms. A replay is
// a new message: each new delivery's webhook-id is its own id.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/route/routing.h"
#include "core/store/event_store.h"

namespace dispatch::ingest {

// Returns the ids of the deliveries created. kNotFound for an unknown event (or another
// project's, when `projectId` is set); kInvalid when its source is no longer configured.
Result<std::vector<std::string>> replayEvent(const route::Routing& routing,
                                             store::EventStore& events, const std::string& eventId,
                                             const std::optional<std::string>& projectId);

}  // namespace dispatch::ingest
