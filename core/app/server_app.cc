// Wiring of a running node and its signal handling.
#include "core/app/server_app.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>

#include "core/config/config.h"
#include "core/delivery/engine.h"
#include "core/http/api.h"
#include "core/http/server.h"
#include "core/net/http_client.h"
#include "core/store/group_commit.h"
#include "core/store/migrations.h"
#include "core/store/project_store.h"
#include "core/util/log.h"

namespace dispatch::app {
namespace {

// The current config snapshot; a reload swaps the pointer.
class ConfigHolder {
 public:
  explicit ConfigHolder(std::shared_ptr<const config::Config> c) : cfg_(std::move(c)) {}
  std::shared_ptr<const config::Config> get() const {
    std::lock_guard<std::mutex> g(mu_);
    return cfg_;
  }
  void set(std::shared_ptr<const config::Config> c) {
    std::lock_guard<std::mutex> g(mu_);
    cfg_ = std::move(c);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const config::Config> cfg_;
};

std::vector<std::string> projectNames(const config::Config& c) {
  std::vector<std::string> names;
  for (const auto& p : c.projects) names.push_back(p.name);
  return names;
}

}  // namespace

int runServer(const std::string& configPath) {
  auto loaded = config::loadFile(configPath);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.c_str());
    return 1;
  }
  ConfigHolder holder(loaded.config);
  auto cfg = holder.get();

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

  store::Db db(cfg->database.url, cfg->database.pool);
  if (Status st = store::ProjectStore(db).sync(projectNames(*cfg)); !st) {
    std::fprintf(stderr, "project sync: %s\n", st.message().c_str());
    return 1;
  }

  net::ClientOptions copts;
  copts.policy = {cfg->delivery.allowHttp, cfg->delivery.allowPrivateNetworks};
  copts.caFile = cfg->delivery.caFile;
  net::HttpClient http(copts);

  auto configSource = [&holder] { return holder.get(); };
  delivery::EngineOptions eopts;
  eopts.workers = cfg->delivery.workers;
  eopts.leaseMs = cfg->delivery.leaseMs > 0
                      ? cfg->delivery.leaseMs
                      : std::max(cfg->delivery.timeoutMs, cfg->jobs.timeoutMs) + 30'000;
  store::GroupCommitter committer(db, 2, 512);
  delivery::Engine engine(db, configSource, http, systemClock(), eopts, &committer);

  auto reload = [&]() -> std::vector<std::string> {
    auto next = config::loadFile(configPath);
    if (!next.config) {
      log::warn("config reload refused", {{"errors", static_cast<long long>(next.errors.size())}});
      for (const auto& e : next.errors) log::warn("config error", {{"error", e}});
      return next.errors;
    }
    if (Status st = store::ProjectStore(db).sync(projectNames(*next.config)); !st) {
      return {"project sync failed: " + st.message()};
    }
    holder.set(next.config);
    log::info("config reloaded");
    return {};
  };

  http::ApiContext ctx{db, configSource, [&engine](TimeMs t) { engine.notifyDue(t); },
                       systemClock(), reload, &committer};
  http::Router router;
  http::addHealthRoutes(router, ctx);
  http::addKeyRoutes(router, ctx);
  http::addJobRoutes(router, ctx);

  http::ServerOptions sopts;
  sopts.host = cfg->server.listenHost;
  sopts.port = cfg->server.listenPort;
  sopts.threads = cfg->server.threads;
  sopts.maxBodyBytes = [&holder] { return holder.get()->server.maxBodyBytes; };
  http::Server server(sopts, router);
  try {
    server.start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cannot listen on %s:%d: %s\n", sopts.host.c_str(), sopts.port, e.what());
    return 1;
  }
  engine.start();
  log::info("listening", {{"host", sopts.host}, {"port", server.port()},
                          {"version", DISPATCH_VERSION}});

  while (true) {
    int sig = 0;
    if (sigwait(&sigs, &sig) != 0) continue;
    if (sig == SIGHUP) {
      reload();
      continue;
    }
    break;
  }
  log::info("shutting down");
  int64_t grace = holder.get()->server.shutdownGraceMs;
  server.stop();
  engine.stop(grace);
  log::info("stopped");
  std::fflush(stdout);
  // Workers stuck past the grace period were released; do not wait for them.
  _exit(0);
}

}  // namespace dispatch::app
