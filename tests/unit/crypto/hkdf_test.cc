// HKDF-SHA256 against RFC 5869's test vectors, and the per-project key derivation pinned to an
// independent computation (Python's hmac/hashlib): a change here would orphan stored values.
#include "core/crypto/hkdf.h"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>

#include "core/util/crypto.h"

namespace dispatch::crypto {
namespace {

std::string unhex(std::string_view hex) { return *hexDecode(hex); }

TEST(HkdfTest, Rfc5869Case1) {
  EXPECT_EQ(hexEncode(hkdfSha256(std::string(22, '\x0b'), unhex("000102030405060708090a0b0c"),
                                 unhex("f0f1f2f3f4f5f6f7f8f9"), 42)),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(HkdfTest, Rfc5869Case2LongInputs) {
  std::string ikm, salt, info;
  for (int i = 0; i < 80; ++i) {
    ikm += static_cast<char>(i);
    salt += static_cast<char>(0x60 + i);
    info += static_cast<char>(0xb0 + i);
  }
  EXPECT_EQ(hexEncode(hkdfSha256(ikm, salt, info, 82)),
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
            "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
            "cc30c58179ec3e87c14c01d5c1f3434f1d87");
}

TEST(HkdfTest, Rfc5869Case3NoSaltNoInfo) {
  EXPECT_EQ(hexEncode(hkdfSha256(std::string(22, '\x0b'), "", "", 42)),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(HkdfTest, RefusesWhatHkdfCannotDo) {
  EXPECT_THROW(hkdfSha256("", "salt", "info", 32), std::runtime_error);
  EXPECT_THROW(hkdfSha256("ikm", "", "", 0), std::runtime_error);
  EXPECT_THROW(hkdfSha256("ikm", "", "", 255 * 32 + 1), std::runtime_error);
  EXPECT_EQ(hkdfSha256("ikm", "", "", 255 * 32).size(), 255u * 32);
}

TEST(HkdfTest, ProjectKeyIsPinned) {
  std::string master;
  for (int i = 0; i < 32; ++i) master += static_cast<char>(i);
  // HKDF(master, no salt, "dispatch/v1/project/6f1d…") computed with Python's hmac module.
  EXPECT_EQ(hexEncode(projectKey(master, "6f1d5a3e-7a0b-5c1e-9d2f-0123456789ab")),
            "d7980ae36b91d46f890ec38517afa8f212ed37bd674367171cb72e3ea8b1ca86");
}

TEST(HkdfTest, ProjectKeysDifferPerProjectAndPerMasterKey) {
  const std::string masterA(32, 'a'), masterB(32, 'b');
  std::set<std::string> keys;
  for (const std::string& master : {masterA, masterB}) {
    for (const char* project : {"p1", "p2", "p10", "", "p1/"}) {
      const std::string key = projectKey(master, project);
      EXPECT_EQ(key.size(), 32u);
      EXPECT_EQ(key, projectKey(master, project));  // deterministic
      keys.insert(key);
    }
  }
  EXPECT_EQ(keys.size(), 10u);
}

}  // namespace
}  // namespace dispatch::crypto
