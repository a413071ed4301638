// The built-in `discord` destination plugin.
#pragma once

#include "core/plugin/destination.h"

namespace dispatch::plugins {

// Renders `template` for each delivery and POSTs {"content": "<rendered>"} to the Discord
// webhook `url`. A process-lifetime singleton.
const plugin::DestinationFactory& discordFactory();

}  // namespace dispatch::plugins
