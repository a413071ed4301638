// DISPATCH_MASTER_KEYS parsing: the accepted form, every malformed one with its message, and
// messages that never show key material.
#include "core/crypto/key_ring.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/util/crypto.h"

namespace dispatch::crypto {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// base64 of the bytes 0..31 and 32..63.
constexpr char kKey1[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
constexpr char kKey2[] = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

std::string errorOf(const std::string& text) {
  Result<KeyRing> ring = KeyRing::parse(text);
  EXPECT_FALSE(ring.isOk()) << text;
  if (ring.isOk()) return "";
  EXPECT_EQ(ring.status().code(), Code::kInvalid) << text;
  return ring.status().message();
}

TEST(KeyRingTest, ParsesOneKey) {
  Result<KeyRing> ring = KeyRing::parse(std::string("k1:") + kKey1);
  ASSERT_TRUE(ring.isOk()) << ring.status().message();
  EXPECT_EQ(ring->currentId(), "k1");
  ASSERT_EQ(ring->keys().size(), 1u);
  EXPECT_EQ(ring->keys()[0].bytes(), *base64Decode(kKey1));
  EXPECT_EQ(ring->find("k1"), &ring->keys()[0]);
  EXPECT_EQ(ring->find("k2"), nullptr);
}

TEST(KeyRingTest, TheFirstKeyIsCurrentAndEveryKeyIsKept) {
  Result<KeyRing> ring =
      KeyRing::parse(std::string("2024-06_b:") + kKey2 + " , \tOld_Key-1:" + kKey1 + " ");
  ASSERT_TRUE(ring.isOk()) << ring.status().message();
  EXPECT_EQ(ring->currentId(), "2024-06_b");
  ASSERT_EQ(ring->keys().size(), 2u);
  EXPECT_EQ(ring->keys()[1].id(), "Old_Key-1");
  ASSERT_NE(ring->find("Old_Key-1"), nullptr);
  EXPECT_EQ(ring->find("Old_Key-1")->bytes(), *base64Decode(kKey1));
  EXPECT_EQ(ring->find("2024-06_b")->bytes(), *base64Decode(kKey2));
}

TEST(KeyRingTest, PaddingIsOptionalAndIdsMayBe32Long) {
  std::string unpadded = kKey1;
  unpadded.pop_back();
  const std::string id(32, 'x');
  Result<KeyRing> ring = KeyRing::parse(id + ":" + unpadded);
  ASSERT_TRUE(ring.isOk()) << ring.status().message();
  EXPECT_EQ(ring->currentId(), id);
}

TEST(KeyRingTest, EmptyTextHasNoKey) {
  for (const char* text : {"", "   ", "\t"}) {
    EXPECT_EQ(errorOf(text),
              "DISPATCH_MASTER_KEYS: no key (expected kid:<base64 of 32 bytes>[,kid:<base64>…])")
        << '"' << text << '"';
  }
}

TEST(KeyRingTest, EntriesThatAreNotKidColonBase64) {
  const std::string k1 = std::string("k1:") + kKey1;
  EXPECT_EQ(errorOf(kKey1), "DISPATCH_MASTER_KEYS: entry 1 is not kid:base64");
  EXPECT_EQ(errorOf(":" + std::string(kKey1)), "DISPATCH_MASTER_KEYS: entry 1 is not kid:base64");
  EXPECT_EQ(errorOf("k1:"), "DISPATCH_MASTER_KEYS: entry 1 is not kid:base64");
  EXPECT_EQ(errorOf(k1 + ","), "DISPATCH_MASTER_KEYS: entry 2 is not kid:base64");
  EXPECT_EQ(errorOf(k1 + ", ,k2:" + kKey2), "DISPATCH_MASTER_KEYS: entry 2 is not kid:base64");
  EXPECT_EQ(errorOf(k1 + ";k2:" + kKey2), "DISPATCH_MASTER_KEYS: key k1 is not valid base64");
}

TEST(KeyRingTest, KeyIdsFollowTheRule) {
  const std::string rule = "key id must match [A-Za-z0-9_-]{1,32}";
  EXPECT_EQ(errorOf(std::string("k.1:") + kKey1), "DISPATCH_MASTER_KEYS: entry 1: " + rule);
  EXPECT_EQ(errorOf(std::string("k 1:") + kKey1), "DISPATCH_MASTER_KEYS: entry 1: " + rule);
  EXPECT_EQ(errorOf(std::string(33, 'x') + ":" + kKey1), "DISPATCH_MASTER_KEYS: entry 1: " + rule);
  EXPECT_EQ(errorOf(std::string("k1:") + kKey1 + ",ké:" + kKey2),
            "DISPATCH_MASTER_KEYS: entry 2: " + rule);
}

TEST(KeyRingTest, KeysMustBeBase64OfExactly32Bytes) {
  EXPECT_EQ(errorOf("k1:not*base64!"), "DISPATCH_MASTER_KEYS: key k1 is not valid base64");
  // base64 of 16 and of 33 bytes.
  EXPECT_EQ(errorOf("k2:" + base64Encode(std::string(16, 'a'))),
            "DISPATCH_MASTER_KEYS: key k2 is 16 bytes, expected 32");
  EXPECT_EQ(errorOf("k2:" + base64Encode(std::string(33, 'a'))),
            "DISPATCH_MASTER_KEYS: key k2 is 33 bytes, expected 32");
}

TEST(KeyRingTest, KeyIdsAreUnique) {
  EXPECT_EQ(errorOf(std::string("k1:") + kKey1 + ",k2:" + kKey2 + ",k1:" + kKey2),
            "DISPATCH_MASTER_KEYS: duplicate key id k1");
}

TEST(KeyRingTest, ErrorsNeverShowKeyMaterial) {
  const std::string shortKey = base64Encode(std::string(16, '\x5a'));  // WlpaWlpa…
  const std::string longKey = base64Encode(std::string(40, '\x5a'));
  const std::vector<std::string> inputs = {
      kKey1,                                         // the key without its id
      std::string(kKey1) + ":" + kKey2,              // a key where the id goes
      std::string("k1:") + kKey1 + ",k1:" + kKey2,   // duplicate
      "k1:" + shortKey,                              // too short
      "k1:" + longKey,                               // too long
      std::string("k1:") + kKey1 + "!",              // not base64
      std::string("k1:") + kKey1 + "," + kKey2,      // second entry without id
      std::string("k1:") + kKey1 + ",k.2:" + kKey2,  // invalid id
  };
  for (const std::string& text : inputs) {
    const std::string message = errorOf(text);
    ASSERT_FALSE(message.empty()) << text;
    // Any 6 characters of a key's text would be a leak.
    for (const std::string& key : {std::string(kKey1), std::string(kKey2), shortKey, longKey}) {
      for (size_t at = 0; at + 6 <= key.size(); ++at) {
        EXPECT_THAT(message, Not(HasSubstr(key.substr(at, 6)))) << text;
      }
    }
  }
}

TEST(KeyRingTest, KeyIdRule) {
  EXPECT_TRUE(isKeyId("a"));
  EXPECT_TRUE(isKeyId("AZaz09_-"));
  EXPECT_TRUE(isKeyId(std::string(32, '9')));
  EXPECT_FALSE(isKeyId(""));
  EXPECT_FALSE(isKeyId(std::string(33, '9')));
  for (const char* bad : {"a.b", "a:b", "a,b", "a b", "a/b", "a+b", "a=b"}) {
    EXPECT_FALSE(isKeyId(bad)) << bad;
  }
}

}  // namespace
}  // namespace dispatch::crypto
