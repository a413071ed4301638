// `dispatch serve`: the composition root that wires config, store, engine and HTTP.
#pragma once

#include <string>

namespace dispatch::app {

// Runs until SIGTERM/SIGINT; SIGHUP reloads the config. Returns the exit code.
int runServer(const std::string& configPath);

}  // namespace dispatch::app
