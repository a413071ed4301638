// Wiring of a running node and its signal handling.
#include "core/app/server_app.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>

#include "core/app/runtime.h"
#include "core/config/config.h"
#include "core/delivery/engine.h"
#include "core/delivery/http_sender.h"
#include "core/http/api.h"
#include "core/http/auth_throttle.h"
#include "core/http/server.h"
#include "core/net/http_client.h"
#include "core/plugin/destinations.h"
#include "core/store/group_commit.h"
#include "core/store/migrations.h"
#include "core/store/project_store.h"
#include "core/store/retention.h"
#include "core/util/log.h"

namespace dispatch::app {
namespace {

std::vector<std::string> projectNames(const config::Config& c) {
  std::vector<std::string> names;
  for (const auto& p : c.projects) names.push_back(p.name);
  return names;
}

}  // namespace

int runServer(const std::string& configPath) {
  auto first = config::loadFile(configPath);
  if (!first.config) {
    for (const auto& e : first.errors) std::fprintf(stderr, "%s\n", e.c_str());
    return 1;
  }
  auto cfg = first.config;
  plugin::Registry registry;
  if (auto errors = plugin::setupRegistry(*cfg, registry); !errors.empty()) {
    for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
    return 1;
  }

  auto applied = store::migrate(cfg->database.url);
  if (!applied) {
    std::fprintf(stderr, "migrate: %s\n", applied.status().message().c_str());
    return 1;
  }
  for (const auto& m : applied.value()) log::info("migration applied", {{"name", m}});

  // Signals go to the sigwait loop below, never to a random thread.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);

  net::ClientOptions copts;
  copts.policy = {cfg->delivery.allowHttp, cfg->delivery.allowPrivateNetworks};
  copts.caFile = cfg->delivery.caFile;
  net::HttpClient http(copts);
  delivery::PolicyHttpSender sender(http);
  plugin::Services services;
  services.http = &sender;

  std::vector<std::string> errors;
  auto routing = route::Routing::build(cfg, registry, services, &errors);
  if (!routing) {
    for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
    return 1;
  }
  RoutingHolder holder(routing);

  store::Db db(cfg->database.url, cfg->database.pool);
  if (Status st = store::ProjectStore(db).sync(projectNames(*cfg)); !st) {
    std::fprintf(stderr, "project sync: %s\n", st.message().c_str());
    return 1;
  }

  auto routingSource = [&holder] { return holder.get(); };
  auto configSource = [&holder] { return holder.get()->configPtr(); };
  delivery::EngineOptions eopts;
  eopts.workers = cfg->delivery.workers;
  eopts.leaseMs = cfg->delivery.leaseMs;
  eopts.heartbeatMs = cfg->delivery.heartbeatMs;
  store::GroupCommitter committer(db, 4, 512);
  delivery::Engine engine(db, routingSource, sender, systemClock(), eopts, &committer);

  std::mutex reloadMu;
  auto reload = [&]() -> std::vector<std::string> {
    std::lock_guard<std::mutex> g(reloadMu);
    Loaded next = loadRouting(configPath, registry, services);
    if (!next.routing) {
      log::warn("config reload refused", {{"errors", static_cast<long long>(next.errors.size())}});
      for (const auto& e : next.errors) log::warn("config error", {{"error", e}});
      return next.errors;
    }
    if (Status st = store::ProjectStore(db).sync(projectNames(next.routing->config())); !st) {
      return {"project sync failed: " + st.message()};
    }
    holder.set(next.routing);
    log::info("config reloaded");
    return {};
  };

  http::ApiContext ctx{db,
                       configSource,
                       [&engine](TimeMs t) { engine.notifyDue(t); },
                       systemClock(),
                       reload,
                       &committer,
                       routingSource,
                       &engine};
  http::AuthThrottle authThrottle;
  ctx.authThrottle = &authThrottle;
  http::Router router;
  http::addHealthRoutes(router, ctx);
  http::addKeyRoutes(router, ctx);
  http::addJobRoutes(router, ctx);
  http::addHookRoutes(router, ctx);
  http::addEventRoutes(router, ctx);

  http::ServerOptions sopts;
  sopts.host = cfg->server.listenHost;
  sopts.port = cfg->server.listenPort;
  sopts.threads = cfg->server.threads;
  sopts.maxBodyBytes = [&holder] { return holder.get()->config().server.maxBodyBytes; };
  sopts.maxConnections = cfg->server.maxConnections;
  sopts.headerTimeoutMs = cfg->server.headerTimeoutMs;
  sopts.bodyTimeoutMs = cfg->server.bodyTimeoutMs;
  sopts.idleTimeoutMs = cfg->server.idleTimeoutMs;
  sopts.maxHeaderBytes = static_cast<size_t>(cfg->server.maxHeaderBytes);
  sopts.tlsCert = cfg->server.tlsCert;
  sopts.tlsKey = cfg->server.tlsKey;
  http::Server server(sopts, router);
  try {
    server.start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cannot serve on %s:%d: %s\n", sopts.host.c_str(), sopts.port, e.what());
    return 1;
  }
  engine.start();
  store::RetentionPurger purger(
      db,
      [&holder] {
        std::map<std::string, int64_t> byName;
        for (const auto& p : holder.get()->config().projects) byName[p.name] = p.retentionMs;
        return byName;
      },
      systemClock());
  purger.start();
  log::info("listening", {{"host", sopts.host},
                          {"port", server.port()},
                          {"tls", !sopts.tlsCert.empty()},
                          {"version", DISPATCH_VERSION}});

  while (true) {
    int sig = 0;
    if (sigwait(&sigs, &sig) != 0) continue;
    if (sig == SIGHUP) {
      reload();
      // The certificate files named at start are reread (a renewed certificate); a bad pair
      // leaves the old one serving.
      if (!sopts.tlsCert.empty()) {
        if (Status st = server.reloadTls(); !st) {
          log::warn("tls reload refused", {{"error", st.message()}});
        } else {
          log::info("tls reloaded");
        }
      }
      continue;
    }
    break;
  }
  log::info("shutting down");
  int64_t grace = holder.get()->config().server.shutdownGraceMs;
  // In-flight requests are answered first (their events are committed either way), then
  // attempts in flight get what is left of the grace period.
  auto stopStart = std::chrono::steady_clock::now();
  server.stop(grace);
  grace -= std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 stopStart)
               .count();
  if (grace < 0) grace = 0;
  purger.stop();
  engine.stop(grace);
  log::info("stopped");
  std::fflush(stdout);
  // Workers stuck past the grace period were released; do not wait for them.
  _exit(0);
}

}  // namespace dispatch::app
