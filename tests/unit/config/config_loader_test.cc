// The config loader over whole files: every key, defaults, env expansion and error reports.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/config/config.h"
#include "core/crypto/key_ring.h"
#include "tests/unit/config/config_test_util.h"

namespace dispatch::config {
namespace {

using model::Backoff;
using model::RetryPolicy;
using testing::fakeEnv;
using testing::joinErrors;
using testing::kSecret;
using testing::TempDir;

constexpr char kFullConfig[] = R"(server:
  listen: 0.0.0.0:${PORT:-9090}
  max_body_bytes: 2MiB
  threads: 8
  shutdown_grace: 5s
database:
  url: postgresql://from-file
  pool: 4
admin:
  token: ${ADMIN_TOKEN}
delivery:
  workers: 16
  timeout: 20s
  max_response_bytes: 1KiB
  allow_http: true
  allow_private_networks: true
  ca_file: certs/ca.pem
  lease: 2m
jobs:
  max_payload_bytes: 32KiB
  timeout: 5s
  retry: { max_attempts: 4, backoff: fixed, initial: 1s, max_delay: 10s, jitter: true }
transforms:
  { max_instructions: 5000, cpu_time: 20ms, max_memory: 1MiB,
    max_headers: 10, max_header_bytes: 1KiB, max_error_bytes: 2KiB }
plugins_dir: plugins.d
projects:
  - name: production
    header_prefix: Acme
    signing_secret: [${SIGNING_SECRET}, "${OLD_SIGNING_SECRET:-}"]
    retention: 7d
    encrypt_payloads: true
    sources:
      - slug: github
        verify: { preset: github, secret: "${GITHUB_SECRET}" }
      - slug: billing
        verify: { preset: stripe, secret: [whsec_stripe-secret-a, ""], tolerance: 60s }
        event_type: { path: data.object.type }
        idempotency_header: Idempotency-Key
      - slug: local-test
        allow_unsigned: true
    destinations:
      - name: ci
        type: webhook
        url: https://ci.example.com/hooks
        events: [push, "pull_request.*"]
        headers: { X-Team: infra }
        timeout: 3s
        retry: { max_attempts: 2, schedule: [1s, 2s] }
        retry_on: [network, 4xx, 503]
        rate_limit: 120/m
        redact_response: true
        secret: )"
                               "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
                               R"(
      - name: audit
        type: file
        path: out/deliveries.jsonl
        append: yes
    links:
      - source: github
        destination: ci
        events: [push]
        transform: transforms/slim.lua
      - source: local-test
        destination: audit
        lua: "function transform(e) return e end"
)";

class ConfigFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("certs/ca.pem", "-----BEGIN CERTIFICATE-----\n");
    dir_.write("transforms/slim.lua", "function transform(event) return event end\n");
    std::filesystem::create_directories(dir_.path() + "/plugins.d");
  }
  // The project encrypts, so every load has master keys (two: base64 of bytes 0..31, 32..63).
  LoadResult load(std::map<std::string, std::string> env) {
    env.emplace("DISPATCH_MASTER_KEYS",
                "k2:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=,"
                "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
    return loadString(kFullConfig, dir_.path() + "/dispatch.yaml", fakeEnv(std::move(env)));
  }
  TempDir dir_;
};

TEST_F(ConfigFullTest, ReadsEveryKey) {
  LoadResult r = load({{"ADMIN_TOKEN", "adm"},
                       {"SIGNING_SECRET", kSecret},
                       {"GITHUB_SECRET", "github-secret-16b"}});
  ASSERT_TRUE(r.config) << joinErrors(r.errors);
  const Config& c = *r.config;
  EXPECT_EQ(c.baseDir, dir_.path());
  EXPECT_EQ(c.server.listenHost, "0.0.0.0");
  EXPECT_EQ(c.server.listenPort, 9090);
  EXPECT_EQ(c.server.maxBodyBytes, 2 << 20);
  EXPECT_EQ(c.server.threads, 8);
  EXPECT_EQ(c.server.shutdownGraceMs, 5000);
  EXPECT_EQ(c.database.url, "postgresql://from-file");
  EXPECT_EQ(c.database.pool, 4);
  EXPECT_EQ(c.admin.token, "adm");
  EXPECT_EQ(c.delivery.workers, 16);
  EXPECT_EQ(c.delivery.timeoutMs, 20000);
  EXPECT_EQ(c.delivery.maxResponseBytes, 1024);
  EXPECT_TRUE(c.delivery.allowHttp);
  EXPECT_TRUE(c.delivery.allowPrivateNetworks);
  EXPECT_EQ(c.delivery.caFile, dir_.path() + "/certs/ca.pem");
  EXPECT_EQ(c.delivery.leaseMs, 120000);
  EXPECT_EQ(c.jobs.maxPayloadBytes, 32 << 10);
  EXPECT_EQ(c.jobs.timeoutMs, 5000);
  EXPECT_EQ(c.jobs.retry.maxAttempts, 4);
  EXPECT_EQ(c.jobs.retry.backoff, Backoff::kFixed);
  EXPECT_EQ(c.jobs.retry.initialMs, 1000);
  EXPECT_EQ(c.jobs.retry.maxDelayMs, 10000);
  EXPECT_TRUE(c.jobs.retry.jitter);
  EXPECT_TRUE(c.jobs.retry.scheduleMs.empty());
  EXPECT_EQ(c.transforms.maxInstructions, 5000);
  EXPECT_EQ(c.transforms.maxMemoryBytes, 1 << 20);
  EXPECT_EQ(c.transforms.cpuTimeMs, 20);
  EXPECT_EQ(c.transforms.maxHeaders, 10);
  EXPECT_EQ(c.transforms.maxHeaderBytes, 1024);
  EXPECT_EQ(c.transforms.maxErrorBytes, 2048);
  EXPECT_EQ(c.pluginsDir, dir_.path() + "/plugins.d");
  ASSERT_EQ(c.projects.size(), 1u);
  const ProjectConfig& p = c.projects[0];
  EXPECT_EQ(p.name, "production");
  EXPECT_EQ(p.headerPrefix, "Acme");
  EXPECT_EQ(p.signingSecrets, std::vector<std::string>{kSecret});
  EXPECT_EQ(p.retentionMs, 7LL * 24 * 3600 * 1000);
  EXPECT_TRUE(p.encryptPayloads);
  ASSERT_NE(c.masterKeys, nullptr);
  EXPECT_EQ(c.masterKeys->currentId(), "k2");
  EXPECT_EQ(c.masterKeys->keys().size(), 2u);
  EXPECT_EQ(c.findProject("production"), &p);
  EXPECT_EQ(c.findProject("staging"), nullptr);
}

TEST_F(ConfigFullTest, ReadsSources) {
  LoadResult r = load(
      {{"ADMIN_TOKEN", ""}, {"SIGNING_SECRET", kSecret}, {"GITHUB_SECRET", "github-secret-16b"}});
  ASSERT_TRUE(r.config) << joinErrors(r.errors);
  const auto& sources = r.config->projects[0].sources;
  ASSERT_EQ(sources.size(), 3u);
  EXPECT_EQ(sources[0].slug, "github");
  EXPECT_EQ(sources[0].verify.preset, "github");
  EXPECT_EQ(sources[0].verify.secrets, std::vector<std::string>{"github-secret-16b"});
  EXPECT_EQ(sources[0].verify.toleranceMs, 300000);
  EXPECT_EQ(sources[0].eventType.header, "X-GitHub-Event");  // preset defaults
  EXPECT_EQ(sources[0].idempotencyHeader, "X-GitHub-Delivery");
  EXPECT_EQ(sources[1].verify.preset, "stripe");
  EXPECT_EQ(sources[1].verify.secrets, std::vector<std::string>{"whsec_stripe-secret-a"});
  EXPECT_EQ(sources[1].verify.toleranceMs, 60000);
  EXPECT_EQ(sources[1].eventType.path, "data.object.type");
  EXPECT_EQ(sources[1].eventType.header, "");
  EXPECT_EQ(sources[1].idempotencyHeader, "Idempotency-Key");
  EXPECT_EQ(sources[2].verify.preset, "none");
  EXPECT_TRUE(sources[2].allowUnsigned);
  EXPECT_TRUE(sources[2].verify.secrets.empty());
}

TEST_F(ConfigFullTest, ReadsDestinationsAndLinks) {
  LoadResult r = load(
      {{"ADMIN_TOKEN", ""}, {"SIGNING_SECRET", kSecret}, {"GITHUB_SECRET", "github-secret-16b"}});
  ASSERT_TRUE(r.config) << joinErrors(r.errors);
  const ProjectConfig& p = r.config->projects[0];
  ASSERT_EQ(p.destinations.size(), 2u);
  const DestinationConfig& ci = p.destinations[0];
  EXPECT_EQ(ci.name, "ci");
  EXPECT_EQ(ci.type, "webhook");
  EXPECT_EQ(ci.url, "https://ci.example.com/hooks");
  EXPECT_EQ(ci.events, (std::vector<std::string>{"push", "pull_request.*"}));
  EXPECT_EQ(ci.headers, (std::map<std::string, std::string>{{"X-Team", "infra"}}));
  EXPECT_EQ(ci.timeoutMs, 3000);
  EXPECT_EQ(ci.retry.maxAttempts, 2);
  EXPECT_EQ(ci.retry.backoff, Backoff::kSchedule);
  EXPECT_EQ(ci.retry.scheduleMs, (std::vector<int64_t>{1000, 2000}));
  EXPECT_FALSE(ci.retry.jitter);  // a schedule is exact unless jitter is given
  EXPECT_EQ(ci.retry.maxDelayMs, 3'600'000);
  EXPECT_TRUE(ci.retry.retryOn.network);
  EXPECT_FALSE(ci.retry.retryOn.timeout);
  EXPECT_TRUE(ci.retry.retryOn.status4xx);
  EXPECT_FALSE(ci.retry.retryOn.status5xx);
  EXPECT_EQ(ci.retry.retryOn.statuses, std::vector<int>{503});
  ASSERT_TRUE(ci.rateLimitPerSec);
  EXPECT_DOUBLE_EQ(*ci.rateLimitPerSec, 2.0);
  EXPECT_TRUE(ci.redactResponse);
  EXPECT_EQ(ci.secrets, std::vector<std::string>{kSecret});
  EXPECT_TRUE(ci.options.empty());
  EXPECT_EQ(ci.location, dir_.path() + "/dispatch.yaml:43:9");
  const DestinationConfig& audit = p.destinations[1];
  EXPECT_EQ(audit.options, (std::map<std::string, std::string>{{"path", "out/deliveries.jsonl"},
                                                               {"append", "yes"}}));
  EXPECT_FALSE(audit.timeoutMs);
  EXPECT_EQ(audit.retry.maxAttempts, 7);
  ASSERT_EQ(p.links.size(), 2u);
  EXPECT_EQ(p.links[0].source, "github");
  EXPECT_EQ(p.links[0].destination, "ci");
  EXPECT_EQ(p.links[0].events, std::vector<std::string>{"push"});
  EXPECT_EQ(p.links[0].transformName, "transforms/slim.lua");
  EXPECT_EQ(p.links[0].lua, "function transform(event) return event end\n");
  EXPECT_EQ(p.links[1].transformName, "<inline>");
  EXPECT_EQ(p.links[1].lua, "function transform(e) return e end");
}

TEST_F(ConfigFullTest, MissingEnvironmentVariableIsReportedAtItsScalar) {
  LoadResult r = load({{"SIGNING_SECRET", kSecret}, {"GITHUB_SECRET", "github-secret-16b"}});
  EXPECT_FALSE(r.config);
  EXPECT_EQ(r.errors,
            std::vector<std::string>{
                dir_.path() + "/dispatch.yaml:10:10: admin.token: environment variable ADMIN_TOKEN "
                              "is not set"});
}

constexpr char kMinimal[] = R"(database: { url: "postgresql://db" }
projects:
  - name: p
    signing_secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
)";

LoadResult loadText(const std::string& yaml, std::map<std::string, std::string> env = {}) {
  return loadString(yaml, "config/dispatch.yaml", fakeEnv(std::move(env)));
}

TEST(ConfigDefaults, OmittedKeysKeepTheirDefaults) {
  LoadResult r = loadText(kMinimal);
  ASSERT_TRUE(r.config) << joinErrors(r.errors);
  const Config& c = *r.config;
  EXPECT_EQ(c.path, "config/dispatch.yaml");
  EXPECT_TRUE(std::filesystem::path(c.baseDir).is_absolute());
  EXPECT_EQ(c.server.listenHost, "127.0.0.1");
  EXPECT_EQ(c.server.listenPort, 8080);
  EXPECT_EQ(c.server.threads, 32);
  EXPECT_EQ(c.database.pool, 8);
  EXPECT_EQ(c.delivery.timeoutMs, 15000);
  EXPECT_FALSE(c.delivery.allowHttp);
  EXPECT_EQ(c.delivery.leaseMs, 3000);
  EXPECT_EQ(c.delivery.heartbeatMs, 0);  // a third of the lease
  EXPECT_EQ(c.pluginsDir, "");
  const RetryPolicy job = RetryPolicy::jobDefault();
  EXPECT_EQ(c.jobs.retry.maxAttempts, job.maxAttempts);
  EXPECT_EQ(c.jobs.retry.scheduleMs, job.scheduleMs);
  EXPECT_EQ(c.transforms.maxInstructions, 1'000'000);
  EXPECT_EQ(c.transforms.cpuTimeMs, 50);
  EXPECT_EQ(c.transforms.maxHeaders, 64);
  EXPECT_EQ(c.transforms.maxHeaderBytes, 8192);
  EXPECT_EQ(c.transforms.maxErrorBytes, 8192);
  EXPECT_EQ(c.projects[0].headerPrefix, "Dispatch");
  EXPECT_EQ(c.projects[0].retentionMs, 30LL * 24 * 3600 * 1000);
}

TEST(ConfigDefaults, SigningSecretIsOptionalAndEmptyEntriesAreDropped) {
  LoadResult r = loadText(R"(database: { url: x }
projects:
  - name: a
  - name: b
    signing_secret: ["${NEW:-}", "${OLD}"]
)",
                          {{"OLD", kSecret}});
  ASSERT_TRUE(r.config) << joinErrors(r.errors);
  EXPECT_TRUE(r.config->projects[0].signingSecrets.empty());
  EXPECT_EQ(r.config->projects[1].signingSecrets, std::vector<std::string>{kSecret});
}

TEST(ConfigDefaults, LeaseAndHeartbeatAreRead) {
  LoadResult r = loadText(std::string(kMinimal) + "delivery: { lease: 10s, heartbeat: 2s }\n");
  ASSERT_TRUE(r.config) << joinErrors(r.errors);
  EXPECT_EQ(r.config->delivery.leaseMs, 10000);
  EXPECT_EQ(r.config->delivery.heartbeatMs, 2000);
}

TEST(ConfigDefaults, JobRetryFieldsOverrideTheJobDefault) {
  LoadResult r = loadText(std::string(kMinimal) + "jobs: { retry: { max_attempts: 5 } }\n");
  ASSERT_TRUE(r.config) << joinErrors(r.errors);
  const RetryPolicy job = RetryPolicy::jobDefault();
  const RetryPolicy& got = r.config->jobs.retry;
  EXPECT_EQ(got.maxAttempts, 5);
  EXPECT_EQ(got.backoff, job.backoff);
  EXPECT_EQ(got.scheduleMs, job.scheduleMs);
  EXPECT_EQ(got.maxDelayMs, job.maxDelayMs);
  EXPECT_EQ(got.retryOn.anyStatus, job.retryOn.anyStatus);
}

TEST(ConfigDefaults, DestinationRetryDefaultsToSevenExponentialAttempts) {
  LoadResult r = loadText(std::string(kMinimal) +
                          "    destinations: [{ name: d, type: webhook, url: https://x }]\n");
  ASSERT_TRUE(r.config) << joinErrors(r.errors);
  const RetryPolicy& p = r.config->projects[0].destinations[0].retry;
  EXPECT_EQ(p.maxAttempts, 7);
  EXPECT_EQ(p.backoff, Backoff::kExponential);
  EXPECT_EQ(p.initialMs, 10000);
  EXPECT_EQ(p.maxDelayMs, 3'600'000);
  EXPECT_TRUE(p.jitter);
  EXPECT_EQ(p.retryOn.statuses, (std::vector<int>{408, 429}));
}

TEST(ConfigEnv, ExpandsVariablesAndDefaultsBeforeConversion) {
  LoadResult r = loadText(
      std::string(kMinimal) + "server: { listen: \"${HOST:-127.0.0.2}:${PORT}\", threads: ${T} }\n",
      {{"PORT", "0"}, {"T", "4"}});
  ASSERT_TRUE(r.config) << joinErrors(r.errors);
  EXPECT_EQ(r.config->server.listenHost, "127.0.0.2");
  EXPECT_EQ(r.config->server.listenPort, 0);
  EXPECT_EQ(r.config->server.threads, 4);
}

TEST(ConfigEnv, DatabaseUrlFromTheEnvironmentOverridesTheFile) {
  LoadResult r = loadText(kMinimal, {{"DATABASE_URL", "postgresql://env"}});
  ASSERT_TRUE(r.config) << joinErrors(r.errors);
  EXPECT_EQ(r.config->database.url, "postgresql://env");
}

TEST(ConfigEnv, DatabaseUrlIsRequired) {
  const std::string yaml = "projects:\n  - name: p\n    signing_secret: " + std::string(kSecret) +
                           "\ndatabase:\n  pool: 2\n";
  LoadResult r = loadText(yaml);
  EXPECT_EQ(r.errors, std::vector<std::string>{
                          "config/dispatch.yaml:5:3: database.url: required (set DATABASE_URL)"});
  EXPECT_TRUE(loadText(yaml, {{"DATABASE_URL", "postgresql://env"}}).config);
}

TEST(ConfigEnv, UnsetVariableInDatabaseUrlIsReportedOnce) {
  LoadResult r = loadText("database: { url: \"${DATABASE_URL}\" }\n" +
                          std::string(kMinimal).substr(std::string(kMinimal).find("projects")));
  EXPECT_EQ(r.errors, std::vector<std::string>{
                          "config/dispatch.yaml:1:18: database.url: environment variable "
                          "DATABASE_URL is not set"});
}

TEST(ConfigFile, LoadsTheRepositoryConfig) {
  const auto repo = std::filesystem::path(__FILE__).parent_path() / "../../..";
  const std::string path = (repo / "config/dispatch.yaml").lexically_normal().string();
  LoadResult r = loadFile(path, fakeEnv({{"DATABASE_URL", "postgresql:///dispatch"}}));
  ASSERT_TRUE(r.config) << joinErrors(r.errors);
  const ProjectConfig* p = r.config->findProject("default");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(r.config->server.listenPort, 8080);
  EXPECT_TRUE(r.config->delivery.allowPrivateNetworks);
  ASSERT_EQ(p->links.size(), 1u);
  EXPECT_EQ(p->destinations[0].options.at("path"), "deliveries.jsonl");
  EXPECT_EQ(r.config->filesDir,
            std::filesystem::absolute(repo / "var").lexically_normal().string());
}

TEST(ConfigFile, MissingFileCannotBeRead) {
  LoadResult r = loadFile("/nonexistent/dispatch.yaml", fakeEnv({}));
  EXPECT_FALSE(r.config);
  EXPECT_EQ(r.errors, std::vector<std::string>{"/nonexistent/dispatch.yaml: cannot read file"});
}

TEST(ConfigFile, TransformPathIsRelativeToTheConfigFolder) {
  TempDir dir;
  dir.write("conf/transforms/t.lua", "function transform(e) return nil end");
  const std::string config = dir.write("conf/dispatch.yaml", std::string(kMinimal) + R"(
    sources: [{ slug: s, allow_unsigned: true }]
    destinations: [{ name: d, type: webhook }]
    links:
      - { source: s, destination: d, transform: transforms/t.lua }
      - { source: s, destination: d, transform: transforms/missing.lua }
)");
  LoadResult r = loadFile(config, fakeEnv({}));
  EXPECT_EQ(r.errors, std::vector<std::string>{
                          config + ":10:49: projects[0].links[1].transform: cannot read file "
                                   "'transforms/missing.lua'"});
  r = loadString(std::string(kMinimal) + R"(
    sources: [{ slug: s, allow_unsigned: true }]
    destinations: [{ name: d, type: webhook }]
    links: [{ source: s, destination: d, transform: transforms/t.lua }]
)",
                 dir.path() + "/conf/dispatch.yaml", fakeEnv({}));
  ASSERT_TRUE(r.config) << joinErrors(r.errors);
  EXPECT_EQ(r.config->projects[0].links[0].lua, "function transform(e) return nil end");
}

// The example of contracts/config.md, verbatim: `[${A}, ${B:-}]` and `{ secret: ${S} }` are
// flow collections around plain `${…}` scalars, which plain YAML would refuse.
constexpr char kContractExample[] = R"(server:
  listen: 127.0.0.1:8080        # host:port; 0.0.0.0:8080 in containers
  max_body_bytes: 1MiB          # source endpoints and API
  threads: 32                   # HTTP worker threads
database:
  url: ${DATABASE_URL}          # libpq URI; pool size below
  pool: 8
admin:
  token: ${DISPATCH_ADMIN_TOKEN:-}    # empty: admin endpoints answer 401
delivery:
  workers: 64                   # concurrent outbound requests per node
  timeout: 15s                  # default per attempt (connect + response)
  max_response_bytes: 64KiB     # stored per attempt; the rest is cut
  allow_http: false             # https only unless true (seed 000)
  allow_private_networks: false # SSRF guard; true only for local development and tests
jobs:
  max_payload_bytes: 64KiB
  timeout: 15s
  retry: { max_attempts: 3, schedule: [30s, 1m], max_delay: 5m }
plugins_dir: plugins.d         # optional; extra destination plugins (.so) loaded at start
projects:
  - name: production            # unique; referenced by API keys
    header_prefix: Dispatch     # X-Dispatch-Event-ID, …
    signing_secret: ${PRODUCTION_SIGNING_SECRET}   # whsec_<base64>; signs deliveries; a list
                                # [new, old] signs with each (rotation)
    retention: 30d              # events, deliveries, attempts, finished jobs older: hard-deleted
    encrypt_payloads: false     # AES-256-GCM at rest with a key derived from DISPATCH_MASTER_KEY
    sources:
      - slug: github            # POST /hooks/github ; slugs are unique across projects
        verify: { preset: github, secret: ${GITHUB_WEBHOOK_SECRET} }
        event_type: { header: X-GitHub-Event }      # or { path: action } / { path: data.object }
        idempotency_header: X-GitHub-Delivery
      - slug: local-test
        verify: { preset: none }
        allow_unsigned: true    # beside verify; required for preset none, else a config error
      - slug: billing
        verify: { preset: hmac, secret: [${BILLING_SECRET}, ${BILLING_SECRET_OLD:-}] }
        # stripe, slack, standard-webhooks also take `tolerance: 300s` (the replay window)
        event_type: { path: event.type }
    destinations:
      - name: ci
        type: webhook           # a destination plugin (plugins/webhook)
        url: https://ci.example.com/hooks
        events: [push, "pull_request.*"]   # optional filter; `*` globs; default: all
        headers: { X-Team: infra }
        timeout: 10s
        retry: { max_attempts: 7, backoff: exponential, initial: 10s, max_delay: 1h, jitter: true }
        retry_on: [network, timeout, 408, 429, 5xx]   # default; other 4xx are permanent
        rate_limit: 50/s        # optional, per node
        redact_response: false  # true: keep status and timing, drop the body (seed 000)
        secret: ${CI_SIGNING_SECRET:-}     # overrides the project's signing_secret
      - name: ops-chat
        type: slack             # templated plugins render `template` (seed 003: templates are not
        url: https://hooks.slack.com/services/T000/B000/XXXX   # applied to webhook destinations)
        template: "{{source}} sent {{type}}: {{body.action}}"
      - name: audit
        type: file              # appends one JSON line per delivery:
        path: deliveries.jsonl  # {"id","eventId","destination","eventType","headers","body","deliveredAt"}
                                # (body as the delivered text); relative to this file's folder
      # slack/discord send {"text": "<rendered template>"} / {"content": "<rendered>"}
    links:
      - source: github
        destination: ci
        transform: transforms/github_slim.lua   # path relative to this file; or `lua: |` inline
      - source: github
        destination: ops-chat
        events: [issues]        # a link may narrow further
)";

TEST(ConfigFile, ContractExampleLoads) {
  TempDir dir;
  dir.write("transforms/github_slim.lua", "function transform(e) return e end");
  std::filesystem::create_directories(dir.path() + "/plugins.d");
  LoadResult r = loadString(kContractExample, dir.path() + "/dispatch.yaml",
                            fakeEnv({{"DATABASE_URL", "postgresql://db"},
                                     {"PRODUCTION_SIGNING_SECRET", kSecret},
                                     {"GITHUB_WEBHOOK_SECRET", "github-secret-16b"},
                                     {"BILLING_SECRET", "billing-secret-16b"}}));
  ASSERT_TRUE(r.config) << joinErrors(r.errors);
  const ProjectConfig& p = r.config->projects[0];
  EXPECT_EQ(p.sources[0].verify.secrets, std::vector<std::string>{"github-secret-16b"});
  EXPECT_EQ(p.sources[2].verify.secrets, std::vector<std::string>{"billing-secret-16b"});
  EXPECT_EQ(p.destinations[1].options.at("template"), "{{source}} sent {{type}}: {{body.action}}");
  EXPECT_TRUE(p.destinations[0].secrets.empty());
  EXPECT_EQ(r.config->jobs.retry.scheduleMs, (std::vector<int64_t>{30'000, 60'000}));
}

TEST(ConfigFile, ControlCharactersAreRefused) {
  LoadResult r =
      loadString(std::string(kMinimal) + "admin: { token: \"a\x01\" }\n", "c.yaml", fakeEnv({}));
  EXPECT_EQ(r.errors, std::vector<std::string>{"c.yaml:5:19: control characters are not allowed"});
}

}  // namespace
}  // namespace dispatch::config
