// A node's start, step by step.
#include "core/app/startup.h"

#include <cstdio>
#include <map>

#include "core/plugin/destinations.h"
#include "core/store/migrations.h"
#include "core/store/project_store.h"
#include "core/util/log.h"

namespace dispatch::app {
namespace {

void printErrors(const std::vector<std::string>& errors) {
  for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
}

net::ClientOptions clientOptions(const config::Config& cfg) {
  net::ClientOptions o;
  o.policy = {cfg.delivery.allowHttp, cfg.delivery.allowPrivateNetworks};
  o.caFile = cfg.delivery.caFile;
  return o;
}

}  // namespace

std::shared_ptr<const config::Config> loadStartupConfig(const std::string& path,
                                                        plugin::Registry& registry) {
  auto loaded = config::loadFile(path);
  if (!loaded.config) {
    printErrors(loaded.errors);
    return nullptr;
  }
  if (auto errors = plugin::setupRegistry(*loaded.config, registry); !errors.empty()) {
    printErrors(errors);
    return nullptr;
  }
  return loaded.config;
}

bool migrateStore(const std::string& url) {
  auto applied = store::migrate(url);
  if (!applied) {
    std::fprintf(stderr, "migrate: %s\n", applied.status().message().c_str());
    return false;
  }
  for (const auto& m : applied.value()) log::info("migration applied", {{"name", m}});
  return true;
}

Outbound::Outbound(const config::Config& cfg) : http(clientOptions(cfg)), sender(http) {
  services.http = &sender;
}

std::shared_ptr<const route::Routing> buildRouting(std::shared_ptr<const config::Config> cfg,
                                                   const plugin::Registry& registry,
                                                   const plugin::Services& services) {
  std::vector<std::string> errors;
  auto routing = route::Routing::build(std::move(cfg), registry, services, &errors);
  if (!routing) printErrors(errors);
  return routing;
}

Status syncProjects(store::Db& db, const config::Config& cfg) {
  std::vector<std::string> names;
  for (const auto& p : cfg.projects) names.push_back(p.name);
  return store::ProjectStore(db).sync(names);
}

delivery::EngineOptions engineOptions(const config::Config& cfg) {
  delivery::EngineOptions o;
  o.workers = cfg.delivery.workers;
  o.leaseMs = cfg.delivery.leaseMs;
  o.heartbeatMs = cfg.delivery.heartbeatMs;
  return o;
}

http::ServerOptions serverOptions(const config::Config& cfg, const RoutingHolder& holder) {
  http::ServerOptions o;
  o.host = cfg.server.listenHost;
  o.port = cfg.server.listenPort;
  o.threads = cfg.server.threads;
  o.maxBodyBytes = [&holder] { return holder.get()->config().server.maxBodyBytes; };
  o.maxConnections = cfg.server.maxConnections;
  o.headerTimeoutMs = cfg.server.headerTimeoutMs;
  o.bodyTimeoutMs = cfg.server.bodyTimeoutMs;
  o.idleTimeoutMs = cfg.server.idleTimeoutMs;
  o.maxHeaderBytes = static_cast<size_t>(cfg.server.maxHeaderBytes);
  o.tlsCert = cfg.server.tlsCert;
  o.tlsKey = cfg.server.tlsKey;
  return o;
}

bool startServer(http::Server& server, const http::ServerOptions& options) {
  try {
    server.start();
    return true;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cannot serve on %s:%d: %s\n", options.host.c_str(), options.port,
                 e.what());
    return false;
  }
}

std::unique_ptr<store::RetentionPurger> startRetention(store::Db& db, const RoutingHolder& holder) {
  auto purger = std::make_unique<store::RetentionPurger>(
      db,
      [&holder] {
        std::map<std::string, int64_t> byName;
        for (const auto& p : holder.get()->config().projects) byName[p.name] = p.retentionMs;
        return byName;
      },
      systemClock());
  purger->start();
  return purger;
}

}  // namespace dispatch::app
