// AES-256-GCM over EVP against the GCM specification's test vectors (McGrew & Viega, cases 13,
// 14 and 16), and refusal of any altered input.
#include "core/crypto/aes_gcm.h"

#include <gtest/gtest.h>

#include <string>

#include "core/util/crypto.h"

namespace dispatch::crypto {
namespace {

std::string unhex(std::string_view hex) { return *hexDecode(hex); }

unsigned char* out(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

struct Sealed {
  std::string ciphertext, tag;
};

Sealed seal(const std::string& key, const std::string& nonce, const std::string& aad,
            const std::string& plaintext) {
  Sealed s{std::string(plaintext.size(), '\0'), std::string(kGcmTagBytes, '\0')};
  aesGcmSeal(key, nonce, {aad}, plaintext, out(s.ciphertext), out(s.tag));
  return s;
}

TEST(AesGcmTest, SpecCase13And14ZeroKey) {
  const std::string key(32, '\0'), nonce(12, '\0');
  EXPECT_EQ(hexEncode(seal(key, nonce, "", "").tag), "530f8afbc74536b9a963b4f1c4cb738b");
  const Sealed s = seal(key, nonce, "", std::string(16, '\0'));
  EXPECT_EQ(hexEncode(s.ciphertext), "cea7403d4d606b6e074ec5d3baf39d18");
  EXPECT_EQ(hexEncode(s.tag), "d0d1c8a799996bf0265b98b5d48ab919");
}

class AesGcmCase16 : public ::testing::Test {
 protected:
  const std::string key_ =
      unhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
  const std::string nonce_ = unhex("cafebabefacedbaddecaf888");
  const std::string aad_ = unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  const std::string plaintext_ = unhex(
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
  const std::string ciphertext_ = unhex(
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
      "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662");
  const std::string tag_ = unhex("76fc6ece0f4e1768cddf8853bb2d551b");

  bool opens(const std::string& key, const std::string& nonce, const std::string& aad,
             const std::string& ciphertext, const std::string& tag, std::string* plaintext) {
    plaintext->assign(ciphertext.size(), '\x7f');
    return aesGcmOpen(key, nonce, {aad}, ciphertext, tag, out(*plaintext));
  }
};

TEST_F(AesGcmCase16, Seals) {
  const Sealed s = seal(key_, nonce_, aad_, plaintext_);
  EXPECT_EQ(s.ciphertext, ciphertext_);
  EXPECT_EQ(s.tag, tag_);
}

TEST_F(AesGcmCase16, AadInPiecesIsTheSameAad) {
  Sealed s{std::string(plaintext_.size(), '\0'), std::string(kGcmTagBytes, '\0')};
  aesGcmSeal(key_, nonce_, {aad_.substr(0, 7), "", aad_.substr(7)}, plaintext_, out(s.ciphertext),
             out(s.tag));
  EXPECT_EQ(s.tag, tag_);
}

TEST_F(AesGcmCase16, Opens) {
  std::string plaintext;
  ASSERT_TRUE(opens(key_, nonce_, aad_, ciphertext_, tag_, &plaintext));
  EXPECT_EQ(plaintext, plaintext_);
}

TEST_F(AesGcmCase16, RefusesAnyAlteredInputAndZeroesItsOutput) {
  const auto flipped = [](std::string s, size_t at) {
    s[at] = static_cast<char>(s[at] ^ 0x01);
    return s;
  };
  std::string plaintext;
  const std::string zeros(ciphertext_.size(), '\0');
  EXPECT_FALSE(opens(flipped(key_, 31), nonce_, aad_, ciphertext_, tag_, &plaintext));
  EXPECT_EQ(plaintext, zeros);
  EXPECT_FALSE(opens(key_, flipped(nonce_, 0), aad_, ciphertext_, tag_, &plaintext));
  EXPECT_EQ(plaintext, zeros);
  EXPECT_FALSE(opens(key_, nonce_, flipped(aad_, 19), ciphertext_, tag_, &plaintext));
  EXPECT_FALSE(opens(key_, nonce_, aad_.substr(1), ciphertext_, tag_, &plaintext));
  EXPECT_FALSE(opens(key_, nonce_, aad_, flipped(ciphertext_, 30), tag_, &plaintext));
  EXPECT_EQ(plaintext, zeros);
  EXPECT_FALSE(opens(key_, nonce_, aad_, ciphertext_, flipped(tag_, 15), &plaintext));
  EXPECT_FALSE(opens(key_, nonce_, aad_, ciphertext_, tag_.substr(0, 12), &plaintext));
  EXPECT_FALSE(opens(key_.substr(1), nonce_, aad_, ciphertext_, tag_, &plaintext));
  // And the state a refusal leaves behind does not spoil the next call on this thread.
  ASSERT_TRUE(opens(key_, nonce_, aad_, ciphertext_, tag_, &plaintext));
  EXPECT_EQ(plaintext, plaintext_);
}

TEST(AesGcmTest, RefusesKeysAndNoncesOfTheWrongSize) {
  std::string c(1, '\0'), tag(kGcmTagBytes, '\0');
  EXPECT_THROW(aesGcmSeal(std::string(16, 'k'), std::string(12, 'n'), {}, "x", out(c), out(tag)),
               std::runtime_error);
  EXPECT_THROW(aesGcmSeal(std::string(32, 'k'), std::string(16, 'n'), {}, "x", out(c), out(tag)),
               std::runtime_error);
}

}  // namespace
}  // namespace dispatch::crypto
