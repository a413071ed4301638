// The built-in `webhook` destination plugin.
#pragma once

#include "core/plugin/destination.h"

namespace dispatch::plugins {

// POSTs the delivered body byte for byte with the headers the engine prepared (signature
// included) to `url`. A process-lifetime singleton.
const plugin::DestinationFactory& webhookFactory();

}  // namespace dispatch::plugins
