// Building the routing table and planning an event's deliveries.
#include "core/route/routing.h"

#include "core/filter/filter.h"
#include "core/model/ids.h"
#include "core/net/network_policy.h"
#include "core/plugin/destinations.h"
#include "core/plugin/registry.h"
#include "core/route/glob.h"
#include "core/route/transform_limits.h"
#include "core/transform/transform.h"
#include "core/util/uuid.h"
#include "core/verify/signer.h"
#include "core/verify/verifier.h"

namespace dispatch::route {
namespace {

std::string destKey(const std::string& projectId, const std::string& name) {
  return projectId + '/' + name;
}

bool passes(const std::shared_ptr<const filter::Filter>& f, const model::IncomingEvent& e,
            json::LazyValue& body) {
  return f == nullptr || f->matches(body, e.headers);
}

}  // namespace

std::string endpointIdFor(const std::string& project, const std::string& slug) {
  return stableUuid("dispatch.source", project + "/" + slug);
}

std::shared_ptr<const Routing> Routing::build(std::shared_ptr<const config::Config> cfg,
                                              const plugin::Registry& registry,
                                              const plugin::Services& services,
                                              std::vector<std::string>* errors) {
  auto r = std::shared_ptr<Routing>(new Routing());
  r->cfg_ = cfg;
  for (const auto& p : cfg->projects) {
    std::string pid = model::projectIdFor(p.name);
    r->projects_.emplace(pid, &p);
    for (const auto& s : p.sources) {
      SourceEntry e;
      e.project = &p;
      e.source = &s;
      e.projectId = pid;
      e.endpointId = endpointIdFor(p.name, s.slug);
      e.verifier = verify::makeVerifier(s.verify.preset, s.verify.secrets, s.verify.toleranceMs);
      r->sources_.emplace(s.slug, std::move(e));
    }
    for (const auto& d : p.destinations) {
      if (!d.url.empty()) {
        // Refuse at load what every attempt would refuse: a URL the network policy blocks.
        net::NetworkPolicy policy{cfg->delivery.allowHttp, cfg->delivery.allowPrivateNetworks};
        if (Status st = net::checkUrl(d.url, policy); !st) {
          errors->push_back(d.location + ": projects[" + std::to_string(&p - cfg->projects.data()) +
                            "].destinations[" + std::to_string(&d - p.destinations.data()) +
                            "].url: " + st.message());
          continue;
        }
      }
      auto impl = plugin::createDestination(registry, *cfg, d, services);
      if (!impl) {
        errors->push_back(impl.status().message());
        continue;
      }
      DestinationEntry e;
      e.project = &p;
      e.config = &d;
      e.impl = std::move(impl).value();
      e.signingKeys = verify::decodeSigningKeys(d.secrets.empty() ? p.signingSecrets : d.secrets);
      r->destinations_.emplace(destKey(pid, d.name), std::move(e));
    }
    for (const auto& l : p.links) {
      LinkEntry e;
      e.link = &l;
      auto it = r->destinations_.find(destKey(pid, l.destination));
      if (it == r->destinations_.end()) continue;  // reported above or by the loader
      e.destination = &it->second;
      if (!l.lua.empty()) {
        auto t = transform::Transform::compile(l.transformName, l.lua, transformLimits(*cfg),
                                               l.source + "->" + l.destination);
        if (!t) {
          errors->push_back(l.location + ": transform: " + t.status().message());
          continue;
        }
        e.transform = t.value();
      }
      r->links_[l.source].push_back(std::move(e));
    }
  }
  if (!errors->empty()) return nullptr;
  return r;
}

const SourceEntry* Routing::source(std::string_view slug) const {
  auto it = sources_.find(slug);
  return it == sources_.end() ? nullptr : &it->second;
}

const config::ProjectConfig* Routing::project(const std::string& projectId) const {
  auto it = projects_.find(projectId);
  return it == projects_.end() ? nullptr : it->second;
}

const DestinationEntry* Routing::destination(const std::string& projectId,
                                             const std::string& name) const {
  auto it = destinations_.find(destKey(projectId, name));
  return it == destinations_.end() ? nullptr : &it->second;
}

model::RoutePlan Routing::plan(const model::IncomingEvent& e) const {
  json::LazyValue body(e.body);
  return plan(e, body);
}

model::RoutePlan Routing::plan(const model::IncomingEvent& e, json::LazyValue& body) const {
  model::RoutePlan plan;
  auto it = links_.find(e.source);
  if (it == links_.end()) return plan;
  for (const LinkEntry& l : it->second) {
    const config::DestinationConfig& dc = *l.destination->config;
    if (!anyGlobMatches(l.link->events, e.eventType)) {
      plan.skips.push_back({dc.name, "event type filter"});
      continue;
    }
    // Both filters must hold; checked before the transform, which a turned-away link never runs.
    if (!passes(l.link->filter, e, body) || !passes(dc.filter, e, body)) {
      plan.skips.push_back({dc.name, "filter did not match"});
      continue;
    }
    model::PlannedDelivery d;
    d.id = newUuidV7();
    d.destination = dc.name;
    d.url = dc.url;
    d.eventType = e.eventType;
    if (l.transform) {
      transform::EventInput in{e.id, e.source, e.eventType, e.headers, e.query, e.body};
      transform::Output out = l.transform->run(in);
      if (out.kind == transform::Output::Kind::kDrop) {
        plan.skips.push_back({dc.name, "transform returned nil"});
        continue;
      }
      if (out.kind == transform::Output::Kind::kError) {
        d.state = model::State::kDead;
        d.error = out.error;
      } else {
        if (out.bodyChanged) d.body = std::move(out.body);
        d.headersOut = std::move(out.headersOut);
        d.eventType = out.type;
      }
    }
    if (d.state != model::State::kDead && !anyGlobMatches(dc.events, d.eventType)) {
      plan.skips.push_back({dc.name, "event type filter"});
      continue;
    }
    plan.deliveries.push_back(std::move(d));
  }
  return plan;
}

}  // namespace dispatch::route
