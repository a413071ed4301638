// `dispatch serve`: the composition of a node's parts (startup.h, node_api.h, reloader.h,
// signals.h, shutdown.h), in the order they must come up.
#include "core/app/server_app.h"

#include <cstdio>

#include "core/app/node_api.h"
#include "core/app/reloader.h"
#include "core/app/runtime.h"
#include "core/app/sealing.h"
#include "core/app/shutdown.h"
#include "core/app/signals.h"
#include "core/app/startup.h"
#include "core/store/group_commit.h"
#include "core/util/log.h"

namespace dispatch::app {

int runServer(const std::string& configPath) {
  plugin::Registry registry;
  auto cfg = loadStartupConfig(configPath, registry);
  if (!cfg) return 1;
  if (!migrateStore(cfg->database.url)) return 1;
  ServerSignals signals;  // before any thread starts
  Outbound outbound(*cfg);
  auto routing = buildRouting(cfg, registry, outbound.services);
  if (!routing) return 1;
  RoutingHolder holder(routing);

  store::Db db(cfg->database.url, cfg->database.pool);
  applySealing(db, *cfg);
  if (Status st = syncProjects(db, *cfg); !st) {
    std::fprintf(stderr, "project sync: %s\n", st.message().c_str());
    return 1;
  }
  store::GroupCommitter committer(db, 4, 512);
  delivery::Engine engine(
      db, [&holder] { return holder.get(); }, outbound.sender, systemClock(), engineOptions(*cfg),
      &committer);
  ConfigReloader reloader(configPath, registry, outbound.services, db, holder);
  jobs::ScheduleTicker ticker(db, systemClock(), [&engine](TimeMs due) { engine.notifyDue(due); });
  NodeApi api(db, committer, engine, holder, reloader, ticker);

  const http::ServerOptions sopts = serverOptions(*cfg, holder);
  http::Server server(sopts, api.router());
  if (!startServer(server, sopts)) return 1;
  engine.start();
  ticker.start();
  auto purger = startRetention(db, holder);
  log::info("listening", {{"host", sopts.host},
                          {"port", server.port()},
                          {"tls", !sopts.tlsCert.empty()},
                          {"version", DISPATCH_VERSION}});

  signals.waitForStop([&] { reloadOnHangup(reloader, server, /*tls=*/!sopts.tlsCert.empty()); });
  shutDown(server, ticker, *purger, engine, holder.get()->config().server.shutdownGraceMs);
}

}  // namespace dispatch::app
