// The steps of a node's start, each with one job. A step that fails has printed why on
// stderr; the caller only stops.
#pragma once

#include <memory>
#include <string>

#include "core/app/runtime.h"
#include "core/config/config.h"
#include "core/delivery/engine.h"
#include "core/delivery/http_sender.h"
#include "core/http/server.h"
#include "core/net/http_client.h"
#include "core/plugin/registry.h"
#include "core/store/db.h"
#include "core/store/retention.h"

namespace dispatch::app {

// The config file's first snapshot, with `registry` filled from it (built-ins and
// plugins_dir). Null after printing the errors.
std::shared_ptr<const config::Config> loadStartupConfig(const std::string& path,
                                                        plugin::Registry& registry);

// Applies the pending migrations, logging each. False after printing the error.
bool migrateStore(const std::string& url);

// Outbound HTTP as destinations see it: the client pool under the config's network policy.
struct Outbound {
  explicit Outbound(const config::Config& cfg);
  Outbound(const Outbound&) = delete;
  Outbound& operator=(const Outbound&) = delete;

  net::HttpClient http;
  delivery::PolicyHttpSender sender;
  plugin::Services services;  // for destinations: `sender`
};

// The routing table of `cfg`. Null after printing the errors.
std::shared_ptr<const route::Routing> buildRouting(std::shared_ptr<const config::Config> cfg,
                                                   const plugin::Registry& registry,
                                                   const plugin::Services& services);

// Inserts the config's projects that the store does not have yet.
Status syncProjects(store::Db& db, const config::Config& cfg);

delivery::EngineOptions engineOptions(const config::Config& cfg);

// The front door's options from the config at start; the body limit follows reloads.
http::ServerOptions serverOptions(const config::Config& cfg, const RoutingHolder& holder);

// Binds and starts serving. False after printing why.
bool startServer(http::Server& server, const http::ServerOptions& options);

// The retention purger, started, with each project's retention read from the current
// snapshot at every pass.
std::unique_ptr<store::RetentionPurger> startRetention(store::Db& db, const RoutingHolder& holder);

}  // namespace dispatch::app
