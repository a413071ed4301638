// Config → transform::Limits (transform_limits.h).
#include "core/route/transform_limits.h"

namespace dispatch::route {

transform::Limits transformLimits(const config::Config& cfg) {
  transform::Limits l;
  l.maxInstructions = cfg.transforms.maxInstructions;
  l.maxCpuTimeMs = cfg.transforms.cpuTimeMs;
  l.maxMemoryBytes = cfg.transforms.maxMemoryBytes;
  l.maxOutputBytes = cfg.server.maxBodyBytes;
  l.maxHeaders = cfg.transforms.maxHeaders;
  l.maxHeaderBytes = cfg.transforms.maxHeaderBytes;
  l.maxErrorBytes = cfg.transforms.maxErrorBytes;
  return l;
}

}  // namespace dispatch::route
