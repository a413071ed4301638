// Config and TLS reloads of a running node.
#include "core/app/reloader.h"

#include "core/app/sealing.h"
#include "core/app/startup.h"
#include "core/util/log.h"

namespace dispatch::app {

std::vector<std::string> ConfigReloader::reload() {
  std::lock_guard<std::mutex> g(mu_);
  Loaded next = loadRouting(path_, registry_, services_);
  if (!next.routing) {
    log::warn("config reload refused", {{"errors", static_cast<long long>(next.errors.size())}});
    for (const auto& e : next.errors) log::warn("config error", {{"error", e}});
    return next.errors;
  }
  if (Status st = syncProjects(db_, next.routing->config()); !st) {
    return {"project sync failed: " + st.message()};
  }
  applySealing(db_, next.routing->config());
  holder_.set(next.routing);
  log::info("config reloaded");
  return {};
}

void reloadOnHangup(ConfigReloader& reloader, http::Server& server, bool tls) {
  reloader.reload();
  if (!tls) return;
  if (Status st = server.reloadTls(); !st) {
    log::warn("tls reload refused", {{"error", st.message()}});
  } else {
    log::info("tls reloaded");
  }
}

}  // namespace dispatch::app
