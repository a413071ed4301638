// The LISTEN loop on a dedicated connection.
#include "core/store/due_listener.h"

#include <chrono>
#include <thread>

#include "core/store/connection.h"
#include "core/store/db.h"
#include "core/util/log.h"

namespace dispatch::store {
namespace {

class DueReceiver : public pqxx::notification_receiver {
 public:
  DueReceiver(pqxx::connection_base& c, const std::function<void(TimeMs)>& onDue)
      : pqxx::notification_receiver(c, "dispatch_due"), onDue_(onDue) {}
  void operator()(const std::string& payload, int) override {
    TimeMs t = 0;
    try {
      t = std::stoll(payload);
    } catch (...) {
    }
    onDue_(t);
  }

 private:
  const std::function<void(TimeMs)>& onDue_;
};

}  // namespace

void listenForDue(const std::string& url, const std::atomic<bool>& stop,
                  const std::function<void(TimeMs)>& onDue) {
  while (!stop.load()) {
    Status st;
    auto conn = openConnection(url, &st);
    if (!conn) {
      for (int i = 0; i < 10 && !stop.load(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      continue;
    }
    try {
      DueReceiver receiver(*conn, onDue);
      onDue(0);
      while (!stop.load()) conn->await_notification(0, 200'000);
    } catch (...) {
      log::warn("listen connection lost; reconnecting");
    }
  }
}

}  // namespace dispatch::store
