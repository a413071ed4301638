// libFuzzer target for the inbound signature verifiers (core/verify: hmac, github, stripe,
// shopify, slack, standard-webhooks) and the header parsing they share.
//
// Input, readable so seeds are written by hand:
//   <preset>\n
//   <Header-Name>: <value>\n …     (first match wins, case-insensitive, as the server's lookup)
//   \n
//   <body>
// In header values `{ts}` becomes the clock's Unix seconds and `{sig}` the right digest (hex or
// base64, as the preset writes it) for this body and timestamp under the fixed secret, so the
// fuzzer can build valid signatures inside hostile lists; for standard-webhooks the id signed is
// `webhook-id`'s when present, else `svix-id`'s (the verifier's choice of naming). `X-Fuzz-Secret:
// …` lines add secrets (rotation; standard-webhooks decodes them).
//
// Beyond "does not crash":
// - soundness: an input without `{sig}` never verifies (nobody can forge an HMAC by mutation);
// - verify() is deterministic;
// - completeness: for this body (and webhook-id), the canonical request of the preset verifies,
//   also with uppercase hex or unpadded base64, and not with one digest character changed or a
//   timestamp just outside the replay window; for standard-webhooks under both header namings
//   (webhook-* and svix-*), and never with the two namings mixed;
// - the shared helpers: split() pieces are trimmed, parseUnixSeconds reads back as written,
//   decoded digests are 32 bytes that re-encode to the header text.
#include <strings.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/util/crypto.h"
#include "core/verify/verifier.h"
#include "core/verify/verify_util.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

namespace crypto = dispatch::crypto;
namespace verify = dispatch::verify;
using dispatch::fuzz::check;
using dispatch::fuzz::takeUntil;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr dispatch::TimeMs kNow = 1'700'000'000'123;
constexpr std::string_view kTs = "1700000000";
constexpr std::string_view kSecret = "fuzz-signing-secret";
// Standard Webhooks keys are base64 after `whsec_` (this one is 24 bytes).
constexpr std::string_view kWhsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

bool isTimestamped(std::string_view preset) {
  return preset == "stripe" || preset == "slack" || preset == "standard-webhooks";
}

std::string secretFor(std::string_view preset) {
  return std::string(preset == "standard-webhooks" ? kWhsec : kSecret);
}

std::optional<std::string> lookup(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  }
  return std::nullopt;
}

// The digest as the preset writes it, for `ts`, `id` and `body` under the fixed secret.
std::string digestFor(std::string_view preset, std::string_view ts, std::string_view id,
                      std::string_view body) {
  const std::string secret = secretFor(preset);
  if (preset == "stripe") {
    return crypto::hexEncode(crypto::hmacSha256(secret, std::string(ts) + "." + std::string(body)));
  }
  if (preset == "slack") {
    return crypto::hexEncode(
        crypto::hmacSha256(secret, "v0:" + std::string(ts) + ":" + std::string(body)));
  }
  if (preset == "standard-webhooks") {
    const std::string key = *crypto::base64Decode(std::string_view(secret).substr(6));
    return crypto::base64Encode(
        crypto::hmacSha256(key, std::string(id) + "." + std::string(ts) + "." + std::string(body)));
  }
  const std::string mac = crypto::hmacSha256(secret, body);
  return preset == "shopify" ? crypto::base64Encode(mac) : crypto::hexEncode(mac);
}

// The standard-webhooks trio under the standard names, or under Svix's.
enum class Naming { kStandard, kSvix };

// The headers a correct sender of `preset` sends, carrying `digest` at timestamp `ts`.
Headers canonical(std::string_view preset, std::string_view ts, std::string_view id,
                  const std::string& digest, Naming naming = Naming::kStandard) {
  if (preset == "stripe") return {{"Stripe-Signature", "t=" + std::string(ts) + ",v1=" + digest}};
  if (preset == "slack") {
    return {{"X-Slack-Request-Timestamp", std::string(ts)}, {"X-Slack-Signature", "v0=" + digest}};
  }
  if (preset == "standard-webhooks") {
    const std::string p = naming == Naming::kSvix ? "svix-" : "webhook-";
    return {{p + "id", std::string(id)},
            {p + "timestamp", std::string(ts)},
            {p + "signature", "v1," + digest}};
  }
  if (preset == "shopify") return {{"X-Shopify-Hmac-Sha256", digest}};
  return {
      {preset == "github" ? "X-Hub-Signature-256" : "X-Dispatch-Signature", "sha256=" + digest}};
}

bool verifies(const verify::Verifier& v, const Headers& headers, std::string_view body,
              dispatch::TimeMs now = kNow) {
  verify::Request request;
  request.header = [&headers](std::string_view name) { return lookup(headers, name); };
  request.body = body;
  request.now = now;
  return v.verify(request);
}

std::string replaceAll(std::string s, std::string_view from, std::string_view to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

void checkHelpers(std::string_view value) {
  namespace internal = verify::internal;
  for (std::string_view part : internal::split(value, ',')) {
    check(internal::trim(part) == part, "split() left blanks around a piece", value);
  }
  if (auto seconds = internal::parseUnixSeconds(value)) {
    std::string_view digits = value;
    while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
    check(std::to_string(*seconds) == digits, "parseUnixSeconds does not read back", value);
  }
  if (auto raw = internal::decodeHexDigest(value)) {
    std::string lower(value);
    for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'F' ? c + 32 : c);
    check(raw->size() == 32 && crypto::hexEncode(*raw) == lower, "hex digest does not re-encode",
          value);
  }
  if (auto raw = internal::decodeBase64Digest(value)) {
    check(raw->size() == 32, "base64 digest is not 32 bytes", value);
    check(crypto::base64Decode(crypto::base64Encode(*raw)) == raw, "base64 does not round-trip",
          value);
  }
}

void checkCanonical(std::string_view preset, const verify::Verifier& v, std::string_view id,
                    std::string_view body) {
  const std::string digest = digestFor(preset, kTs, id, body);
  check(verifies(v, canonical(preset, kTs, id, digest), body), "a correct signature is refused",
        body);
  // Hex may come in upper case; base64 without its padding.
  std::string variant = digest;
  if (variant.size() == 64) {
    for (char& c : variant) c = static_cast<char>(c >= 'a' && c <= 'f' ? c - 32 : c);
  } else {
    while (!variant.empty() && variant.back() == '=') variant.pop_back();
  }
  check(verifies(v, canonical(preset, kTs, id, variant), body),
        "an upper-case or unpadded signature is refused", body);
  // One character changed (to one that changes the decoded bytes) must fail.
  std::string wrong = digest;
  wrong[wrong.size() / 2] = wrong[wrong.size() / 2] == '0' ? '1' : '0';
  check(!verifies(v, canonical(preset, kTs, id, wrong), body), "a wrong signature verifies", body);
  if (preset == "standard-webhooks") {
    const Headers svix = canonical(preset, kTs, id, digest, Naming::kSvix);
    check(verifies(v, svix, body), "a correct signature under the Svix names is refused", body);
    // Mixed: the id of one naming with the timestamp and signature of the other.
    const Headers standard = canonical(preset, kTs, id, digest);
    check(!verifies(v, {standard[0], svix[1], svix[2]}, body), "webhook-id + svix-* verifies",
          body);
    check(!verifies(v, {svix[0], standard[1], standard[2]}, body), "svix-id + webhook-* verifies",
          body);
  }
  if (isTimestamped(preset)) {
    // Signed 301 s ago and 301 s ahead: both outside the default 300 s window.
    for (const std::string_view ts :
         {std::string_view("1699999699"), std::string_view("1700000301")}) {
      const std::string stale = digestFor(preset, ts, id, body);
      check(!verifies(v, canonical(preset, ts, id, stale), body),
            "a signature outside the replay window verifies", body);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::string preset(takeUntil(in, '\n'));
  if (!verify::isSignaturePreset(preset)) return 0;

  const bool hasSig = in.find("{sig}") != std::string_view::npos;
  Headers headers;
  std::vector<std::string> secrets{secretFor(preset)};
  while (!in.empty()) {
    std::string_view line = takeUntil(in, '\n');
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    std::string value(verify::internal::trim(line.substr(colon + 1)));
    if (name == "X-Fuzz-Secret") {
      secrets.push_back(std::move(value));
      continue;
    }
    headers.emplace_back(std::move(name), replaceAll(std::move(value), "{ts}", kTs));
  }
  const std::string_view body = in;

  // As the verifier reads it: trimmed, from the naming it uses.
  const std::optional<std::string> standardId = lookup(headers, "webhook-id");
  const std::string id(verify::internal::trim(
      standardId.has_value() ? *standardId : lookup(headers, "svix-id").value_or("")));
  const std::string digest = digestFor(preset, kTs, id, body);
  for (auto& header : headers) {
    header.second = replaceAll(std::move(header.second), "{sig}", digest);
    checkHelpers(header.second);
  }

  const auto verifier = verify::makeVerifier(preset, secrets);
  check(verifier != nullptr, "no verifier for a signature preset", preset);
  const bool ok = verifies(*verifier, headers, body);
  check(ok == verifies(*verifier, headers, body), "verify() is not deterministic", preset);
  check(hasSig || !ok, "a request without the right signature verifies", preset);

  // The fixed secret alone, so the rotation secrets cannot make the checks below pass.
  const auto fixed = verify::makeVerifier(preset, {secretFor(preset)});
  // A webhook-id that fits under the verifiers' header cap whatever -max_len is.
  checkCanonical(preset, *fixed, id.empty() || id.size() > 1024 ? "msg_fuzz" : id, body);
  return 0;
}
