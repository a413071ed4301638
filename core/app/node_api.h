// A node's REST API, assembled: the services the handlers call (each over the node's store),
// the failed-authentication throttle, the readiness probe, and the router with every route.
#pragma once

#include "core/app/readiness.h"
#include "core/app/reloader.h"
#include "core/app/runtime.h"
#include "core/delivery/engine.h"
#include "core/http/api.h"
#include "core/http/auth_throttle.h"
#include "core/http/router.h"
#include "core/jobs/schedule_ticker.h"
#include "core/store/db.h"
#include "core/store/event_store.h"
#include "core/store/group_commit.h"
#include "core/store/key_store.h"

namespace dispatch::app {

class NodeApi {
 public:
  // Everything referenced outlives the NodeApi. Opens the readiness probe's connection.
  NodeApi(store::Db& db, store::GroupCommitter& committer, delivery::Engine& engine,
          const RoutingHolder& holder, ConfigReloader& reloader, jobs::ScheduleTicker& ticker);
  NodeApi(const NodeApi&) = delete;
  NodeApi& operator=(const NodeApi&) = delete;

  const http::Router& router() const { return router_; }

 private:
  // Ingest's stores: events group-committed with other requests.
  store::EventStore ingestEvents_;
  store::KeyStore ingestKeys_;
  ingest::IngestService ingest_;
  jobs::JobService jobs_;
  jobs::KeyService keys_;
  jobs::ScheduleService schedules_;
  ingest::EventService events_;
  ingest::DestinationService destinations_;
  ingest::CatalogService catalog_;
  http::AuthThrottle authThrottle_;
  ReadinessProbe readiness_;
  http::ApiContext ctx_;
  http::Router router_;
};

}  // namespace dispatch::app
