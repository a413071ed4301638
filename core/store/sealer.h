// Encryption at rest for the store (contracts/config.md "Encryption"): which projects' rows
// are sealed, and the sealing and opening of their fields with the process's crypto::Vault.
//
// A row written for a project with `encrypt_payloads: true` carries the id of the master key
// its fields were sealed under in its `key_id` column, and each of those fields is a Vault
// envelope (which names the key too); a row with `key_id` NULL holds plaintext. So a row
// tells by itself how to read it, whatever the project's setting is now, and `dispatch rekey`
// finds the rows under an older key (or none) by that column. The fields, each sealed with
// its project and field name as authenticated data (kField* below): event bodies and
// headers, job and schedule payloads and headers, delivery bodies and headers, and attempt
// response bodies.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_set>

#include "core/crypto/vault.h"

namespace dispatch::store {

inline constexpr std::string_view kFieldEventBody = "event.body";
inline constexpr std::string_view kFieldEventHeaders = "event.headers";
inline constexpr std::string_view kFieldJobPayload = "job.payload";
inline constexpr std::string_view kFieldJobHeaders = "job.headers";
inline constexpr std::string_view kFieldSchedulePayload = "schedule.payload";
inline constexpr std::string_view kFieldScheduleHeaders = "schedule.headers";
inline constexpr std::string_view kFieldDeliveryBody = "delivery.body";
inline constexpr std::string_view kFieldDeliveryHeaders = "delivery.headers";
inline constexpr std::string_view kFieldResponseBody = "attempt.response_body";

// A stored value that does not open (altered, or under a key no longer in the ring). What it
// says names the row's key id at most, never key or plaintext bytes.
class SealError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Sealer {
 public:
  // `vault` may be null when no master keys are configured (then no project may seal).
  Sealer(std::shared_ptr<const crypto::Vault> vault, std::unordered_set<std::string> sealing);

  // The key id rows of `projectId` are written under now; nullptr: plaintext.
  const std::string* keyFor(std::string_view projectId) const;
  // The envelope of `plaintext` (any bytes) for the project's `field`.
  std::string seal(std::string_view projectId, std::string_view field,
                   std::string_view plaintext) const;
  // The plaintext of `stored` from a row whose key_id is `keyId` (nullopt: plaintext, returned
  // as it is). Throws SealError when it does not open.
  std::string open(const std::optional<std::string>& keyId, std::string_view projectId,
                   std::string_view field, std::string_view stored) const;

  const crypto::Vault* vault() const { return vault_.get(); }

 private:
  std::shared_ptr<const crypto::Vault> vault_;
  std::unordered_set<std::string> sealing_;  // project ids
};

// How one row of `projectId` is written: under the project's key (every field sealed), or in
// plaintext. A null sealer writes plaintext.
class RowSeal {
 public:
  RowSeal(const Sealer* sealer, std::string_view projectId)
      : sealer_(sealer),
        projectId_(projectId),
        key_(sealer ? sealer->keyFor(projectId) : nullptr) {}
  bool on() const { return key_ != nullptr; }
  // The row's key_id column: the key id, or nullopt (NULL).
  std::optional<std::string> keyId() const {
    return key_ ? std::optional<std::string>(*key_) : std::nullopt;
  }
  // The same as a query parameter (pqxx 6.4 drops an empty std::optional prvalue from the
  // parameter list instead of binding NULL).
  const char* keyIdParam() const { return key_ ? key_->c_str() : nullptr; }
  std::string operator()(std::string_view field, std::string_view plaintext) const {
    return key_ ? sealer_->seal(projectId_, field, plaintext) : std::string(plaintext);
  }

 private:
  const Sealer* sealer_;
  std::string projectId_;
  const std::string* key_;
};

// How rows are read: `open` with the row's key_id; a sealed row without a Vault is a SealError.
std::string openField(const Sealer* sealer, const std::optional<std::string>& keyId,
                      std::string_view projectId, std::string_view field, std::string_view stored);

}  // namespace dispatch::store
