// libFuzzer target for the YAML config loader (config::loadString: yaml-cpp, the key walker,
// `${VAR}` expansion, durations, sizes, rates, secrets, presets, links). The file is named
// under a directory that does not exist, so relative paths (transforms, TLS files) are not
// found; the environment is a fixed table. Beyond "does not crash":
// - nothing escapes as an exception; a result has either a config or errors, never both;
// - every error reads `<file>:<line>:<col>: …` with a line inside the text;
// - loading is deterministic (the same errors in the same order);
// - an accepted config keeps every documented range and cross-reference: ports, thread and
//   pool counts, positive durations and sizes, slugs (unique across projects), presets and
//   their secrets, links naming a source and destination of their own project.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "core/config/config.h"
#include "core/config/yaml_reader.h"
#include "core/model/retry_policy.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

namespace config = dispatch::config;
using config::internal::isHeaderName;
using config::internal::isSlug;
using dispatch::fuzz::check;

constexpr std::string_view kPath = "/nonexistent-dispatch-fuzz/dispatch.yaml";

std::optional<std::string> env(const std::string& name) {
  if (name == "DATABASE_URL") return std::nullopt;  // the file's own database.url counts
  if (name == "HOOK_SECRET") return "fuzz-hook-secret-0123456789";
  if (name == "SIGNING_SECRET") return "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  if (name == "PORT") return "8080";
  if (name == "EMPTY") return "";
  return std::nullopt;
}

config::LoadResult load(const std::string& text) {
  try {
    return config::loadString(text, std::string(kPath), env);
  } catch (const std::exception& e) {
    check(false, "loadString threw", e.what());
  } catch (...) {
    check(false, "loadString threw a non-exception", text);
  }
  return {};
}

void checkError(const std::string& error, size_t lines) {
  const std::string prefix = std::string(kPath) + ":";
  check(error.rfind(prefix, 0) == 0, "error does not start with the file name", error);
  char* end = nullptr;
  const long line = std::strtol(error.c_str() + prefix.size(), &end, 10);
  check(line >= 1 && static_cast<size_t>(line) <= lines && *end == ':',
        "error line outside the text", error);
  const long col = std::strtol(end + 1, &end, 10);
  check(col >= 1 && end[0] == ':' && end[1] == ' ', "error without a column", error);
}

bool isPreset(const std::string& p) {
  return p == "hmac" || p == "github" || p == "stripe" || p == "shopify" || p == "slack" ||
         p == "standard-webhooks" || p == "api-key" || p == "none";
}

// The policy as the engine uses it: every delay within [0, max_delay], every next attempt after
// now, whatever the jitter and Retry-After.
void checkRetry(const dispatch::model::RetryPolicy& r, const std::string& where) {
  namespace model = dispatch::model;
  check(r.maxAttempts >= 1 && r.maxAttempts <= 100, "max_attempts out of range", where);
  check(r.initialMs >= 0 && r.maxDelayMs >= 0, "negative retry delay", where);
  for (const int64_t d : r.scheduleMs) check(d >= 0, "negative scheduled delay", where);
  constexpr dispatch::TimeMs kNow = 1'700'000'000'000;
  model::AttemptOutcome outcomes[3];
  outcomes[0].kind = model::AttemptOutcome::Kind::kTimeout;
  outcomes[1].kind = model::AttemptOutcome::Kind::kNetwork;
  outcomes[2].httpStatus = 503;
  outcomes[2].retryAfterMs = INT64_MAX;
  for (int attempt = 1; attempt <= r.maxAttempts; ++attempt) {
    for (const double jitter : {-1.0, 0.0, 1.0}) {
      const int64_t delay = model::retryDelayMs(r, attempt, jitter);
      check(delay >= 0 && delay <= r.maxDelayMs, "retry delay outside [0, max_delay]", where);
      for (const model::AttemptOutcome& o : outcomes) {
        const model::Decision d = model::decide(r, attempt, o, kNow, jitter);
        check(d.next != model::NextState::kRetry || d.nextAttemptAt >= kNow,
              "next attempt before now", where);
      }
    }
  }
}

void checkConfig(const config::Config& c) {
  const config::ServerConfig& s = c.server;
  check(!s.listenHost.empty() && s.listenPort >= 0 && s.listenPort <= 65535, "bad listen", "");
  check(s.threads >= 1 && s.threads <= 1024, "threads out of range", "");
  check(s.maxConnections >= 1 && s.maxConnections <= 1'000'000, "max_connections range", "");
  check(s.maxBodyBytes > 0 && s.maxHeaderBytes >= 1024 && s.maxHeaderBytes <= (1 << 20),
        "server sizes out of range", "");
  check(
      s.shutdownGraceMs >= 0 && s.headerTimeoutMs > 0 && s.bodyTimeoutMs > 0 && s.idleTimeoutMs > 0,
      "server durations out of range", "");
  check(s.tlsCert.empty() == s.tlsKey.empty(), "TLS certificate without key", "");
  check(!c.database.url.empty() && c.database.pool >= 1 && c.database.pool <= 256, "database", "");
  const config::DeliveryConfig& d = c.delivery;
  check(d.workers >= 1 && d.workers <= 4096 && d.timeoutMs > 0 && d.maxResponseBytes >= 0 &&
            d.leaseMs >= 0,
        "delivery out of range", "");
  check(c.jobs.maxPayloadBytes > 0 && c.jobs.timeoutMs > 0, "jobs out of range", "");
  checkRetry(c.jobs.retry, "jobs.retry");
  check(c.transforms.maxInstructions >= 1 && c.transforms.maxMemoryBytes > 0, "transforms", "");

  check(!c.projects.empty(), "a config without projects", "");
  std::set<std::string> projectNames, slugs;
  for (const config::ProjectConfig& p : c.projects) {
    check(isSlug(p.name) && projectNames.insert(p.name).second, "bad or repeated project", p.name);
    check(!p.headerPrefix.empty() && p.headerPrefix.size() <= 32, "bad header prefix", p.name);
    check(p.retentionMs > 0, "retention not positive", p.name);
    for (const std::string& secret : p.signingSecrets) {
      check(config::internal::isWhsecSecret(secret), "signing secret not whsec_", p.name);
    }
    std::set<std::string> sources, destinations;
    for (const config::SourceConfig& src : p.sources) {
      check(isSlug(src.slug) && slugs.insert(src.slug).second, "bad or repeated slug", src.slug);
      sources.insert(src.slug);
      const std::string& preset = src.verify.preset;
      check(isPreset(preset), "unknown preset", preset);
      const bool keyless = preset == "none" || preset == "api-key";
      check(keyless == src.verify.secrets.empty(), "secrets do not match the preset", src.slug);
      for (const std::string& secret : src.verify.secrets) {
        check(!secret.empty(), "an empty source secret", src.slug);
      }
      check(preset != "none" || src.allowUnsigned, "preset none without allow_unsigned", src.slug);
      check(src.verify.toleranceMs > 0, "tolerance not positive", src.slug);
      check(src.eventType.header.empty() || src.eventType.path.empty(), "two event types",
            src.slug);
      if (!src.eventType.header.empty()) {
        check(isHeaderName(src.eventType.header), "bad event-type header", src.slug);
      }
      if (!src.idempotencyHeader.empty()) {
        check(isHeaderName(src.idempotencyHeader), "bad idempotency header", src.slug);
      }
    }
    for (const config::DestinationConfig& dest : p.destinations) {
      check(!dest.name.empty() && destinations.insert(dest.name).second,
            "bad or repeated destination", dest.name);
      check(!dest.type.empty(), "destination without a type", dest.name);
      check(!dest.timeoutMs || *dest.timeoutMs > 0, "destination timeout not positive", dest.name);
      check(!dest.rateLimitPerSec || *dest.rateLimitPerSec > 0, "rate limit not positive",
            dest.name);
      checkRetry(dest.retry, dest.name);
      for (const auto& [name, value] : dest.headers) {
        check(isHeaderName(name) && value.find_first_of("\r\n") == std::string::npos,
              "bad destination header", name);
      }
      for (const std::string& secret : dest.secrets) {
        check(config::internal::isWhsecSecret(secret), "destination secret not whsec_", dest.name);
      }
    }
    for (const config::LinkConfig& link : p.links) {
      check(sources.count(link.source) && destinations.count(link.destination),
            "a link names a source or destination outside its project", link.location);
      check(link.lua.empty() == link.transformName.empty(), "transform name without code",
            link.location);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const config::LoadResult first = load(text);
  check((first.config != nullptr) != !first.errors.empty(), "config and errors together", text);
  size_t lines = 1;
  for (const char c : text) lines += c == '\n';
  for (const std::string& error : first.errors) checkError(error, lines);

  const config::LoadResult second = load(text);
  check(second.errors == first.errors && (second.config != nullptr) == (first.config != nullptr),
        "loading twice gives different results", text);
  if (first.config) checkConfig(*first.config);
  return 0;
}
