// Tests for the OpenSSL-backed crypto and encoding helpers, with published test vectors.
#include "core/util/crypto.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

namespace dispatch::crypto {
namespace {

TEST(CryptoHmacTest, Rfc4231Case2) {
  EXPECT_EQ(hexEncode(hmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(CryptoHmacTest, Rfc4231Case1And6) {
  EXPECT_EQ(hexEncode(hmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Case 6: a key longer than the block size is hashed first.
  EXPECT_EQ(hexEncode(hmacSha256(std::string(131, '\xaa'),
                                 "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(CryptoHmacTest, EmptyKeyAndData) {
  EXPECT_EQ(hexEncode(hmacSha256("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  EXPECT_EQ(hmacSha256("k", std::string("a\0b", 3)).size(), 32u);
  EXPECT_NE(hmacSha256("k", std::string("a\0b", 3)), hmacSha256("k", "a"));
}

TEST(CryptoHmacTest, StandardWebhooksVector) {
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const std::optional<std::string> key = base64Decode(secret.substr(6));
  ASSERT_TRUE(key.has_value());
  const std::string signedContent =
      "msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{\"test\": 2432232314}";
  EXPECT_EQ(base64Encode(hmacSha256(*key, signedContent)),
            "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(CryptoHmacTest, ConsistentAcrossThreads) {
  // Each thread reuses its own context with alternating keys.
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&failures, t] {
      for (int i = 0; i < 500; ++i) {
        if (hexEncode(hmacSha256("Jefe", "what do ya want for nothing?")) !=
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843") {
          ++failures[t];
        }
        if (hexEncode(hmacSha256("", "")) !=
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad") {
          ++failures[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

TEST(CryptoShaTest, Sha256Vectors) {
  EXPECT_EQ(hexEncode(sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hexEncode(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CryptoHexTest, EncodeDecode) {
  EXPECT_EQ(hexEncode(""), "");
  EXPECT_EQ(hexEncode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
  EXPECT_EQ(hexDecode("0001abff"), std::string("\x00\x01\xab\xff", 4));
  EXPECT_EQ(hexDecode("0001ABFF"), std::string("\x00\x01\xab\xff", 4));
  EXPECT_EQ(hexDecode(""), std::string());
  EXPECT_FALSE(hexDecode("abc").has_value());
  EXPECT_FALSE(hexDecode("zz").has_value());
  EXPECT_FALSE(hexDecode("0x").has_value());
  EXPECT_FALSE(hexDecode(" 0").has_value());
}

TEST(CryptoBase64Test, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64Encode(plain), encoded);
    EXPECT_EQ(base64Decode(encoded), std::string(plain)) << encoded;
  }
}

TEST(CryptoBase64Test, RoundTripsAllLengthsAndBytes) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    EXPECT_EQ(base64Decode(base64Encode(bytes)), bytes) << i;
    bytes += static_cast<char>(i * 37 + 11);
  }
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  const std::string enc = base64Encode(all);
  EXPECT_NE(enc.find('+'), std::string::npos);
  EXPECT_NE(enc.find('/'), std::string::npos);
  EXPECT_EQ(base64Decode(enc), all);
}

TEST(CryptoBase64Test, AppendKeepsWhatIsThere) {
  std::string out = "dx1.k1.";
  base64Append(out, "fooba");
  EXPECT_EQ(out, "dx1.k1.Zm9vYmE=");
  base64Append(out, "");
  EXPECT_EQ(out, "dx1.k1.Zm9vYmE=");
}

TEST(CryptoBase64Test, PaddingIsOptional) {
  EXPECT_EQ(base64Decode("Zg"), "f");
  EXPECT_EQ(base64Decode("Zm8"), "fo");
  EXPECT_EQ(base64Decode("Zm9vYg"), "foob");
}

TEST(CryptoBase64Test, RejectsInvalidInput) {
  const char* invalid[] = {"Z",
                           "Zm9vY",
                           "Zg=",
                           "Zg===",
                           "=",
                           "==",
                           "Zg==Zg==",
                           "Z=g=",
                           "Zm9v\n",
                           "Zm 9",
                           "Zm9-",
                           "Zm9_",
                           "Zm9v!",
                           "====",
                           "Zm8==",
                           "Z===",
                           "\xC3\xA9\xC3\xA9"};
  for (const char* s : invalid) {
    EXPECT_FALSE(base64Decode(s).has_value()) << s;
  }
}

TEST(CryptoCompareTest, ConstantTimeEquals) {
  EXPECT_TRUE(constantTimeEquals("", ""));
  EXPECT_TRUE(constantTimeEquals("abc", "abc"));
  EXPECT_FALSE(constantTimeEquals("abc", "abd"));
  EXPECT_FALSE(constantTimeEquals("abc", "xbc"));
  EXPECT_FALSE(constantTimeEquals("abc", "ab"));
  EXPECT_FALSE(constantTimeEquals("", "a"));
  EXPECT_TRUE(constantTimeEquals(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(constantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(CryptoRandomTest, ProducesRequestedLengthAndVaries) {
  EXPECT_EQ(randomBytes(0).size(), 0u);
  EXPECT_EQ(randomBytes(1).size(), 1u);
  EXPECT_EQ(randomBytes(100'000).size(), 100'000u);
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(randomBytes(16));
  EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace dispatch::crypto
