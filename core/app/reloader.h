// The reload policy of a running node: what SIGHUP and POST /api/v1/admin/reload do.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "core/app/runtime.h"
#include "core/http/server.h"
#include "core/plugin/registry.h"
#include "core/store/db.h"

namespace dispatch::app {

class ConfigReloader {
 public:
  // Everything referenced outlives the reloader.
  ConfigReloader(std::string path, const plugin::Registry& registry,
                 const plugin::Services& services, store::Db& db, RoutingHolder& holder)
      : path_(std::move(path)),
        registry_(registry),
        services_(services),
        db_(db),
        holder_(holder) {}

  // Re-reads and builds the config file; when it is sound, creates its new projects and
  // swaps the snapshot. A refused file changes nothing. The errors (empty on success).
  // One reload at a time.
  std::vector<std::string> reload();

 private:
  std::mutex mu_;
  std::string path_;
  const plugin::Registry& registry_;
  const plugin::Services& services_;
  store::Db& db_;
  RoutingHolder& holder_;
};

// SIGHUP: reloads the config, then, when the server has TLS (`tls`), rereads the certificate
// files named at start (a renewed certificate); a bad pair leaves the old one serving.
void reloadOnHangup(ConfigReloader& reloader, http::Server& server, bool tls);

}  // namespace dispatch::app
