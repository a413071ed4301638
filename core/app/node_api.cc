// Wiring of the REST API's services and routes.
#include "core/app/node_api.h"

namespace dispatch::app {

NodeApi::NodeApi(store::Db& db, store::GroupCommitter& committer, delivery::Engine& engine,
                 const RoutingHolder& holder, ConfigReloader& reloader,
                 jobs::ScheduleTicker& ticker)
    : ingestEvents_(db, &committer),
      ingestKeys_(db),
      ingest_(ingestEvents_, ingestKeys_, systemClock(), &engine),
      jobs_(
          db, [&holder] { return holder.get()->configPtr(); }, systemClock(), &committer,
          [&engine](TimeMs due) { engine.notifyDue(due); }),
      keys_(db),
      schedules_(
          db, [&holder] { return holder.get()->configPtr(); }, systemClock(),
          [&ticker] { ticker.wake(); }),
      events_(
          db, [&holder] { return holder.get(); }, [&engine](TimeMs due) { engine.notifyDue(due); }),
      destinations_(
          db, [&holder] { return holder.get(); }, systemClock(),
          [&engine](TimeMs due) { engine.notifyDue(due); },
          [&engine] { engine.health().refreshNow(); }),
      catalog_([&holder] { return holder.get(); }),
      readiness_(db.url()),
      ctx_{.jobs = jobs_,
           .keys = keys_,
           .schedules = schedules_,
           .events = events_,
           .destinations = destinations_,
           .catalog = catalog_,
           .ingest = ingest_,
           .config = [&holder] { return holder.get()->configPtr(); },
           .routing = [&holder] { return holder.get(); },
           .notifyDue = [&engine](TimeMs due) { engine.notifyDue(due); },
           .reload = [&reloader] { return reloader.reload(); },
           .storeReady = [this] { return readiness_.ready(); },
           .authThrottle = &authThrottle_} {
  http::addHealthRoutes(router_, ctx_);
  http::addKeyRoutes(router_, ctx_);
  http::addJobRoutes(router_, ctx_);
  http::addScheduleRoutes(router_, ctx_);
  http::addHookRoutes(router_, ctx_);
  http::addEventRoutes(router_, ctx_);
  http::addDestinationRoutes(router_, ctx_);
  http::addTransformRoutes(router_, ctx_);
  http::addAdminRoutes(router_, ctx_);
  http::addCatalogRoutes(router_, ctx_);
  http::addUiRoutes(router_);
}

}  // namespace dispatch::app
