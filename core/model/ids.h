// Ids every node derives alike from names in the config.
#pragma once

#include <string>

namespace dispatch::model {

// The stable id of a project name (UUIDv5): the same on every node and across restarts.
std::string projectIdFor(const std::string& name);

}  // namespace dispatch::model
