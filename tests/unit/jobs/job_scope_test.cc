// Tenant scoping of the job API (core/jobs/job_service.h): which project a caller creates in
// and which one a listing shows.
#include <gtest/gtest.h>

#include "core/jobs/job_service.h"

namespace dispatch::jobs {
namespace {

const std::string kOwn = "0190c0de-0000-7000-8000-000000000001";
const std::string kOther = "0190c0de-0000-7000-8000-000000000002";
const std::optional<std::string> kAdmin = std::nullopt;

TEST(JobScope, AKeyCreatesInItsOwnProject) {
  auto p = creatorProject(kOwn);
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, kOwn);
}

TEST(JobScope, TheAdminCannotCreate) {
  auto p = creatorProject(kAdmin);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.status().code(), Code::kInvalid);
  EXPECT_EQ(p.status().message(), "Jobs are created with a project API key");
}

TEST(JobScope, TheAdminListsEveryProjectOrTheOneAskedFor) {
  auto all = listedProject(kAdmin, std::nullopt);
  ASSERT_TRUE(all);
  EXPECT_FALSE(all->has_value());
  auto one = listedProject(kAdmin, kOther);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->value(), kOther);
}

TEST(JobScope, TheAdminAskingForANonUuidIsRefused) {
  auto r = listedProject(kAdmin, std::string("acme"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kInvalid);
  EXPECT_EQ(r.status().message(), "projectId must be a UUID");
}

TEST(JobScope, AKeyListsItsOwnProject) {
  for (const auto& asked : {std::optional<std::string>(), std::optional<std::string>(kOwn)}) {
    auto r = listedProject(kOwn, asked);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->value(), kOwn);
  }
}

TEST(JobScope, AKeyAskingForAnotherProjectSeesNothing) {
  auto r = listedProject(kOwn, kOther);
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->has_value());
  EXPECT_NE(r->value(), kOwn);
  EXPECT_NE(r->value(), kOther);
  auto bad = listedProject(kOwn, std::string("not-a-uuid"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().message(), "projectId must be a UUID");
}

}  // namespace
}  // namespace dispatch::jobs
