// Stable ids from names.
#include "core/model/ids.h"

#include "core/util/uuid.h"

namespace dispatch::model {

std::string projectIdFor(const std::string& name) { return stableUuid("dispatch.project", name); }

}  // namespace dispatch::model
