// The .so loader: the example echo plugin loads and works (what it writes is what the engine
// signed); a wrong API version, a library without the plugin symbols and a duplicate type are
// refused with the file named.
#include "core/plugin/loader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/plugin/config_view.h"
#include "tests/unit/plugin/plugin_test_util.h"

namespace dispatch::plugin {
namespace {

using testing::destinationConfig;
using testing::RecordingSender;
using testing::sampleDelivery;
using testing::signatureVerifies;
using testing::TempDir;

std::string dirOf(const char* file) { return std::filesystem::path(file).parent_path().string(); }

TEST(PluginLoaderTest, LoadsEchoPluginFromDir) {
  Registry registry;
  ASSERT_TRUE(registerBuiltinPlugins(registry).isOk());
  std::vector<std::string> errors = loadPluginDir(dirOf(DISPATCH_ECHO_PLUGIN), registry);
  ASSERT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(registry.names(),
            (std::vector<std::string>{"discord", "echo", "file", "slack", "webhook"}));

  TempDir dir;
  auto d = destinationConfig("echo", "", {{"path", "echoed.txt"}});
  DestinationConfigView view(d, dir.path());
  RecordingSender sender;
  Services services;
  services.http = &sender;
  std::string error;
  std::unique_ptr<Destination> dest = registry.find("echo")->create(view, services, &error);
  ASSERT_NE(dest, nullptr) << error;
  EXPECT_EQ(dest->deliver(sampleDelivery("hello")).status, 200);
  EXPECT_EQ(dest->deliver(sampleDelivery("again")).status, 200);
  std::ifstream in(dir.path() + "/echoed.txt");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "hello\nagain\n");

  // The plugin validates its own keys.
  auto bad = destinationConfig("echo", "https://x.example");
  DestinationConfigView badView(bad, dir.path());
  EXPECT_EQ(registry.find("echo")->create(badView, services, &error), nullptr);
  EXPECT_EQ(error, "dispatch.yaml:12:7: url: unknown key for type echo (known: path)");
}

// A .so plugin gets the same treatment as the built-ins: the engine signs what its render()
// returns, and that is what it writes.
TEST(PluginLoaderTest, EchoPluginWritesTheBytesTheEngineSigned) {
  Registry registry;
  ASSERT_TRUE(loadPluginFile(DISPATCH_ECHO_PLUGIN, registry).isOk());
  TempDir dir;
  auto config = destinationConfig("echo", "", {{"path", "signed.txt"}});
  DestinationConfigView view(config, dir.path());
  RecordingSender sender;
  Services services;
  services.http = &sender;
  std::string error;
  std::unique_ptr<Destination> dest = registry.find("echo")->create(view, services, &error);
  ASSERT_NE(dest, nullptr) << error;

  Delivery d = sampleDelivery(R"({"echo": "me", "n": 1.50})");
  const std::vector<std::string> keys = verify::decodeSigningKeys({testing::kSigningSecret});
  ASSERT_EQ(delivery::renderAndSign(*dest, d, keys, d.eventId, testing::kSignedAtSec),
            std::nullopt);
  ASSERT_EQ(dest->deliver(d).status, 200);
  std::ifstream in(dir.path() + "/signed.txt");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(text, std::string(R"({"echo": "me", "n": 1.50})") + "\n");
  EXPECT_TRUE(signatureVerifies(d.headers, text.substr(0, text.size() - 1)));
}

TEST(PluginLoaderTest, SameFileAgainReusesItsFactory) {
  Registry first, second;
  ASSERT_TRUE(loadPluginFile(DISPATCH_ECHO_PLUGIN, first).isOk());
  ASSERT_TRUE(loadPluginFile(DISPATCH_ECHO_PLUGIN, second).isOk());  // e.g. a reloaded config
  EXPECT_EQ(first.find("echo"), second.find("echo"));
}

TEST(PluginLoaderTest, DuplicateTypeIsRefused) {
  Registry registry;
  ASSERT_TRUE(loadPluginFile(DISPATCH_ECHO_PLUGIN, registry).isOk());
  Status s = loadPluginFile(DISPATCH_ECHO_PLUGIN, registry);
  EXPECT_EQ(s.code(), Code::kConflict);
  EXPECT_EQ(s.message(),
            std::string(DISPATCH_ECHO_PLUGIN) + ": destination type 'echo' is already registered");
}

TEST(PluginLoaderTest, WrongApiVersionIsRefused) {
  Registry registry;
  std::vector<std::string> errors = loadPluginDir(dirOf(DISPATCH_BADVERSION_PLUGIN), registry);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], std::string(DISPATCH_BADVERSION_PLUGIN) +
                           ": plugin API version 1, this Dispatch has 2; rebuild it against "
                           "this release");
  EXPECT_TRUE(registry.names().empty());
}

TEST(PluginLoaderTest, LibraryWithoutPluginSymbolsIsRefused) {
  Registry registry;
  std::vector<std::string> errors = loadPluginDir(dirOf(DISPATCH_NOT_A_PLUGIN), registry);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], std::string(DISPATCH_NOT_A_PLUGIN) +
                           ": not a Dispatch plugin (no dispatch_plugin_api_version() symbol)");
  EXPECT_TRUE(registry.names().empty());
}

TEST(PluginLoaderTest, BadFilesDoNotStopTheGoodOnes) {
  TempDir dir;
  namespace fs = std::filesystem;
  fs::copy_file(DISPATCH_NOT_A_PLUGIN, dir.path() + "/a_not_a_plugin.so");
  fs::copy_file(DISPATCH_ECHO_PLUGIN, dir.path() + "/b_echo.so");
  fs::copy_file(DISPATCH_BADVERSION_PLUGIN, dir.path() + "/c_badversion.so");
  std::ofstream(dir.path() + "/d_garbage.so") << "not an ELF file";
  std::ofstream(dir.path() + "/README.txt") << "ignored: not *.so";
  fs::create_directory(dir.path() + "/e_dir.so");  // ignored: not a regular file

  Registry registry;
  std::vector<std::string> errors = loadPluginDir(dir.path(), registry);
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].rfind(dir.path() + "/a_not_a_plugin.so: not a Dispatch plugin", 0), 0u)
      << errors[0];
  EXPECT_EQ(errors[1].rfind(
                dir.path() + "/c_badversion.so: plugin API version 1, this Dispatch has 2", 0),
            0u)
      << errors[1];
  EXPECT_EQ(errors[2].rfind(dir.path() + "/d_garbage.so: cannot load: ", 0), 0u) << errors[2];
  EXPECT_EQ(registry.names(), std::vector<std::string>{"echo"});
}

TEST(PluginLoaderTest, MissingDirIsAnError) {
  Registry registry;
  std::vector<std::string> errors = loadPluginDir("/nonexistent/plugins.d", registry);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("/nonexistent/plugins.d: cannot read plugins_dir: ", 0), 0u)
      << errors[0];
}

}  // namespace
}  // namespace dispatch::plugin
