// Tests for UUIDv7 generation, stable name-based ids and UUID validation.
#include "core/util/uuid.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/util/time.h"

namespace dispatch {
namespace {

int64_t timestampOf(const std::string& id) {
  // The first 48 bits: 8 + 4 hex digits around the first hyphen.
  return std::stoll(id.substr(0, 8) + id.substr(9, 4), nullptr, 16);
}

TEST(UuidV7Test, FormatVersionAndVariant) {
  for (int i = 0; i < 1000; ++i) {
    const std::string id = newUuidV7();
    ASSERT_EQ(id.size(), 36u);
    EXPECT_TRUE(isUuid(id)) << id;
    EXPECT_EQ(id[14], '7') << id;
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
    for (char c : id) EXPECT_FALSE(c >= 'A' && c <= 'F') << id;
  }
}

TEST(UuidV7Test, EmbedsCurrentTime) {
  const TimeMs before = nowMs();
  const std::string id = newUuidV7();
  const TimeMs after = nowMs();
  EXPECT_GE(timestampOf(id), before);
  EXPECT_LE(timestampOf(id), after);
}

TEST(UuidV7Test, OrdersAcrossMilliseconds) {
  std::string previous = newUuidV7();
  for (int i = 0; i < 5; ++i) {
    const TimeMs start = nowMs();
    while (nowMs() == start) std::this_thread::yield();
    const std::string next = newUuidV7();
    EXPECT_LT(previous, next);
    previous = next;
  }
}

TEST(UuidV7Test, UniqueAcrossThreads) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 5000;
  std::vector<std::vector<std::string>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&ids, t] {
      for (int i = 0; i < kPerThread; ++i) ids[t].push_back(newUuidV7());
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> all;
  for (const auto& v : ids) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST(UuidV7Test, ForkedChildDoesNotRepeatParentIds) {
  newUuidV7();  // fill this thread's pool before forking
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string id = newUuidV7();
    const ssize_t written = write(fds[1], id.data(), id.size());
    _exit(written == static_cast<ssize_t>(id.size()) ? 0 : 1);
  }
  const std::string parentId = newUuidV7();
  char buf[36];
  ASSERT_EQ(read(fds[0], buf, sizeof buf), 36);
  int status = 0;
  waitpid(pid, &status, 0);
  close(fds[0]);
  close(fds[1]);
  // Same millisecond is likely; the random bits must still differ.
  EXPECT_NE(parentId.substr(14), std::string(buf, 36).substr(14));
}

TEST(UuidStableTest, DeterministicV5Style) {
  const std::string a = stableUuid("project", "orders");
  EXPECT_EQ(a, stableUuid("project", "orders"));
  EXPECT_TRUE(isUuid(a));
  EXPECT_EQ(a[14], '5');
  EXPECT_NE(std::string("89ab").find(a[19]), std::string::npos);
  EXPECT_NE(a, stableUuid("project", "order"));
  EXPECT_NE(a, stableUuid("endpoint", "orders"));
  // The separator keeps the namespace/name boundary significant.
  EXPECT_NE(stableUuid("ab", "c"), stableUuid("a", "bc"));
  // Fixed expectations (computed independently) pin the algorithm across releases.
  EXPECT_EQ(stableUuid("", ""), "5ba93c9d-b0cf-593f-92b5-21d7420e43f6");
  EXPECT_EQ(stableUuid("project", "orders"), "7660567b-adf3-525b-9bac-87f2f9c052fd");
}

TEST(UuidValidateTest, IsUuid) {
  EXPECT_TRUE(isUuid("0190b3a4-7c3e-7def-8a12-3456789abcde"));
  EXPECT_TRUE(isUuid("0190B3A4-7C3E-7DEF-8A12-3456789ABCDE"));
  EXPECT_TRUE(isUuid("00000000-0000-0000-0000-000000000000"));
  EXPECT_FALSE(isUuid(""));
  EXPECT_FALSE(isUuid("0190b3a47c3e7def8a123456789abcde"));
  EXPECT_FALSE(isUuid("{0190b3a4-7c3e-7def-8a12-3456789abcde}"));
  EXPECT_FALSE(isUuid("0190b3a4-7c3e-7def-8a12-3456789abcd"));
  EXPECT_FALSE(isUuid("0190b3a4-7c3e-7def-8a12-3456789abcdef"));
  EXPECT_FALSE(isUuid("0190b3a4-7c3e-7def-8a123456789abcde-"));
  EXPECT_FALSE(isUuid("0190b3a4_7c3e_7def_8a12_3456789abcde"));
  EXPECT_FALSE(isUuid("0190b3g4-7c3e-7def-8a12-3456789abcde"));
  EXPECT_FALSE(isUuid(" 190b3a4-7c3e-7def-8a12-3456789abcde"));
}

}  // namespace
}  // namespace dispatch
