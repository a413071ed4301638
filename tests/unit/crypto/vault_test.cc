// The Vault: envelopes round-trip, are bound to their project, AAD and key id, refuse any
// change, survive key rotation, and open as sealed by an independent implementation.
#include "core/crypto/vault.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/util/crypto.h"

namespace dispatch::crypto {
namespace {

using namespace std::literals;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// base64 of the bytes 0..31 and 32..63.
constexpr char kKey1[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
constexpr char kKey2[] = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
constexpr char kProject[] = "6f1d5a3e-7a0b-5c1e-9d2f-0123456789ab";
constexpr char kOther[] = "0e8b1f0c-2d3a-5b4c-8d6e-fedcba987654";

KeyRing ring(const std::string& text) {
  Result<KeyRing> r = KeyRing::parse(text);
  EXPECT_TRUE(r.isOk()) << r.status().message();
  return std::move(r).value();
}

const std::string kRing1 = std::string("k1:") + kKey1;

std::string openOk(const Vault& v, std::string_view project, std::string_view aad,
                   std::string_view envelope) {
  Result<std::string> r = v.open(project, aad, envelope);
  EXPECT_TRUE(r.isOk()) << r.status().message();
  return r.isOk() ? r.value() : "";
}

// What open says about an envelope it must refuse (its code checked against `code`).
std::string refusal(const Vault& v, std::string_view project, std::string_view aad,
                    std::string_view envelope, Code code = Code::kInvalid) {
  Result<std::string> r = v.open(project, aad, envelope);
  EXPECT_FALSE(r.isOk()) << envelope;
  if (r.isOk()) return "";
  EXPECT_EQ(r.status().code(), code) << envelope;
  return r.status().message();
}

const char kAltered[] =
    "sealed value does not authenticate (altered, or sealed for another project, field or key)";
const char kMalformed[] = "sealed value is malformed (expected dx1.<kid>.<base64>)";

// The envelope with its decoded payload changed by `edit`, re-encoded canonically.
template <class Edit>
std::string withPayload(const std::string& envelope, Edit edit) {
  const size_t dot = envelope.rfind('.');
  std::string raw = *base64Decode(envelope.substr(dot + 1));
  edit(raw);
  return envelope.substr(0, dot + 1) + base64Encode(raw);
}

TEST(VaultTest, OpensAnEnvelopeSealedByAnIndependentImplementation) {
  // Python: HKDF as hkdf_test.cc's pinned key, then cryptography's AESGCM with nonce
  // 0x64..0x6f and AAD "dx1.k1." + "event.body".
  const Vault v(ring(kRing1));
  EXPECT_EQ(openOk(v, kProject, "event.body",
                   "dx1.k1.ZGVmZ2hpamtsbW5vWtoJbB5NX6SjapMwYwTzswzoD7YmCvdbQLlFPQ=="),
            "hello, vault");
}

TEST(VaultTest, RoundTripsEmptyBinaryAndLargeValues) {
  const Vault v(ring(kRing1));
  std::string binary("\0a\0\xff\x80\n\r\"'\\", 10);
  std::string large = randomBytes(1 << 20);
  for (const std::string& plaintext : {std::string(), binary, large}) {
    const std::string envelope = v.seal(kProject, "job.payload", plaintext);
    EXPECT_EQ(openOk(v, kProject, "job.payload", envelope), plaintext);
  }
}

TEST(VaultTest, EnvelopesArePrintableAndCarryTheirKeyId) {
  const Vault v(ring(kRing1));
  for (size_t size : {0, 1, 2, 3, 100, 1000}) {
    const std::string plaintext(size, '\0');
    const std::string envelope = v.seal(kProject, "", plaintext);
    EXPECT_THAT(envelope, StartsWith("dx1.k1."));
    for (char c : envelope) EXPECT_TRUE(c >= 0x21 && c <= 0x7e) << envelope;
    EXPECT_EQ(envelope.size(), 7 + 4 * ((size + 28 + 2) / 3)) << size;
    EXPECT_EQ(Vault::keyIdOf(envelope), "k1");
  }
}

TEST(VaultTest, SealingTwiceGivesDifferentEnvelopes) {
  const Vault v(ring(kRing1));
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(v.seal(kProject, "a", "same plaintext"));
  EXPECT_EQ(seen.size(), 100u);
}

TEST(VaultTest, RefusesAlteredNonceCiphertextAndTag) {
  const Vault v(ring(kRing1));
  const std::string envelope = v.seal(kProject, "event.body", "a secret payload");
  // raw = nonce (0..11) | ciphertext (12..27) | tag (28..43)
  for (size_t at : {0, 11, 12, 20, 27, 28, 43}) {
    const std::string altered =
        withPayload(envelope, [&](std::string& raw) { raw[at] = static_cast<char>(raw[at] ^ 4); });
    EXPECT_EQ(refusal(v, kProject, "event.body", altered), kAltered) << at;
  }
  // Cut short or lengthened: the tag no longer sits where it was.
  EXPECT_EQ(refusal(v, kProject, "event.body",
                    withPayload(envelope, [](std::string& raw) { raw.pop_back(); })),
            kAltered);
  EXPECT_EQ(refusal(v, kProject, "event.body",
                    withPayload(envelope, [](std::string& raw) { raw.insert(20, "x"); })),
            kAltered);
}

TEST(VaultTest, RefusesEveryOneCharacterChangeOfTheText) {
  const Vault v(ring(std::string("k1:") + kKey1 + ",k2:" + kKey2));
  const std::string envelope = v.seal(kProject, "f", "abcd");
  for (size_t at = 0; at < envelope.size(); ++at) {
    for (char c : {'A', 'B', 'k', '2', '=', '.', '/'}) {
      if (envelope[at] == c) continue;
      std::string altered = envelope;
      altered[at] = c;
      EXPECT_FALSE(v.open(kProject, "f", altered).isOk()) << altered;
    }
  }
  EXPECT_EQ(openOk(v, kProject, "f", envelope), "abcd");
}

TEST(VaultTest, RefusesAnotherAadOrProject) {
  const Vault v(ring(kRing1));
  const std::string envelope = v.seal(kProject, "event.body", "payload");
  EXPECT_EQ(refusal(v, kProject, "event.headers", envelope), kAltered);
  EXPECT_EQ(refusal(v, kProject, "", envelope), kAltered);
  EXPECT_EQ(refusal(v, kProject, "event.body\0"sv, envelope), kAltered);
  EXPECT_EQ(refusal(v, kOther, "event.body", envelope), kAltered);
  EXPECT_EQ(openOk(v, kProject, "event.body", envelope), "payload");
}

TEST(VaultTest, RefusesAnEnvelopeRelabelledWithAnotherKeyId) {
  const Vault v(ring(std::string("k1:") + kKey1 + ",k2:" + kKey2));
  const std::string envelope = v.seal(kProject, "a", "payload");
  ASSERT_THAT(envelope, StartsWith("dx1.k1."));
  EXPECT_EQ(refusal(v, kProject, "a", "dx1.k2." + envelope.substr(7)), kAltered);
}

TEST(VaultTest, RotationOpensOldValuesAndSealsWithTheNewKey) {
  const Vault before(ring(kRing1));
  const std::string old = before.seal(kProject, "a", "sealed under k1");

  const Vault after(ring(std::string("k2:") + kKey2 + ",k1:" + kKey1));
  EXPECT_EQ(after.currentKeyId(), "k2");
  EXPECT_EQ(openOk(after, kProject, "a", old), "sealed under k1");
  const std::string fresh = after.seal(kProject, "a", "sealed under k2");
  EXPECT_EQ(Vault::keyIdOf(fresh), "k2");
  EXPECT_EQ(openOk(after, kProject, "a", fresh), "sealed under k2");

  // The old ring does not hold k2: the message names the key id, and nothing secret.
  const std::string message = refusal(before, kProject, "a", fresh, Code::kNotFound);
  EXPECT_EQ(message, "sealed with key id k2, which DISPATCH_MASTER_KEYS does not hold");
}

TEST(VaultTest, RefusesUnknownKeyIds) {
  const Vault v(ring(kRing1));
  const std::string envelope = v.seal(kProject, "a", "payload");
  EXPECT_EQ(refusal(v, kProject, "a", "dx1.k9." + envelope.substr(7), Code::kNotFound),
            "sealed with key id k9, which DISPATCH_MASTER_KEYS does not hold");
}

TEST(VaultTest, RefusesMalformedEnvelopes) {
  const Vault v(ring(kRing1));
  const std::string envelope = v.seal(kProject, "a", "payload");
  const std::string payload = envelope.substr(7);
  const std::string unpadded = v.seal(kProject, "a", "p");  // 29 raw bytes: one '=' of padding
  ASSERT_EQ(unpadded.back(), '=');
  const std::vector<std::string> bad = {
      "",
      "payload",
      "dx1",
      "dx1.",
      "dx1.k1",
      "dx1.k1.",
      "dx2.k1." + payload,
      "DX1.k1." + payload,
      "dx1..k1." + payload,
      "dx1.k 1." + payload,
      "dx1." + std::string(33, 'k') + "." + payload,
      "dx1.k1." + payload + ".",
      "dx1.k1.." + payload,
      " " + envelope,
      envelope + " ",
      envelope + "\n",
      unpadded.substr(0, unpadded.size() - 1),         // padding dropped
      "dx1.k1." + base64Encode(std::string(27, 'x')),  // shorter than nonce + tag
      "dx1.k1.!!!!",
  };
  for (const std::string& text : bad)
    EXPECT_EQ(refusal(v, kProject, "a", text), kMalformed) << text;
  // The character before the padding carries 2 unused bits: set one, and a lax decoder would
  // read the same bytes (so the same value would have two texts).
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string lax = unpadded;
  char& last = lax[lax.size() - 2];
  last = kAlphabet[kAlphabet.find(last) ^ 1];
  EXPECT_EQ(base64Decode(lax.substr(7)), base64Decode(unpadded.substr(7)));
  EXPECT_EQ(refusal(v, kProject, "a", lax), kMalformed) << lax;
}

TEST(VaultTest, KeyIdOfReadsOnlyEnvelopeHeaders) {
  EXPECT_EQ(Vault::keyIdOf("dx1.key-2024_a.AAAA"), "key-2024_a");
  EXPECT_EQ(Vault::keyIdOf("dx1.k1."), "k1");
  EXPECT_EQ(Vault::keyIdOf("plain text"), std::nullopt);
  EXPECT_EQ(Vault::keyIdOf("dx1.k1"), std::nullopt);
  EXPECT_EQ(Vault::keyIdOf("dx1..AAAA"), std::nullopt);
  EXPECT_EQ(Vault::keyIdOf("dx1.k!.AAAA"), std::nullopt);
  EXPECT_EQ(Vault::keyIdOf("{\"dx1.k1.\": 1}"), std::nullopt);
}

TEST(VaultTest, ErrorsCarryNoKeyOrPlaintextBytes) {
  const Vault v(ring(std::string("k1:") + kKey1 + ",k2:" + kKey2));
  const std::string plaintext = "MARKER-plaintext-4711";
  const std::string envelope = v.seal(kProject, "a", plaintext);
  std::vector<std::string> messages = {
      refusal(v, kProject, "b", envelope),
      refusal(v, kOther, "a", envelope),
      refusal(v, kProject, "a", envelope + "x", Code::kInvalid),
      refusal(v, kProject, "a", "dx1.k7." + envelope.substr(7), Code::kNotFound),
  };
  for (const std::string& m : messages) {
    EXPECT_THAT(m, Not(HasSubstr("MARKER")));
    EXPECT_THAT(m, Not(HasSubstr(envelope.substr(7, 8))));
    EXPECT_THAT(m, Not(HasSubstr(std::string(kKey1).substr(0, 8))));
    EXPECT_THAT(m, Not(HasSubstr(std::string(kKey2).substr(0, 8))));
  }
}

TEST(VaultTest, ConcurrentSealsAndOpensAcrossProjects) {
  const Vault v(ring(std::string("k1:") + kKey1 + ",k2:" + kKey2));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const std::string project = "project-" + std::to_string((t + i) % 13);
        const std::string plaintext = std::to_string(t) + "/" + std::to_string(i);
        const std::string envelope = v.seal(project, "x", plaintext);
        Result<std::string> opened = v.open(project, "x", envelope);
        if (!opened.isOk() || opened.value() != plaintext) ++failures;
        if (v.open(project + "!", "x", envelope).isOk()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace dispatch::crypto
