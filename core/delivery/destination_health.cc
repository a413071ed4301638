// Destination gates and health on one node.
#include "core/delivery/destination_health.h"

#include <chrono>

#include "core/model/ids.h"
#include "core/util/log.h"
#include "core/util/metrics.h"

namespace dispatch::delivery {
namespace {

constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kKeepMinutesMs = 2 * 3'600'000;  // the API reads one hour; two are kept
// A trial slot another node took (its id is read at the next refresh).
const char* const kTakenElsewhere = "-";

std::string keyOf(const std::string& projectId, const std::string& name) {
  return projectId + "/" + name;
}

// A Prometheus label value: backslash, quote and newline escaped.
std::string labelValue(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

DestinationHealth::DestinationHealth(store::Db& db, RoutingFn routing, const Clock& clock,
                                     DueFn notifyDue, int64_t refreshMs)
    : db_(db),
      store_(db_),
      routing_(std::move(routing)),
      clock_(clock),
      notifyDue_(std::move(notifyDue)),
      refreshMs_(refreshMs) {}

DestinationHealth::~DestinationHealth() { stop(); }

void DestinationHealth::start() {
  refresh(clock_.nowMs());  // gates known before the first claim
  thread_ = std::thread([this] { loop(); });
}

void DestinationHealth::stop() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

bool DestinationHealth::mayAttempt(const std::string& projectId,
                                   const config::DestinationConfig& dc, const std::string& id) {
  const std::string key = keyOf(projectId, dc.name);
  {
    std::lock_guard<std::mutex> g(mu_);
    auto it = gates_.find(key);
    if (it == gates_.end()) return true;
    switch (admit(it->second, id, dc.circuitBreaker.enabled)) {
      case Admission::kAttempt:
        return true;
      case Admission::kHold:
        return false;
      case Admission::kTakeTrial:
        break;
    }
  }
  auto taken = store_.takeTrial(projectId, dc.name, id);
  std::lock_guard<std::mutex> g(mu_);
  auto it = gates_.find(key);
  if (taken && *taken) {
    if (it != gates_.end()) it->second.trialId = id;
    log::info("circuit trial", {{"destination", dc.name}, {"delivery_id", id}});
    return true;
  }
  if (it != gates_.end() && it->second.trialId.empty()) it->second.trialId = kTakenElsewhere;
  return false;
}

void DestinationHealth::record(const std::string& projectId, const config::DestinationConfig& dc,
                               const std::string& id, const plugin::DeliveryResult& result,
                               const std::optional<std::string>& error, TimeMs at) {
  const std::string key = keyOf(projectId, dc.name);
  const bool success = result.kind == plugin::DeliveryResult::Kind::kHttp && result.status >= 200 &&
                       result.status < 300;
  std::lock_guard<std::mutex> g(mu_);
  store::DestinationTally& t = tallies_[key];
  t.projectId = projectId;
  t.destination = dc.name;
  auto& counts = t.minutes[at - at % kMinuteMs];
  ++counts.first;
  if (success) {
    ++counts.second;
    t.lastSuccessAt = at;
  } else {
    t.lastFailureAt = at;
    t.lastError = error;
  }
  auto gate = gates_.find(key);
  const model::Gate current = gate == gates_.end() ? model::Gate{} : gate->second;
  CircuitChange change = runs_[key].record(current, id, receiverFailing(result),
                                           receiverAlive(result), dc.circuitBreaker);
  if (change == CircuitChange::kNone) return;
  // This node acts on the change at once; the store hears of it in a moment.
  model::Gate next = current;
  next.trialId.clear();
  if (change == CircuitChange::kClose) {
    next.circuit = model::Circuit::kClosed;
  } else {
    next.circuit = model::Circuit::kOpen;
    next.openedAt = at;
  }
  if (next.paused || next.circuit != model::Circuit::kClosed) {
    gates_[key] = next;
  } else if (gate != gates_.end()) {
    gates_.erase(gate);
  }
  changes_.push_back(Change{change, projectId, dc.name, id, dc.circuitBreaker.failures});
  kicked_ = true;
  cv_.notify_one();
}

void DestinationHealth::refreshNow() {
  std::lock_guard<std::mutex> g(mu_);
  refreshAsked_ = true;
  kicked_ = true;
  cv_.notify_one();
}

void DestinationHealth::loop() {
  auto nextRefresh = std::chrono::steady_clock::now();
  while (true) {
    std::vector<Change> changes;
    bool refreshDue;
    bool stopping;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_until(lock, nextRefresh, [&] { return kicked_ || stopping_; });
      changes.swap(changes_);
      refreshDue = refreshAsked_ || std::chrono::steady_clock::now() >= nextRefresh;
      refreshAsked_ = false;
      kicked_ = false;
      stopping = stopping_;
    }
    auto routing = routing_();
    for (const Change& c : changes) apply(c, routing.get());
    if (refreshDue || stopping || !changes.empty()) {
      refresh(clock_.nowMs());
      nextRefresh = std::chrono::steady_clock::now() + std::chrono::milliseconds(refreshMs_);
    }
    if (stopping) return;
  }
}

void DestinationHealth::apply(const Change& c, const route::Routing* routing) {
  const config::ProjectConfig* project = routing ? routing->project(c.projectId) : nullptr;
  const std::string projectName = project ? project->name : c.projectId;
  Result<bool> changed = true;
  const char* what = "";
  switch (c.kind) {
    case CircuitChange::kOpen:
      changed = store_.openCircuit(c.projectId, c.destination);
      what = "circuit opened";
      break;
    case CircuitChange::kClose:
      changed = store_.closeCircuit(c.projectId, c.destination, c.deliveryId);
      what = "circuit closed";
      break;
    case CircuitChange::kReopen:
      changed = store_.reopenCircuit(c.projectId, c.destination, c.deliveryId);
      what = "circuit opened again: the trial failed";
      break;
    case CircuitChange::kNone:
      return;
  }
  if (!changed) {
    // Tried again with the next round: a circuit change must not be lost to a store hiccup.
    log::warn("circuit change not stored; trying again",
              {{"destination", c.destination}, {"error", changed.status().message()}});
    std::lock_guard<std::mutex> g(mu_);
    changes_.push_back(c);
    return;
  }
  if (!*changed) return;  // another node made it already, or it no longer applies
  if (c.kind == CircuitChange::kOpen) {
    log::warn(what,
              {{"project", projectName}, {"destination", c.destination}, {"failures", c.failures}});
  } else if (c.kind == CircuitChange::kReopen) {
    log::warn(what, {{"project", projectName}, {"destination", c.destination}});
  } else {
    log::info(what, {{"project", projectName}, {"destination", c.destination}});
    notifyDue_(0);  // what it held is claimable again
  }
}

void DestinationHealth::refresh(TimeMs now) {
  std::vector<store::DestinationTally> tallies;
  {
    std::lock_guard<std::mutex> g(mu_);
    for (auto& [key, t] : tallies_) tallies.push_back(std::move(t));
    tallies_.clear();
  }
  if (!tallies.empty()) {
    Status st = store_.flush(tallies, now - kKeepMinutesMs);
    if (!st) log::warn("destination counts not stored", {{"error", st.message()}});
  }
  auto routing = routing_();
  auto gates = store_.gates();
  if (!gates) {
    log::warn("destination gates not read", {{"error", gates.status().message()}});
  } else {
    std::lock_guard<std::mutex> g(mu_);
    gates_ = std::move(gates.value());
  }
  std::map<std::string, model::Gate> current;
  {
    std::lock_guard<std::mutex> g(mu_);
    current = gates_;
  }
  for (const auto& [key, gate] : current) {
    const size_t slash = key.find('/');
    const std::string projectId = key.substr(0, slash);
    const std::string name = key.substr(slash + 1);
    const route::DestinationEntry* dest = routing ? routing->destination(projectId, name) : nullptr;
    if (dest == nullptr) continue;  // no longer configured: nothing of it is attempted
    const config::CircuitBreakerConfig& cb = dest->config->circuitBreaker;
    if (!cb.enabled && gate.circuit != model::Circuit::kClosed) {
      if (store_.forceClose(projectId, name)) {
        log::info("circuit closed: circuit_breaker is off",
                  {{"project", dest->project->name}, {"destination", name}});
        notifyDue_(0);
      }
      continue;
    }
    if (gate.paused) continue;
    if (gate.circuit == model::Circuit::kHalfOpen && gate.trialId.empty()) {
      // A free slot and held deliveries: one of them becomes the trial, or none ever would.
      auto trial = store_.ensureTrial(projectId, name);
      if (trial && trial->has_value()) {
        log::info("circuit trial", {{"destination", name}, {"delivery_id", trial->value()}});
        notifyDue_(0);
      }
      continue;
    }
    if (!coolDownOver(gate, cb, now)) continue;
    auto trial = store_.halfOpen(projectId, name, cb.coolDownMs);
    if (!trial || !trial->has_value()) continue;
    log::info("circuit half-open",
              {{"project", dest->project->name},
               {"destination", name},
               {"trial", trial->value().empty() ? "the next delivery" : trial->value()}});
    {
      std::lock_guard<std::mutex> g(mu_);
      auto it = gates_.find(key);
      if (it != gates_.end()) {
        it->second.circuit = model::Circuit::kHalfOpen;
        it->second.trialId = trial->value();
      }
    }
    if (!trial->value().empty()) notifyDue_(0);
  }
  renderMetrics(routing.get());
}

void DestinationHealth::renderMetrics(const route::Routing* routing) {
  if (routing == nullptr) return;
  static const char* const kStates[] = {"healthy", "open", "half-open", "paused"};
  std::string out =
      "# HELP dispatch_destination_state Each destination's state: 1 for the current one of "
      "healthy, open, half-open, paused.\n"
      "# TYPE dispatch_destination_state gauge\n";
  std::lock_guard<std::mutex> g(mu_);
  for (const auto& p : routing->config().projects) {
    const std::string projectId = model::projectIdFor(p.name);
    for (const auto& d : p.destinations) {
      auto it = gates_.find(keyOf(projectId, d.name));
      const std::string_view state =
          it == gates_.end() ? std::string_view("healthy") : model::stateName(it->second);
      for (const char* s : kStates) {
        out += "dispatch_destination_state{project=\"" + labelValue(p.name) + "\",destination=\"" +
               labelValue(d.name) + "\",state=\"" + s + "\"} " + (state == s ? "1" : "0") + "\n";
      }
    }
  }
  metrics::setBlock("destinations", std::move(out));
}

}  // namespace dispatch::delivery
