// The store's sealing rules (sealer.h): which rows are sealed, and how each row is read back.
#include "core/store/sealer.h"

#include <gtest/gtest.h>

namespace dispatch::store {
namespace {

const char* kP = "0191a7e2-0000-7000-8000-000000000001";
const char* kQ = "0191a7e2-0000-7000-8000-000000000002";

std::shared_ptr<const crypto::Vault> vault(const char* ring) {
  auto r = crypto::KeyRing::parse(ring);
  EXPECT_TRUE(r) << r.status().message();
  return std::make_shared<const crypto::Vault>(std::move(r).value());
}

const char* kK1 = "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const char* kK2K1 =
    "k2:ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=,k1:"
    "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

TEST(Sealer, OnlyTheEncryptingProjectsRowsAreSealed) {
  Sealer s(vault(kK1), {kP});
  RowSeal p(&s, kP), q(&s, kQ);
  ASSERT_TRUE(p.on());
  EXPECT_EQ(*p.keyId(), "k1");
  EXPECT_STREQ(p.keyIdParam(), "k1");
  EXPECT_FALSE(q.on());
  EXPECT_FALSE(q.keyId());
  EXPECT_EQ(q.keyIdParam(), nullptr);
  EXPECT_EQ(q(kFieldEventBody, "plain"), "plain");
  std::string sealed = p(kFieldEventBody, std::string("secret\0bytes", 12));
  EXPECT_EQ(sealed.rfind("dx1.k1.", 0), 0u);
  EXPECT_EQ(sealed.find("secret"), std::string::npos);
  EXPECT_EQ(s.open(std::string("k1"), kP, kFieldEventBody, sealed),
            std::string("secret\0bytes", 12));
}

TEST(Sealer, APlaintextRowReadsAsItIsEvenWhenItLooksLikeAnEnvelope) {
  Sealer s(vault(kK1), {kP});
  std::string lookalike = RowSeal(&s, kP)(kFieldEventBody, "x");
  EXPECT_EQ(s.open(std::nullopt, kP, kFieldEventBody, lookalike), lookalike);
  EXPECT_EQ(openField(nullptr, std::nullopt, kP, kFieldEventBody, "plain"), "plain");
}

TEST(Sealer, AValueMovedToAnotherFieldOrProjectDoesNotOpen) {
  Sealer s(vault(kK1), {kP, kQ});
  std::string sealed = RowSeal(&s, kP)(kFieldJobPayload, "{\"a\":1}");
  EXPECT_THROW(s.open(std::string("k1"), kP, kFieldJobHeaders, sealed), SealError);
  EXPECT_THROW(s.open(std::string("k1"), kQ, kFieldJobPayload, sealed), SealError);
}

TEST(Sealer, ASealedRowWithoutKeysIsAnErrorNamingNoSecret) {
  Sealer s(vault(kK1), {kP});
  std::string sealed = RowSeal(&s, kP)(kFieldResponseBody, "secret-body");
  try {
    openField(nullptr, std::string("k1"), kP, kFieldResponseBody, sealed);
    FAIL() << "opened without a sealer";
  } catch (const SealError& e) {
    EXPECT_NE(std::string(e.what()).find("DISPATCH_MASTER_KEYS is not set"), std::string::npos);
    EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos);
  }
  Sealer noKeys(nullptr, {kP});
  EXPECT_FALSE(RowSeal(&noKeys, kP).on());  // without a vault nothing is sealed
  EXPECT_THROW(noKeys.open(std::string("k1"), kP, kFieldResponseBody, sealed), SealError);
}

TEST(Sealer, RotationReadsOldRowsAndSealsNewOnesWithTheFirstKey) {
  Sealer old(vault(kK1), {kP});
  std::string underK1 = RowSeal(&old, kP)(kFieldEventHeaders, "{\"x\":\"y\"}");
  Sealer rotated(vault(kK2K1), {kP});
  EXPECT_EQ(rotated.open(std::string("k1"), kP, kFieldEventHeaders, underK1), "{\"x\":\"y\"}");
  EXPECT_EQ(*RowSeal(&rotated, kP).keyId(), "k2");
  Sealer k2Only(vault("k2:ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="), {kP});
  EXPECT_THROW(k2Only.open(std::string("k1"), kP, kFieldEventHeaders, underK1), SealError);
}

}  // namespace
}  // namespace dispatch::store
