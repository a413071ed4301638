// resolvePath(): config paths relative to the config's folder, normalised without touching disk.
#include "core/util/path.h"

#include <gtest/gtest.h>

namespace dispatch {
namespace {

TEST(ResolvePathTest, RelativePathsJoinTheBase) {
  EXPECT_EQ(resolvePath("/etc/dispatch", "out/a.jsonl"), "/etc/dispatch/out/a.jsonl");
  EXPECT_EQ(resolvePath("/etc/dispatch/", "out/a.jsonl"), "/etc/dispatch/out/a.jsonl");
  EXPECT_EQ(resolvePath("/etc/dispatch", "./t/../t/x.lua"), "/etc/dispatch/t/x.lua");
  EXPECT_EQ(resolvePath("/etc/dispatch", "../var/a.jsonl"), "/etc/var/a.jsonl");
  EXPECT_EQ(resolvePath("conf", "t.lua"), "conf/t.lua");
  EXPECT_EQ(resolvePath(".", "t.lua"), "t.lua");
}

TEST(ResolvePathTest, AbsolutePathsIgnoreTheBase) {
  EXPECT_EQ(resolvePath("/etc/dispatch", "/var/log/a.jsonl"), "/var/log/a.jsonl");
  EXPECT_EQ(resolvePath("/etc/dispatch", "/var//log/./a.jsonl"), "/var/log/a.jsonl");
  EXPECT_EQ(resolvePath("", "/var/a"), "/var/a");
}

TEST(ResolvePathTest, AnEmptyBaseLeavesRelativePathsRelative) {
  EXPECT_EQ(resolvePath("", "a.jsonl"), "a.jsonl");
  EXPECT_EQ(resolvePath("", "out/../a.jsonl"), "a.jsonl");
  EXPECT_EQ(resolvePath("", "../a.jsonl"), "../a.jsonl");
  EXPECT_EQ(resolvePath("", ""), "");
}

TEST(ResolvePathTest, DirectoriesKeepTheirTrailingSlash) {
  // Lexical normalisation keeps a trailing separator; files_dir strips it itself.
  EXPECT_EQ(resolvePath("/srv", "var/"), "/srv/var/");
  EXPECT_EQ(resolvePath("/srv", ""), "/srv/");
}

}  // namespace
}  // namespace dispatch
