// The built-in `file` destination plugin.
#pragma once

#include "core/plugin/destination.h"

namespace dispatch::plugins {

// Appends one JSON line per delivery (file_line.h) to `path`, a file under `files_dir` reached
// without symbolic links (file_open.h). A process-lifetime singleton.
const plugin::DestinationFactory& fileFactory();

}  // namespace dispatch::plugins
