// The immutable, typed configuration snapshot (contracts/config.md). A reload builds a
// new snapshot and swaps a shared_ptr<const Config>; nothing mutates a loaded Config.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/model/retry_policy.h"

namespace dispatch::crypto {
class KeyRing;  // core/crypto/key_ring.h
}  // namespace dispatch::crypto
namespace dispatch::filter {
class Filter;  // core/filter/filter.h
}  // namespace dispatch::filter

namespace dispatch::config {

// `server.auth_failures`: failed API-key/admin-token attempts per client address.
struct AuthFailuresConfig {
  int limit = 20;             // failures per window; 0 turns the throttle off. Default: 20
  int64_t windowMs = 60'000;  // Default: 1m
  int maxAddresses = 10'000;  // addresses tracked at once. Default: 10000
};

struct ServerConfig {
  std::string listenHost = "127.0.0.1";  // from `listen: host:port`
  int listenPort = 8080;                 // 0: any free port (logged at start)
  int64_t maxBodyBytes = 1 << 20;        // Default: 1MiB
  int threads = 32;                      // HTTP worker threads. Default: 32
  int64_t shutdownGraceMs = 10'000;      // `shutdown_grace`. Default: 10s
  int maxConnections = 10'000;           // open client connections. Default: 10000
  int64_t headerTimeoutMs = 10'000;      // a request's header block. Default: 10s
  int64_t bodyTimeoutMs = 30'000;        // a request's body after its header. Default: 30s
  int64_t idleTimeoutMs = 60'000;        // a keep-alive connection without a request. Default: 60s
  int64_t maxHeaderBytes = 64 << 10;     // request line + header fields. Default: 64KiB
  std::string tlsCert;                   // PEM certificate (chain); empty: plain HTTP
  std::string tlsKey;                    // PEM private key; set together with tlsCert
  AuthFailuresConfig authFailures;       // `auth_failures`
};

struct DatabaseConfig {
  std::string url;  // libpq URI; env DATABASE_URL overrides
  int pool = 8;     // Default: 8
};

struct AdminConfig {
  std::string token;  // empty: admin endpoints answer 401
};

struct DeliveryConfig {
  int workers = 64;                     // concurrent outbound requests per node. Default: 64
  int64_t timeoutMs = 15'000;           // per attempt. Default: 15s
  int64_t maxResponseBytes = 64 << 10;  // stored per attempt. Default: 64KiB
  bool allowHttp = false;               // Default: false (https only)
  bool allowPrivateNetworks = false;    // Default: false (SSRF guard on)
  std::string caFile;                   // extra trusted CA bundle (PEM). Default: none
  // How long a claim on a delivery lasts unless renewed: a dead node's work is claimed
  // again by the others about this long after its death. Default: 3s
  int64_t leaseMs = 3'000;
  // How often a node renews the leases it holds; below leaseMs / 2. 0 = leaseMs / 3.
  // Default: 0
  int64_t heartbeatMs = 0;
};

struct JobsConfig {
  int64_t maxPayloadBytes = 64 << 10;  // Default: 64KiB
  int64_t timeoutMs = 15'000;          // Default: 15s
  model::RetryPolicy retry = model::RetryPolicy::jobDefault();
};

struct TransformsConfig {
  int64_t maxInstructions = 1'000'000;  // Default: 1,000,000
  int64_t cpuTimeMs = 50;               // CPU time per call. Default: 50ms
  int64_t maxMemoryBytes = 16 << 20;    // Default: 16MiB
  int64_t maxHeaders = 64;              // entries of event.headers_out. Default: 64
  int64_t maxHeaderBytes = 8 << 10;     // name + value of one output header. Default: 8KiB
  int64_t maxErrorBytes = 8 << 10;      // a stored error text is cut to this. Default: 8KiB
};

struct VerifyConfig {
  std::string preset =
      "hmac";  // hmac, github, stripe, shopify, slack, standard-webhooks, api-key, none
  std::vector<std::string> secrets;  // any one may match; empty entries dropped
  int64_t toleranceMs = 300'000;     // replay window where the scheme has one. Default: 300s
};

struct EventTypeConfig {
  std::string header;  // take the type from this request header, or
  std::string path;    // from this JSON dot-path
};

struct SourceConfig {
  std::string slug;
  VerifyConfig verify;
  bool allowUnsigned = false;
  EventTypeConfig eventType;
  std::string idempotencyHeader;
};

// `circuit_breaker`: after `failures` failed attempts in a row the destination's circuit
// opens; deliveries wait, unattempted, for `coolDownMs`, then one trial goes out.
struct CircuitBreakerConfig {
  bool enabled = true;          // `circuit_breaker: off` disables
  int failures = 10;            // Default: 10
  int64_t coolDownMs = 60'000;  // Default: 1m
};

struct DestinationConfig {
  std::string name;
  std::string type;  // plugin name
  std::string url;
  std::vector<std::string> events;  // globs; empty = all
  std::map<std::string, std::string> headers;
  std::optional<int64_t> timeoutMs;  // default: delivery.timeout
  model::RetryPolicy retry;          // default: 7 attempts, exponential 10s, cap 1h
  std::optional<double> rateLimitPerSec;
  bool redactResponse = false;
  CircuitBreakerConfig circuitBreaker;
  std::vector<std::string> secrets;  // overrides the project's signing secrets
  // Plugin-specific keys (template, path, …) as strings, for the plugin's own validation.
  std::map<std::string, std::string> options;
  std::string location;  // "file:line:col" of the entry, for plugin error messages
  // `filter`: an event must pass it (on the event as received) to reach this destination
  // through any link. Null: none.
  std::shared_ptr<const filter::Filter> filter;
};

struct LinkConfig {
  std::string source;
  std::string destination;
  std::vector<std::string> events;  // narrows further; empty = all
  std::string transformName;        // file path or "<inline>"
  std::string lua;                  // transform source; empty = none
  std::string location;
  std::shared_ptr<const filter::Filter> filter;  // `filter`, before the transform; null: none
};

struct ProjectConfig {
  std::string name;
  std::string headerPrefix = "Dispatch";
  std::vector<std::string> signingSecrets;        // whsec_<base64>; first signs, all sign
  int64_t retentionMs = 30LL * 24 * 3600 * 1000;  // Default: 30d
  bool encryptPayloads = false;
  std::vector<SourceConfig> sources;
  std::vector<DestinationConfig> destinations;
  std::vector<LinkConfig> links;
};

struct Config {
  std::string path;     // the file it came from
  std::string baseDir;  // its directory, for relative paths
  ServerConfig server;
  DatabaseConfig database;
  AdminConfig admin;
  DeliveryConfig delivery;
  JobsConfig jobs;
  TransformsConfig transforms;
  std::string pluginsDir;  // absolute, or empty
  std::string filesDir;  // `files_dir`: absolute; file destinations stay under it. Default: baseDir
  std::vector<ProjectConfig> projects;
  // DISPATCH_MASTER_KEYS from the environment, parsed: required when a project has
  // encrypt_payloads: true, and when set (non-empty) it must be valid in any case, as values
  // sealed earlier still need it. Null when unset. The server builds its crypto::Vault from it.
  std::shared_ptr<const crypto::KeyRing> masterKeys;

  const ProjectConfig* findProject(const std::string& name) const;
};

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup processEnv();

struct LoadResult {
  std::shared_ptr<const Config> config;  // null when errors is not empty
  // Each: `file:line:col: key.path: message`.
  std::vector<std::string> errors;
};

// Reads and validates a config file. Never throws.
LoadResult loadFile(const std::string& path, const EnvLookup& env = processEnv());
// The same over text; `displayPath` names it in errors and anchors relative paths.
LoadResult loadString(const std::string& yaml, const std::string& displayPath,
                      const EnvLookup& env = processEnv());

}  // namespace dispatch::config
