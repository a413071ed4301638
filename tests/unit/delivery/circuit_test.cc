// The circuit breaker's rules: what counts as a failing receiver, the gate's admissions, a
// node's run of failures, and the cool-down on an injected clock — walked through every
// transition: closed → open → half-open → closed, and half-open → open again.
#include "core/delivery/circuit.h"

#include <gtest/gtest.h>

#include "tests/unit/delivery/manual_clock.h"

namespace dispatch::delivery {
namespace {

using Kind = plugin::DeliveryResult::Kind;

plugin::DeliveryResult http(int status) {
  plugin::DeliveryResult r;
  r.kind = Kind::kHttp;
  r.status = status;
  return r;
}

plugin::DeliveryResult of(Kind k) {
  plugin::DeliveryResult r;
  r.kind = k;
  r.error = "x";
  return r;
}

config::CircuitBreakerConfig policy(int failures, int64_t coolDownMs) {
  config::CircuitBreakerConfig c;
  c.failures = failures;
  c.coolDownMs = coolDownMs;
  return c;
}

TEST(Circuit, WhatCountsAsTheReceiverFailing) {
  for (int s : {500, 502, 503, 504, 599, 408, 429}) {
    EXPECT_TRUE(receiverFailing(http(s))) << s;
    EXPECT_FALSE(receiverAlive(http(s))) << s;
  }
  EXPECT_TRUE(receiverFailing(of(Kind::kTimeout)));
  EXPECT_TRUE(receiverFailing(of(Kind::kNetwork)));
  for (int s : {200, 204, 299, 301, 400, 401, 404, 410, 422}) {
    EXPECT_FALSE(receiverFailing(http(s))) << s;
    EXPECT_TRUE(receiverAlive(http(s))) << s;
  }
  // A plugin's own error (a bad template, a file it may not write) says nothing either way.
  EXPECT_FALSE(receiverFailing(of(Kind::kPermanent)));
  EXPECT_FALSE(receiverAlive(of(Kind::kPermanent)));
}

TEST(Circuit, AdmissionsThroughTheGate) {
  model::Gate g;
  EXPECT_EQ(admit(g, "d1", true), Admission::kAttempt);
  g.circuit = model::Circuit::kOpen;
  EXPECT_EQ(admit(g, "d1", true), Admission::kHold);
  EXPECT_EQ(admit(g, "d1", false), Admission::kAttempt) << "circuit_breaker: off ignores it";
  g.circuit = model::Circuit::kHalfOpen;
  EXPECT_EQ(admit(g, "d1", true), Admission::kTakeTrial) << "a free slot";
  g.trialId = "d1";
  EXPECT_EQ(admit(g, "d1", true), Admission::kAttempt) << "the trial itself";
  EXPECT_EQ(admit(g, "d2", true), Admission::kHold) << "everything else waits for it";
  g = model::Gate{};
  g.paused = true;
  EXPECT_EQ(admit(g, "d1", true), Admission::kHold);
  EXPECT_EQ(admit(g, "d1", false), Admission::kHold) << "a pause holds with the breaker off";
  g.circuit = model::Circuit::kHalfOpen;
  g.trialId = "d1";
  EXPECT_EQ(admit(g, "d1", true), Admission::kHold) << "a pause holds the trial too";
}

TEST(Circuit, ARunOfFailuresOpensAndAnAliveAnswerEndsIt) {
  const auto cfg = policy(3, 60'000);
  FailureRun run;
  model::Gate closed;
  EXPECT_EQ(run.record(closed, "a", true, false, cfg), CircuitChange::kNone);
  EXPECT_EQ(run.record(closed, "b", true, false, cfg), CircuitChange::kNone);
  EXPECT_EQ(run.length(), 2);
  // A 404 shows the receiver alive: the run starts over.
  EXPECT_EQ(run.record(closed, "c", false, true, cfg), CircuitChange::kNone);
  EXPECT_EQ(run.length(), 0);
  // A plugin's permanent error neither counts nor ends the run.
  EXPECT_EQ(run.record(closed, "d", true, false, cfg), CircuitChange::kNone);
  EXPECT_EQ(run.record(closed, "e", false, false, cfg), CircuitChange::kNone);
  EXPECT_EQ(run.length(), 1);
  EXPECT_EQ(run.record(closed, "f", true, false, cfg), CircuitChange::kNone);
  EXPECT_EQ(run.record(closed, "g", true, false, cfg), CircuitChange::kOpen);
  EXPECT_EQ(run.length(), 0);
  // Failures of attempts already in flight when it opened change nothing more.
  model::Gate open;
  open.circuit = model::Circuit::kOpen;
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(run.record(open, "late", true, false, cfg), CircuitChange::kNone);
  }
}

TEST(Circuit, OffNeverOpens) {
  auto cfg = policy(1, 1'000);
  cfg.enabled = false;
  FailureRun run;
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(run.record(model::Gate{}, "x", true, false, cfg), CircuitChange::kNone);
  }
}

// The whole cycle on an injected clock, as DestinationHealth drives it.
TEST(Circuit, OpenCoolDownTrialCloseAndReopen) {
  test::ManualClock clock;
  const auto cfg = policy(2, 30'000);
  FailureRun run;
  model::Gate gate;
  auto apply = [&](CircuitChange c) {
    if (c == CircuitChange::kOpen || c == CircuitChange::kReopen) {
      gate.circuit = model::Circuit::kOpen;
      gate.openedAt = clock.nowMs();
      gate.trialId.clear();
    } else if (c == CircuitChange::kClose) {
      gate = model::Gate{};
    }
  };
  apply(run.record(gate, "a", true, false, cfg));
  apply(run.record(gate, "b", true, false, cfg));
  ASSERT_EQ(gate.circuit, model::Circuit::kOpen);
  EXPECT_EQ(admit(gate, "c", true), Admission::kHold);

  clock.advance(29'999);
  EXPECT_FALSE(coolDownOver(gate, cfg, clock.nowMs()));
  clock.advance(1);
  ASSERT_TRUE(coolDownOver(gate, cfg, clock.nowMs()));
  gate.circuit = model::Circuit::kHalfOpen;  // the store picks the trial
  gate.trialId = "c";
  EXPECT_EQ(admit(gate, "c", true), Admission::kAttempt);
  EXPECT_EQ(admit(gate, "d", true), Admission::kHold);
  EXPECT_FALSE(coolDownOver(gate, cfg, clock.nowMs())) << "only an open circuit cools down";

  // The trial fails: open again, the cool-down counted from now.
  apply(run.record(gate, "c", true, false, cfg));
  ASSERT_EQ(gate.circuit, model::Circuit::kOpen);
  EXPECT_EQ(gate.openedAt, clock.nowMs());
  clock.advance(29'000);
  EXPECT_FALSE(coolDownOver(gate, cfg, clock.nowMs()));
  clock.advance(1'000);
  ASSERT_TRUE(coolDownOver(gate, cfg, clock.nowMs()));
  gate.circuit = model::Circuit::kHalfOpen;
  gate.trialId = "c";

  // A failure of another delivery in flight does not decide the trial.
  EXPECT_EQ(run.record(gate, "other", true, false, cfg), CircuitChange::kNone);
  ASSERT_EQ(gate.circuit, model::Circuit::kHalfOpen);
  // The trial reaches the receiver (even a 4xx shows it alive): closed.
  apply(run.record(gate, "c", false, true, cfg));
  EXPECT_EQ(gate.circuit, model::Circuit::kClosed);
  EXPECT_EQ(admit(gate, "d", true), Admission::kAttempt);
  // And it takes a whole new run to open again.
  apply(run.record(gate, "e", true, false, cfg));
  EXPECT_EQ(gate.circuit, model::Circuit::kClosed);
}

TEST(Circuit, ATrialEndedByThePluginsOwnErrorCloses) {
  FailureRun run;
  model::Gate gate;
  gate.circuit = model::Circuit::kHalfOpen;
  gate.trialId = "t";
  EXPECT_EQ(run.record(gate, "t", false, false, policy(3, 1'000)), CircuitChange::kClose);
}

TEST(Circuit, StateNames) {
  model::Gate g;
  EXPECT_EQ(model::stateName(g), "healthy");
  g.circuit = model::Circuit::kOpen;
  EXPECT_EQ(model::stateName(g), "open");
  g.circuit = model::Circuit::kHalfOpen;
  EXPECT_EQ(model::stateName(g), "half-open");
  g.paused = true;
  EXPECT_EQ(model::stateName(g), "paused");
  EXPECT_EQ(model::circuitFromString("half-open"), model::Circuit::kHalfOpen);
  EXPECT_EQ(model::circuitFromString("open"), model::Circuit::kOpen);
  EXPECT_EQ(model::circuitFromString("closed"), model::Circuit::kClosed);
}

}  // namespace
}  // namespace dispatch::delivery
