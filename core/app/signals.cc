// Signal handling with sigwait: no handler runs on an arbitrary thread.
#include "core/app/signals.h"

#include <pthread.h>

namespace dispatch::app {

ServerSignals::ServerSignals() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGTERM);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

void ServerSignals::waitForStop(const std::function<void()>& onHangup) {
  while (true) {
    int sig = 0;
    if (sigwait(&set_, &sig) != 0) continue;
    if (sig != SIGHUP) return;
    onHangup();
  }
}

}  // namespace dispatch::app
