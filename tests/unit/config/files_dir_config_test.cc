// `files_dir`: where file destinations write; the config folder by default.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/config/config.h"
#include "tests/unit/config/config_test_util.h"

namespace dispatch::config {
namespace {

using ::testing::ElementsAre;
using testing::errorsOf;
using testing::fakeEnv;
using ::testing::HasSubstr;
using testing::joinErrors;
using testing::kHead;
using testing::kSecret;

TEST(FilesDir, DefaultsToTheConfigFolder) {
  testing::TempDir dir;
  const std::string path = dir.write("conf/dispatch.yaml", kHead);
  LoadResult r = loadFile(path, fakeEnv({}));
  ASSERT_TRUE(r.config) << joinErrors(r.errors);
  EXPECT_EQ(r.config->filesDir, dir.path() + "/conf");

  dir.write("conf/dispatch.yaml", kHead + "files_dir: ../out/\n");
  r = loadFile(path, fakeEnv({}));
  ASSERT_TRUE(r.config) << joinErrors(r.errors);
  EXPECT_EQ(r.config->filesDir, dir.path() + "/out");
  dir.write("conf/dispatch.yaml", kHead + "files_dir: /srv/dispatch/files\n");
  r = loadFile(path, fakeEnv({}));
  ASSERT_TRUE(r.config) << joinErrors(r.errors);
  EXPECT_EQ(r.config->filesDir, "/srv/dispatch/files");
  EXPECT_THAT(errorsOf(kHead + "files_dir: [a]\n"),
              ElementsAre("config/dispatch.yaml:5:12: files_dir: must be a string"));
}

}  // namespace
}  // namespace dispatch::config
