// Errors as values across module boundaries: a code plus a human message.
// The HTTP layer maps codes to statuses in one table (core/http/envelope.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace dispatch {

enum class Code {
  kOk = 0,
  kInvalid,       // the caller's input is wrong (HTTP 400)
  kUnauthorized,  // missing/invalid/revoked credentials (401)
  kNotFound,      // absent or owned by another project (404)
  kConflict,      // state does not allow the change (400/409 by endpoint)
  kTooLarge,      // body or field over its limit (413)
  kBlocked,       // refused by the network policy
  kRateLimited,   // too many attempts; retry after retryAfterSeconds() (429)
  kUnavailable,   // the store (or a dependency) cannot be reached (503)
  kInternal,      // a bug or an unexpected failure (500, no details to clients)
};

class Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status ok() { return Status(); }

  bool isOk() const { return code_ == Code::kOk; }
  explicit operator bool() const { return isOk(); }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // For kRateLimited: whole seconds the caller should wait (HTTP Retry-After); 0 otherwise.
  int64_t retryAfterSeconds() const { return retryAfterSeconds_; }
  Status& setRetryAfterSeconds(int64_t seconds) {
    retryAfterSeconds_ = seconds;
    return *this;
  }

 private:
  Code code_ = Code::kOk;
  std::string message_;
  int64_t retryAfterSeconds_ = 0;
};

// Result<T>: a value or a non-ok Status.
template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT
  Result(Code code, std::string message) : v_(Status(code, std::move(message))) {}

  bool isOk() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return isOk(); }
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const T* operator->() const { return &std::get<T>(v_); }
  T* operator->() { return &std::get<T>(v_); }
  const T& operator*() const { return value(); }
  Status status() const { return isOk() ? Status() : std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace dispatch
