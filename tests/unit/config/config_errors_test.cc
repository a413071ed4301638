// Config error reports: `file:line:col: key.path: message`, every error collected.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/config/config.h"
#include "tests/unit/config/config_test_util.h"

namespace dispatch::config {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using testing::errorsOf;
using testing::fakeEnv;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::joinErrors;
using testing::kHead;
using testing::kSecret;
using ::testing::Not;

TEST(ConfigErrors, OutOfRangeNumberNamesFileLineColumnAndPath) {
  EXPECT_THAT(errorsOf(kHead + R"(    destinations:
      - name: a
        type: webhook
      - name: b
        type: webhook
        retry:
          max_attempts: 0
)"),
              ElementsAre("config/dispatch.yaml:11:25: projects[0].destinations[1].retry."
                          "max_attempts: must be 1..100"));
}

TEST(ConfigErrors, UnknownKeysAreErrors) {
  EXPECT_THAT(errorsOf(kHead + "server:\n  lisen: 1.2.3.4:80\n"),
              ElementsAre("config/dispatch.yaml:6:3: server.lisen: unknown key"));
  EXPECT_THAT(errorsOf(kHead + "    sources: [{ slug: s, allow_unsigned: true, secert: x }]\n"),
              ElementsAre("config/dispatch.yaml:5:48: projects[0].sources[0].secert: unknown key"));
  EXPECT_THAT(errorsOf(kHead + "retry: {}\n"),
              ElementsAre("config/dispatch.yaml:5:1: retry: unknown key"));
}

TEST(ConfigErrors, DuplicateKeysAreErrors) {
  EXPECT_THAT(errorsOf(kHead + "server:\n  threads: 2\n  threads: 3\n"),
              ElementsAre("config/dispatch.yaml:7:3: server.threads: duplicate key"));
}

TEST(ConfigErrors, CollectsEveryError) {
  const auto errors = errorsOf(kHead + R"(server:
  listen: localhost
  threads: many
  max_body_bytes: 1 MB
  shutdown_grace: 10
database:
  pool: 0
delivery:
  allow_http: sometimes
  workers: [1]
)");
  EXPECT_THAT(errors,
              ElementsAre("config/dispatch.yaml:6:11: server.listen: must be host:port (e.g. "
                          "127.0.0.1:8080)",
                          "config/dispatch.yaml:7:12: server.threads: must be an integer",
                          "config/dispatch.yaml:8:19: server.max_body_bytes: invalid size (use "
                          "e.g. 1024, 64KiB, 1MiB)",
                          "config/dispatch.yaml:9:19: server.shutdown_grace: invalid duration "
                          "(use e.g. 250ms, 30s, 5m, 1h, 7d)",
                          "config/dispatch.yaml:10:1: database: duplicate key",
                          "config/dispatch.yaml:13:15: delivery.allow_http: must be true or false",
                          "config/dispatch.yaml:14:12: delivery.workers: must be an integer"));
}

TEST(ConfigErrors, WrongShapes) {
  EXPECT_THAT(errorsOf(kHead + "server: 8080\n"),
              ElementsAre("config/dispatch.yaml:5:9: server: must be a map"));
  EXPECT_THAT(errorsOf(kHead + "    sources: { slug: s }\n"),
              ElementsAre("config/dispatch.yaml:5:14: projects[0].sources: must be a list"));
  EXPECT_THAT(errorsOf(kHead + "admin: { token: [a] }\n"),
              ElementsAre("config/dispatch.yaml:5:17: admin.token: must be a string"));
  EXPECT_THAT(errorsOf("- a\n- b\n"), ElementsAre("config/dispatch.yaml:1:1: must be a map"));
}

TEST(ConfigErrors, RangesAndDurations) {
  EXPECT_THAT(errorsOf(kHead + "server: { threads: 2000 }\ndatabase: {}\n"),
              Contains("config/dispatch.yaml:5:20: server.threads: must be 1..1024"));
  EXPECT_THAT(errorsOf(kHead + "delivery: { timeout: 0s, lease: 5 }\n"),
              ElementsAre("config/dispatch.yaml:5:22: delivery.timeout: must be greater than 0",
                          "config/dispatch.yaml:5:33: delivery.lease: invalid duration (use e.g. "
                          "250ms, 30s, 5m, 1h, 7d)"));
  // A heartbeat must leave room for one failed renewal within a lease.
  EXPECT_THAT(errorsOf(kHead + "delivery: { heartbeat: 1500ms }\n"),
              ElementsAre("config/dispatch.yaml:5:24: delivery.heartbeat: must be less than "
                          "half of delivery.lease"));
  EXPECT_THAT(errorsOf(kHead + "delivery: { lease: 10s, heartbeat: 5s }\n"),
              ElementsAre(HasSubstr("delivery.heartbeat: must be less than half")));
  EXPECT_THAT(errorsOf(kHead + "delivery: { lease: 10s, heartbeat: 4s }\n"), IsEmpty());
  EXPECT_THAT(errorsOf(kHead + "server: { listen: \"127.0.0.1:70000\" }\n"),
              ElementsAre(HasSubstr("server.listen: must be host:port")));
}

TEST(ConfigErrors, YamlSyntaxErrorsCarryTheirMark) {
  const auto errors = errorsOf("server:\n  listen: [1, 2\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("config/dispatch.yaml:"));
  EXPECT_THAT(errors[0], HasSubstr("invalid YAML: "));
}

TEST(ConfigErrors, EmptyFileNeedsDatabaseAndProjects) {
  EXPECT_THAT(errorsOf(""), ElementsAre("config/dispatch.yaml:1:1: projects: required",
                                        "config/dispatch.yaml:1:1: database.url: required (set "
                                        "DATABASE_URL)"));
  EXPECT_THAT(errorsOf("database: { url: x }\nprojects: []\n"),
              ElementsAre("config/dispatch.yaml:2:11: projects: at least one project is required"));
}

TEST(ConfigErrors, EnvironmentReferences) {
  EXPECT_THAT(errorsOf(kHead + "admin: { token: \"${TOKEN\" }\n"),
              ElementsAre(HasSubstr("5:17: admin.token: unterminated ${")));
  EXPECT_THAT(errorsOf(kHead + "admin: { token: \"${1X}\" }\n"),
              ElementsAre(HasSubstr("5:17: admin.token: invalid variable reference")));
}

TEST(ConfigErrors, ProjectNamesPrefixesAndSecrets) {
  const std::string yaml = std::string(R"(database: { url: x }
projects:
  - name: Prod
    header_prefix: "X_Bad"
    signing_secret: [whsec_c2hvcnQ=, not-a-whsec-SUPERSECRET1]
  - name: p
    signing_secret: ""
  - name: p
    signing_secret: )") + kSecret +
                           "\n";
  const auto errors = errorsOf(yaml);
  EXPECT_THAT(errors,
              ElementsAre("config/dispatch.yaml:3:11: projects[0].name: must match "
                          "[a-z0-9][a-z0-9_-]{0,62}",
                          "config/dispatch.yaml:4:20: projects[0].header_prefix: must match "
                          "[A-Za-z0-9-]{1,32}",
                          "config/dispatch.yaml:5:22: projects[0].signing_secret[0]: must be "
                          "whsec_<base64>",
                          "config/dispatch.yaml:5:38: projects[0].signing_secret[1]: must be "
                          "whsec_<base64>",
                          "config/dispatch.yaml:8:11: projects[2].name: duplicate project name "
                          "'p'"));
}

TEST(ConfigErrors, SecretsNeverAppearInErrors) {
  const std::string yaml = kHead + R"(    destinations:
      - name: d
        type: webhook
        secret: "${DEST_SECRET}"
        timeout: "${DEST_SECRET}"
        retry: { max_attempts: "${DEST_SECRET}" }
    sources:
      - slug: s
        verify: { preset: hmac, secret: "${SRC_SECRET}", tolerance: 5s }
  - name: q
    signing_secret: "${SIGNING}"
)";
  const auto errors = errorsOf(yaml, {{"DEST_SECRET", "whsec_TOPSECRETTOPSECRET"},
                                      {"SRC_SECRET", "TOPSECRET2"},
                                      {"SIGNING", "TOPSECRET3"}});
  // Five bad values, and SRC_SECRET is too short for an HMAC key.
  EXPECT_EQ(errors.size(), 6u) << joinErrors(errors);
  EXPECT_THAT(errors, Not(Contains(HasSubstr("TOPSECRET"))));
}

TEST(ConfigErrors, SourceVerifyRules) {
  const auto errors = errorsOf(kHead + R"(    sources:
      - slug: a
        verify: { preset: none }
      - slug: b
        verify: { preset: github, secret: "${GH:-}" }
      - slug: c
        verify: { preset: hmac, secret: sixteen-bytes-ok, tolerance: 10s }
      - slug: d
      - slug: e
        verify: { preset: gitlab, secret: s }
      - slug: f
        verify: { preset: api-key, secret: s }
      - slug: g
        allow_unsigned: true
        event_type: { header: X-Type, path: type }
      - slug: Bad
        allow_unsigned: true
)");
  EXPECT_THAT(errors,
              ElementsAre("config/dispatch.yaml:7:27: projects[0].sources[0].verify.preset: "
                          "preset none requires allow_unsigned: true on the source",
                          "config/dispatch.yaml:9:43: projects[0].sources[1].verify.secret: "
                          "required for preset github",
                          "config/dispatch.yaml:11:70: projects[0].sources[2].verify.tolerance: "
                          "only valid for presets stripe, slack, standard-webhooks",
                          "config/dispatch.yaml:12:9: projects[0].sources[3].verify: required (or "
                          "allow_unsigned: true for an unsigned test source)",
                          "config/dispatch.yaml:14:27: projects[0].sources[4].verify.preset: must "
                          "be one of hmac, github, stripe, shopify, slack, standard-webhooks, "
                          "api-key, none",
                          "config/dispatch.yaml:16:44: projects[0].sources[5].verify.secret: not "
                          "used by preset api-key",
                          "config/dispatch.yaml:19:21: projects[0].sources[6].event_type: needs "
                          "exactly one of header or path",
                          "config/dispatch.yaml:20:15: projects[0].sources[7].slug: must match "
                          "[a-z0-9][a-z0-9_-]{0,62}"));
}

TEST(ConfigErrors, VerifyWithoutSecretKeyPointsAtTheVerifyMap) {
  EXPECT_THAT(errorsOf(kHead + "    sources: [{ slug: s, verify: { preset: slack } }]\n"),
              ElementsAre("config/dispatch.yaml:5:34: projects[0].sources[0].verify.secret: "
                          "required for preset slack"));
}

TEST(ConfigErrors, SlugsAreUniqueAcrossProjects) {
  const std::string yaml = kHead + R"(    sources: [{ slug: s, allow_unsigned: true }]
  - name: q
    signing_secret: )" + kSecret +
                           R"(
    sources: [{ slug: s, allow_unsigned: true }]
)";
  EXPECT_THAT(errorsOf(yaml), ElementsAre("config/dispatch.yaml:8:23: projects[1].sources[0].slug: "
                                          "duplicate slug 's' (first at "
                                          "projects[0].sources[0].slug)"));
}

TEST(ConfigErrors, DestinationRules) {
  const auto errors = errorsOf(kHead + R"(    destinations:
      - name: d
        type: webhook
        headers: { "Bad Name": x, X-Ok: "a${NL}b" }
        retry_on: [network, 600, teapot]
        rate_limit: 5/week
        retry: { backoff: linear, schedule: [1s] }
        template: { text: x }
      - name: d
        url: https://x
)",
                               {{"NL", "\n"}});
  EXPECT_THAT(
      errors,
      ElementsAre("config/dispatch.yaml:8:32: projects[0].destinations[0].headers.Bad Name: "
                  "invalid header name",
                  "config/dispatch.yaml:8:41: projects[0].destinations[0].headers.X-Ok: must not "
                  "contain line breaks",
                  "config/dispatch.yaml:9:29: projects[0].destinations[0].retry_on[1]: must be "
                  "network, timeout, 4xx, 5xx or a status code 100..599",
                  "config/dispatch.yaml:9:34: projects[0].destinations[0].retry_on[2]: must be "
                  "network, timeout, 4xx, 5xx or a status code 100..599",
                  "config/dispatch.yaml:10:21: projects[0].destinations[0].rate_limit: must be a "
                  "rate like 50/s or 10/m (or per second)",
                  "config/dispatch.yaml:11:27: projects[0].destinations[0].retry.backoff: must be "
                  "exponential or fixed",
                  "config/dispatch.yaml:11:45: projects[0].destinations[0].retry.schedule: cannot "
                  "be combined with backoff",
                  "config/dispatch.yaml:12:19: projects[0].destinations[0].template: plugin option "
                  "must be a scalar",
                  "config/dispatch.yaml:13:15: projects[0].destinations[1].name: duplicate "
                  "destination name 'd'",
                  "config/dispatch.yaml:13:9: projects[0].destinations[1].type: required"));
}

TEST(ConfigErrors, RateLimitForms) {
  const auto rate = [](const std::string& value) -> std::optional<double> {
    LoadResult r = loadString(
        kHead + "    destinations: [{ name: d, type: webhook, rate_limit: " + value + " }]\n",
        "c.yaml", fakeEnv({}));
    if (!r.config) return std::nullopt;
    return r.config->projects[0].destinations[0].rateLimitPerSec;
  };
  EXPECT_EQ(rate("50/s"), 50.0);
  EXPECT_EQ(rate("30/m"), 0.5);
  EXPECT_EQ(rate("7200/h"), 2.0);
  EXPECT_EQ(rate("2.5"), 2.5);
  EXPECT_EQ(rate("0/s"), std::nullopt);
  EXPECT_EQ(rate("-1"), std::nullopt);
  EXPECT_EQ(rate("fast"), std::nullopt);
}

TEST(ConfigErrors, LinkRules) {
  const auto errors = errorsOf(kHead + R"(    sources: [{ slug: s, allow_unsigned: true }]
    destinations: [{ name: d, type: webhook }]
    links:
      - { source: nope, destination: d }
      - { source: s, destination: gone }
      - { source: s, destination: d, transform: t.lua, lua: "x" }
      - { destination: d }
  - name: other
    signing_secret: )" + kSecret +
                               R"(
    links: [{ source: s, destination: d }]
)");
  EXPECT_THAT(errors,
              ElementsAre("config/dispatch.yaml:8:19: projects[0].links[0].source: unknown "
                          "source 'nope'",
                          "config/dispatch.yaml:9:35: projects[0].links[1].destination: unknown "
                          "destination 'gone'",
                          "config/dispatch.yaml:10:49: projects[0].links[2].transform: cannot "
                          "read file 't.lua'",
                          "config/dispatch.yaml:10:61: projects[0].links[2].lua: cannot be "
                          "combined with transform",
                          "config/dispatch.yaml:11:9: projects[0].links[3].source: required",
                          "config/dispatch.yaml:14:23: projects[1].links[0].source: unknown "
                          "source 's'",
                          "config/dispatch.yaml:14:39: projects[1].links[0].destination: unknown "
                          "destination 'd'"));
}

TEST(ConfigErrors, MissingDirectoriesAndFiles) {
  EXPECT_THAT(errorsOf(kHead + "plugins_dir: /nonexistent/plugins.d\n"),
              ElementsAre("config/dispatch.yaml:5:14: plugins_dir: directory not found: "
                          "/nonexistent/plugins.d"));
  EXPECT_THAT(errorsOf(kHead + "delivery: { ca_file: /nonexistent/ca.pem }\n"),
              ElementsAre("config/dispatch.yaml:5:22: delivery.ca_file: file not found: "
                          "/nonexistent/ca.pem"));
}

TEST(ConfigErrors, ValidConfigHasNoErrors) { EXPECT_THAT(errorsOf(kHead), IsEmpty()); }

}  // namespace
}  // namespace dispatch::config

namespace dispatch::config {
namespace {

TEST(ConfigErrors, BadEventGlobsAreReportedWithTheirPosition) {
  const std::string yaml = std::string(R"(database: { url: "postgresql://db" }
projects:
  - name: p
    signing_secret: )") + testing::kSecret +
                           R"(
    destinations:
      - name: a
        type: webhook
        events: ["push", "pull request.*"]
)";
  LoadResult r = loadString(yaml, "config/dispatch.yaml", testing::fakeEnv({}));
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].rfind("config/dispatch.yaml:8:26: projects[0].destinations[0].events[1]: "
                              "invalid event filter",
                              0),
            0u)
      << r.errors[0];
}

}  // namespace
}  // namespace dispatch::config
