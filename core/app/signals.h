// A node's signals: SIGTERM and SIGINT stop it, SIGHUP reloads, SIGPIPE is ignored.
#pragma once

#include <signal.h>

#include <functional>

namespace dispatch::app {

class ServerSignals {
 public:
  // Blocks SIGTERM, SIGINT and SIGHUP in this thread and every thread started after it, so
  // they reach waitForStop and never a random thread; ignores SIGPIPE. Construct before
  // starting any thread.
  ServerSignals();

  // Returns at SIGTERM or SIGINT; runs `onHangup` for each SIGHUP until then.
  void waitForStop(const std::function<void()>& onHangup);

 private:
  sigset_t set_;
};

}  // namespace dispatch::app
