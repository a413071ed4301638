// The built-in `slack` destination plugin.
#pragma once

#include "core/plugin/destination.h"

namespace dispatch::plugins {

// Renders `template` for each delivery and POSTs {"text": "<rendered>"} to the incoming-
// webhook `url`. A process-lifetime singleton.
const plugin::DestinationFactory& slackFactory();

}  // namespace dispatch::plugins
