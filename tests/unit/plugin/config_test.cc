// Built-in plugins' config validation (errors carry the entry's file:line:col), the config
// view, and creating/validating destinations from a loaded config.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/plugin/config_view.h"
#include "core/plugin/destinations.h"
#include "tests/unit/plugin/plugin_test_util.h"

namespace dispatch::plugin {
namespace {

using testing::createBuiltin;
using testing::destinationConfig;
using testing::RecordingSender;
using testing::TempDir;

std::string createError(const config::DestinationConfig& d, const std::string& baseDir = "/tmp") {
  RecordingSender sender;
  std::string error;
  std::unique_ptr<Destination> created = createBuiltin(d, sender, &error, baseDir);
  EXPECT_EQ(created, nullptr) << d.type;
  return error;
}

void expectCreates(const config::DestinationConfig& d, const std::string& baseDir = "/tmp") {
  RecordingSender sender;
  std::string error;
  EXPECT_NE(createBuiltin(d, sender, &error, baseDir), nullptr) << error;
}

TEST(PluginConfigTest, ViewExposesOptionsUrlAndName) {
  auto d = destinationConfig("slack", "https://hooks.example/x", {{"template", "{{type}}"}});
  DestinationConfigView view(d, "/etc/dispatch");
  EXPECT_EQ(view.get("url"), "https://hooks.example/x");
  EXPECT_EQ(view.get("name"), "dest-slack");
  EXPECT_EQ(view.get("template"), "{{type}}");
  EXPECT_EQ(view.get("path"), std::nullopt);
  EXPECT_EQ(view.keys(), (std::vector<std::string>{"name", "template", "url"}));
  EXPECT_EQ(view.location(), "dispatch.yaml:12:7");
  EXPECT_EQ(view.baseDir(), "/etc/dispatch");

  auto noUrl = destinationConfig("file", "", {{"path", "x.jsonl"}});
  DestinationConfigView fileView(noUrl, "/etc/dispatch");
  EXPECT_EQ(fileView.get("url"), std::nullopt);
  EXPECT_EQ(fileView.keys(), (std::vector<std::string>{"name", "path"}));
}

TEST(PluginConfigTest, WebhookNeedsAbsoluteHttpUrl) {
  EXPECT_EQ(createError(destinationConfig("webhook", "")),
            "dispatch.yaml:12:7: url: required for type webhook");
  EXPECT_EQ(createError(destinationConfig("webhook", "ftp://example.com/x")),
            "dispatch.yaml:12:7: url: must be an absolute http:// or https:// URL");
  EXPECT_EQ(createError(destinationConfig("webhook", "/relative/hook")),
            "dispatch.yaml:12:7: url: must be an absolute http:// or https:// URL");
  expectCreates(destinationConfig("webhook", "https://ci.example.com/hooks"));
  expectCreates(destinationConfig("webhook", "http://127.0.0.1:8080/x"));
}

TEST(PluginConfigTest, WebhookRefusesTemplate) {
  // Templates are not applied to webhook destinations: a `template` there is a mistake.
  EXPECT_EQ(createError(destinationConfig("webhook", "https://x.example", {{"template", "hi"}})),
            "dispatch.yaml:12:7: template: unknown key for type webhook (known: url)");
}

TEST(PluginConfigTest, ChatPluginsNeedUrlAndTemplate) {
  for (std::string type : {"slack", "discord"}) {
    EXPECT_EQ(createError(destinationConfig(type, "", {{"template", "x"}})),
              "dispatch.yaml:12:7: url: required for type " + type);
    EXPECT_EQ(createError(destinationConfig(type, "https://hooks.example/x")),
              "dispatch.yaml:12:7: template: required for type " + type);
    EXPECT_EQ(createError(destinationConfig(type, "https://hooks.example/x", {{"template", ""}})),
              "dispatch.yaml:12:7: template: required for type " + type);
    EXPECT_EQ(createError(destinationConfig(type, "hooks.example/x", {{"template", "x"}})),
              "dispatch.yaml:12:7: url: must be an absolute http:// or https:// URL");
    EXPECT_EQ(
        createError(destinationConfig(type, "https://hooks.example/x", {{"template", "{{source"}})),
        "dispatch.yaml:12:7: template: unclosed '{{' at offset 0");
    EXPECT_EQ(
        createError(destinationConfig(type, "https://hooks.example/x",
                                      {{"template", "x"}, {"channel", "#ops"}})),
        "dispatch.yaml:12:7: channel: unknown key for type " + type + " (known: template, url)");
    expectCreates(destinationConfig(type, "https://hooks.example/x", {{"template", "{{type}}"}}));
  }
}

TEST(PluginConfigTest, FileNeedsPathInAnExistingDirectory) {
  TempDir dir;
  EXPECT_EQ(createError(destinationConfig("file", ""), dir.path()),
            "dispatch.yaml:12:7: path: required for type file");
  EXPECT_EQ(createError(destinationConfig("file", "https://x.example", {{"path", "a.jsonl"}}),
                        dir.path()),
            "dispatch.yaml:12:7: url: unknown key for type file (known: path)");
  EXPECT_EQ(createError(destinationConfig("file", "", {{"path", "missing/a.jsonl"}}), dir.path()),
            "dispatch.yaml:12:7: path: directory '" + dir.path() + "/missing' does not exist");
  EXPECT_EQ(createError(destinationConfig("file", "", {{"path", "."}}), dir.path()),
            "dispatch.yaml:12:7: path: '.' is a directory, not a file");
  expectCreates(destinationConfig("file", "", {{"path", "deliveries.jsonl"}}), dir.path());
  // create() validates only: nothing is written before the first delivery.
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/deliveries.jsonl"));
}

TEST(PluginConfigTest, UnknownTypeListsKnownOnes) {
  Registry registry;
  ASSERT_TRUE(registerBuiltinPlugins(registry).isOk());
  config::Config cfg;
  RecordingSender sender;
  Services services;
  services.http = &sender;
  auto created =
      createDestination(registry, cfg, destinationConfig("teams", "https://x.example"), services);
  ASSERT_FALSE(created.isOk());
  EXPECT_EQ(created.status().message(),
            "dispatch.yaml:12:7: type: unknown destination type 'teams' (known: discord, file, "
            "slack, webhook)");
}

TEST(PluginConfigTest, CheckAndBuildFromLoadedConfig) {
  TempDir dir;
  const std::string path = dir.path() + "/dispatch.yaml";
  std::ofstream(path) << R"(database:
  url: postgresql://localhost/x
projects:
  - name: production
    signing_secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
    destinations:
      - name: ci
        type: webhook
        url: https://ci.example.com/hooks
      - name: chat
        type: slack
        url: https://hooks.slack.com/services/T/B/X
      - name: audit
        type: file
        path: deliveries.jsonl
)";
  config::LoadResult loaded =
      config::loadFile(path, [](const std::string&) { return std::optional<std::string>(); });
  ASSERT_TRUE(loaded.errors.empty()) << loaded.errors.front();

  Registry registry;
  ASSERT_TRUE(setupRegistry(*loaded.config, registry).empty());
  std::vector<std::string> errors = checkDestinations(registry, *loaded.config);
  ASSERT_EQ(errors.size(), 1u);
  // The location is the slack entry's, in the file the config came from.
  EXPECT_NE(errors[0].find("dispatch.yaml:10:"), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find(": template: required for type slack"), std::string::npos) << errors[0];

  RecordingSender sender;
  Services services;
  services.http = &sender;
  auto built = DestinationSet::build(registry, *loaded.config, services);
  EXPECT_EQ(built.set, nullptr);
  EXPECT_EQ(built.errors, errors);

  // Without the bad entry, every destination is built and found by (project, name).
  auto fixed = std::make_shared<config::Config>(*loaded.config);
  fixed->projects[0].destinations[1].options["template"] = "{{type}}";
  EXPECT_TRUE(checkDestinations(registry, *fixed).empty());
  built = DestinationSet::build(registry, *fixed, services);
  ASSERT_NE(built.set, nullptr) << built.errors.front();
  EXPECT_NE(built.set->find("production", "ci"), nullptr);
  EXPECT_NE(built.set->find("production", "audit"), nullptr);
  EXPECT_EQ(built.set->find("production", "nope"), nullptr);
  EXPECT_EQ(built.set->find("staging", "ci"), nullptr);

  // The file destination resolved `path` against the config file's folder.
  Delivery d;
  d.body = "{}";
  ASSERT_EQ(built.set->find("production", "audit")->deliver(d).status, 200);
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/deliveries.jsonl"));
}

}  // namespace
}  // namespace dispatch::plugin
