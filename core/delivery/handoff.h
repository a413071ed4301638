// Work created on this node can go straight to its engine: the creator reserves room,
// stores the delivery already leased to this node (FIRING, lease_seq 1), and after the
// commit hands it over, so no claim query or claim update is needed. If the node dies
// before the attempt, the lease runs out and any node re-claims it (nothing is lost).
#pragma once

#include <cstdint>
#include <vector>

#include "core/model/delivery.h"

namespace dispatch::delivery {

class Handoff {
 public:
  virtual ~Handoff() = default;
  // Reserves room for up to `n` deliveries; returns how many were granted (maybe 0).
  virtual int reserve(int n) = 0;
  // Hands over what was stored leased (at most the reservation) and ends the reservation
  // of `reserved`. Call exactly once per reserve(), with an empty list if nothing was stored.
  virtual void handOver(std::vector<model::Claimed> items, int reserved) = 0;
  // How long a handed-over delivery's lease is stored for; renewed while held.
  virtual int64_t leaseMs() const = 0;
};

}  // namespace dispatch::delivery
