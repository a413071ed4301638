// libFuzzer target for the Vault's envelopes (core/crypto/vault.cc) and the DISPATCH_MASTER_KEYS
// parser (core/crypto/key_ring.cc).
//
// Input, readable so seeds are written by hand:
//   <aad>\n<envelope text>
// opened for a fixed project under a fixed ring "k1:…,k2:…" (the seeds hold envelopes sealed
// with it, so mutations start from values that authenticate). The whole input is also parsed
// as the text of DISPATCH_MASTER_KEYS.
//
// Beyond "does not crash":
// - open() is deterministic; a refusal is kInvalid, or kNotFound exactly for a well-formed header
//   whose key id the ring lacks; keyIdOf() finds an id only in a `dx1.<kid>.` header;
// - what opens was sealed under k1 or k2, and does not open for another project or AAD, nor with
//   one character of its text changed (the base64 is canonical);
// - the input sealed as a plaintext opens back to it, under the current key, as printable text
//   of the documented length;
// - a parsed ring: ids follow the rule and are unique, keys are 32 bytes, the first is current;
//   a refusal starts with "DISPATCH_MASTER_KEYS: ".
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "core/crypto/key_ring.h"
#include "core/crypto/vault.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

namespace crypto = dispatch::crypto;
using dispatch::Code;
using dispatch::fuzz::check;
using dispatch::fuzz::takeUntil;

constexpr std::string_view kProject = "6f1d5a3e-7a0b-5c1e-9d2f-0123456789ab";
// base64 of the bytes 0..31 and 32..63.
constexpr std::string_view kRing =
    "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=,"
    "k2:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

const crypto::Vault& vault() {
  static const crypto::Vault v(crypto::KeyRing::parse(kRing).value());
  return v;
}

void checkRing(std::string_view text) {
  dispatch::Result<crypto::KeyRing> ring = crypto::KeyRing::parse(text);
  if (!ring) {
    check(ring.status().code() == Code::kInvalid, "a ring refusal is not kInvalid", text);
    check(ring.status().message().rfind("DISPATCH_MASTER_KEYS: ", 0) == 0,
          "a ring refusal does not name the variable", text);
    return;
  }
  std::set<std::string> ids;
  check(!ring->keys().empty() && ring->currentId() == ring->keys().front().id(),
        "the current key is not the first", text);
  for (const crypto::MasterKey& key : ring->keys()) {
    check(crypto::isKeyId(key.id()) && ids.insert(key.id()).second, "a bad or repeated key id",
          text);
    check(key.bytes().size() == crypto::kMasterKeyBytes, "a key is not 32 bytes", text);
  }
}

void checkOpen(std::string_view aad, std::string_view envelope) {
  const crypto::Vault& v = vault();
  const dispatch::Result<std::string> opened = v.open(kProject, aad, envelope);
  const dispatch::Result<std::string> again = v.open(kProject, aad, envelope);
  check(opened.isOk() == again.isOk() && (!opened.isOk() || opened.value() == again.value()),
        "open() is not deterministic", envelope);

  const std::optional<std::string> kid = crypto::Vault::keyIdOf(envelope);
  if (kid) {
    const std::string header = "dx1." + *kid + ".";
    check(crypto::isKeyId(*kid) && envelope.substr(0, header.size()) == header,
          "keyIdOf() found an id outside a dx1 header", envelope);
  }
  if (!opened) {
    const Code code = opened.status().code();
    check(code == Code::kInvalid || code == Code::kNotFound, "an unexpected refusal code",
          envelope);
    if (code == Code::kNotFound) {
      check(kid && v.ring().find(*kid) == nullptr, "kNotFound for a key the ring holds", envelope);
    }
    return;
  }
  check(kid == "k1" || kid == "k2", "opened under a key id the ring lacks", envelope);
  check(!v.open("another-project", aad, envelope).isOk(), "opened for another project", envelope);
  check(!v.open(kProject, std::string(aad) + "x", envelope).isOk(), "opened with another AAD",
        envelope);
  // One character changed, where the envelope's own bytes say.
  std::string altered(envelope);
  const size_t at = static_cast<unsigned char>(envelope.back()) * 7919u % altered.size();
  altered[at] = altered[at] == 'A' ? 'B' : 'A';
  check(!v.open(kProject, aad, altered).isOk(), "opened with one character changed", altered);
}

void checkSeal(std::string_view aad, std::string_view plaintext) {
  const crypto::Vault& v = vault();
  const std::string envelope = v.seal(kProject, aad, plaintext);
  check(crypto::Vault::keyIdOf(envelope) == "k1", "sealed under another key than the first",
        envelope);
  check(envelope.size() == 7 + 4 * ((plaintext.size() + 28 + 2) / 3),
        "an envelope of an unexpected length", envelope);
  for (const char c : envelope) check(c > 0x20 && c < 0x7f, "an unprintable envelope", envelope);
  const dispatch::Result<std::string> opened = v.open(kProject, aad, envelope);
  check(opened.isOk() && opened.value() == plaintext, "a sealed value does not open back",
        plaintext);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  checkRing(input);
  std::string_view rest = input;
  const std::string_view aad = takeUntil(rest, '\n');
  checkOpen(aad, rest);
  checkSeal(aad, rest);
  return 0;
}
