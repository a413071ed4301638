// The file destination stays under files_dir: paths that leave it are config errors, and a
// symbolic link (or hard link, FIFO) planted after load makes the delivery fail with nothing
// written through it — with openat2 and with the O_NOFOLLOW walk used where it is missing.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "plugins/file/file_open.h"
#include "tests/unit/plugin/plugin_test_util.h"

namespace dispatch::plugin {
namespace {

namespace fs = std::filesystem;
using testing::destinationConfig;
using testing::RecordingSender;
using testing::sampleDelivery;
using testing::TempDir;

// Creates a file destination with `path` under files_dir `filesDir` (config folder `base`).
std::unique_ptr<Destination> create(const std::string& base, const std::string& filesDir,
                                    const std::string& path, std::string* error) {
  Registry registry;
  if (Status s = registerBuiltinPlugins(registry); !s) {
    *error = s.message();
    return nullptr;
  }
  config::DestinationConfig d = destinationConfig("file", "", {{"path", path}});
  DestinationConfigView view(d, base, filesDir);
  RecordingSender sender;
  Services services;
  services.http = &sender;
  return registry.find("file")->create(view, services, error);
}

std::string readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(FileConfineTest, RelativePathsAreUnderFilesDir) {
  TempDir base;
  fs::create_directories(base.path() + "/files/sub");
  std::string error;
  auto d = create(base.path(), base.path() + "/files", "sub/out.jsonl", &error);
  ASSERT_NE(d, nullptr) << error;
  EXPECT_EQ(d->deliver(sampleDelivery("x")).status, 200);
  EXPECT_TRUE(fs::exists(base.path() + "/files/sub/out.jsonl"));
  // An absolute path inside files_dir is fine too.
  d = create(base.path(), base.path() + "/files", base.path() + "/files/abs.jsonl", &error);
  ASSERT_NE(d, nullptr) << error;
}

TEST(FileConfineTest, PathsLeavingFilesDirAreConfigErrorsWithTheirPosition) {
  TempDir base;
  fs::create_directories(base.path() + "/files");
  fs::create_directories(base.path() + "/other");
  const std::string root = base.path() + "/files";
  for (const std::string& path :
       {std::string("../other/out.jsonl"), std::string("sub/../../other/x.jsonl"),
        base.path() + "/other/out.jsonl", std::string("/etc/cron.d/x"), std::string(".."),
        std::string("/"), base.path() + "/files-evil/x.jsonl"}) {
    std::string error;
    EXPECT_EQ(create(base.path(), root, path, &error), nullptr) << path;
    EXPECT_EQ(error, std::string(testing::kLocation) + ": path: '" + path +
                         "' is outside files_dir '" + root + "'")
        << path;
  }
  std::string error;
  EXPECT_EQ(create(base.path(), root, ".", &error), nullptr);
  EXPECT_EQ(error, std::string(testing::kLocation) + ": path: '.' is a directory, not a file");
  EXPECT_EQ(create(base.path(), root, "a\nb", &error), nullptr);
  EXPECT_EQ(error, std::string(testing::kLocation) + ": path: must not contain control characters");
  // `..` that stays inside is only a spelling.
  fs::create_directories(root + "/a");
  EXPECT_NE(create(base.path(), root, "a/../a/out.jsonl", &error), nullptr) << error;
}

TEST(FileConfineTest, FilesDirDefaultsToTheConfigFolder) {
  TempDir base;
  std::string error;
  config::DestinationConfig d = destinationConfig("file", "", {{"path", "../escape.jsonl"}});
  DestinationConfigView view(d, base.path());  // no files_dir: the config folder
  EXPECT_EQ(view.filesDir(), base.path());
  Registry registry;
  ASSERT_TRUE(registerBuiltinPlugins(registry).isOk());
  RecordingSender sender;
  Services services;
  services.http = &sender;
  EXPECT_EQ(registry.find("file")->create(view, services, &error), nullptr);
  EXPECT_NE(error.find("is outside files_dir"), std::string::npos) << error;
}

TEST(FileConfineTest, ASymlinkAtLoadIsAConfigError) {
  TempDir base;
  TempDir elsewhere;
  fs::create_directory_symlink(elsewhere.path(), base.path() + "/linkdir");
  fs::create_symlink(elsewhere.path() + "/target", base.path() + "/link.jsonl");
  std::string error;
  EXPECT_EQ(create(base.path(), base.path(), "linkdir/out.jsonl", &error), nullptr);
  EXPECT_EQ(error, std::string(testing::kLocation) +
                       ": path: 'linkdir/out.jsonl' goes through a symbolic link ('" + base.path() +
                       "/linkdir')");
  EXPECT_EQ(create(base.path(), base.path(), "link.jsonl", &error), nullptr);
  EXPECT_NE(error.find("goes through a symbolic link"), std::string::npos) << error;
}

// A symlink planted at the file, or at a directory on its way, after the config was loaded.
class PlantedLinkTest : public ::testing::TestWithParam<bool> {};

TEST_P(PlantedLinkTest, TheDeliveryFailsAndNothingIsWrittenThroughTheLink) {
  const bool openat2 = GetParam();
  TempDir base;
  TempDir victim;
  const std::string root = base.path();
  fs::create_directories(root + "/sub");
  const std::string target = victim.path() + "/victim.txt";
  std::ofstream(target) << "precious\n";

  // The file itself becomes a link.
  fs::create_symlink(target, root + "/out.jsonl");
  int fd = plugins::openBeneath(root, "out.jsonl", openat2);
  EXPECT_EQ(fd, -ELOOP);
  // A dangling link would be created through by O_CREAT alone.
  fs::remove(target);
  EXPECT_EQ(plugins::openBeneath(root, "out.jsonl", openat2), -ELOOP);
  EXPECT_FALSE(fs::exists(target));
  std::ofstream(target) << "precious\n";
  fs::remove(root + "/out.jsonl");

  // A directory on the way becomes a link.
  fs::remove_all(root + "/sub");
  fs::create_directory_symlink(victim.path(), root + "/sub");
  EXPECT_EQ(plugins::openBeneath(root, "sub/victim.txt", openat2), -ELOOP);
  EXPECT_EQ(plugins::openBeneath(root, "sub/new.jsonl", openat2), -ELOOP);
  EXPECT_FALSE(fs::exists(victim.path() + "/new.jsonl"));
  EXPECT_EQ(readAll(target), "precious\n");

  // A plain file still opens, and `..` never gets out.
  fs::remove(root + "/sub");
  fs::create_directory(root + "/sub");
  fd = plugins::openBeneath(root, "sub/ok.jsonl", openat2);
  ASSERT_GE(fd, 0);
  ::close(fd);
  EXPECT_LT(plugins::openBeneath(root, "../x.jsonl", openat2), 0);
  EXPECT_FALSE(fs::exists(fs::path(root).parent_path() / "x.jsonl"));
}

TEST_P(PlantedLinkTest, HardLinksFifosAndDirectoriesAreRefused) {
  const bool openat2 = GetParam();
  TempDir base;
  const std::string root = base.path();
  std::ofstream(root + "/a.jsonl") << "a\n";
  ASSERT_EQ(::link((root + "/a.jsonl").c_str(), (root + "/b.jsonl").c_str()), 0);
  EXPECT_EQ(plugins::openBeneath(root, "b.jsonl", openat2), -EMLINK);
  ASSERT_EQ(::mkfifo((root + "/fifo").c_str(), 0600), 0);
  EXPECT_EQ(plugins::openBeneath(root, "fifo", openat2), -ENXIO);  // no reader: at once
  fs::create_directory(root + "/dir");
  EXPECT_LT(plugins::openBeneath(root, "dir", openat2), 0);
}

INSTANTIATE_TEST_SUITE_P(Openat2AndWalk, PlantedLinkTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "openat2" : "walk"; });

TEST(FileConfineTest, ADeliveryThroughAPlantedLinkFailsWithAClearError) {
  TempDir base;
  TempDir victim;
  const std::string target = victim.path() + "/victim.txt";
  std::ofstream(target) << "precious\n";
  std::string error;
  auto d = create(base.path(), base.path(), "out.jsonl", &error);
  ASSERT_NE(d, nullptr) << error;
  ASSERT_EQ(d->deliver(sampleDelivery("first")).status, 200);
  fs::remove(base.path() + "/out.jsonl");
  fs::create_symlink(target, base.path() + "/out.jsonl");  // planted after load

  DeliveryResult r = d->deliver(sampleDelivery("second"));
  EXPECT_EQ(r.kind, DeliveryResult::Kind::kNetwork);
  EXPECT_EQ(r.error, "file write failed: the path goes through a symbolic link");
  EXPECT_EQ(readAll(target), "precious\n");
}

}  // namespace
}  // namespace dispatch::plugin
