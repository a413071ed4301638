// checkUrl regressions found by tests/fuzz/url_fuzz (its corpus keeps the same inputs).
#include <gtest/gtest.h>

#include "core/net/network_policy.h"

namespace dispatch::net {
namespace {

// A trailing dot makes a name absolute; resolvers read `127.1.` as 127.0.0.1, so creation-time
// checks must refuse it as they refuse `127.1`.
TEST(NetworkPolicyFuzzTest, BlockedLiteralsWithTrailingDotsAreRefused) {
  const NetworkPolicy policy{false, false};
  for (const char* url :
       {"https://127.0.0.1./", "https://127.1./", "https://0.0.0.0./",
        "https://169.254.169.254./latest/meta-data", "https://0x7f.1./", "https://localhost./"}) {
    EXPECT_EQ(checkUrl(url, policy).code(), Code::kBlocked) << url;
  }
  EXPECT_TRUE(checkUrl("https://8.8.8.8./", policy).isOk());
  EXPECT_TRUE(checkUrl("https://example.com./", policy).isOk());
}

}  // namespace
}  // namespace dispatch::net
