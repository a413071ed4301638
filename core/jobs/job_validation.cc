// Job request validation: field by field, first error wins, messages name the field.
#include "core/jobs/job_validation.h"

#include <strings.h>

#include <cstring>

#include "core/util/text.h"

namespace dispatch::jobs {
namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;

size_t codePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

Status invalid(std::string m) { return Status(Code::kInvalid, std::move(m)); }

// RFC 9110 tchar.
bool isToken(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    bool ok =
        (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
}

// Headers the job may not set: framing, ours, and the signature's.
bool isReservedJobHeader(std::string_view name, const std::string& headerPrefix) {
  static const char* kFixed[] = {
      "host", "content-length", "content-type", "transfer-encoding", "connection", "user-agent"};
  for (const char* f : kFixed) {
    if (name.size() == strlen(f) && strncasecmp(name.data(), f, name.size()) == 0) return true;
  }
  return startsWithNoCase(name, "webhook-") || startsWithNoCase(name, "X-" + headerPrefix + "-");
}

Status readHeaders(const json::Value& v, const std::string& headerPrefix, std::string& out) {
  if (v.isNull()) {
    out.clear();
    return Status::ok();
  }
  if (!v.isObject()) return invalid("headers must be an object of strings");
  if (v.members().size() > kMaxJobHeaders) {
    return invalid("headers must have at most " + std::to_string(kMaxJobHeaders) + " entries");
  }
  json::Writer w;
  w.beginObject();
  for (const auto& [name, value] : v.members()) {
    // The name goes into the message only once it is known to be a token (printable ASCII).
    if (!isToken(name)) return invalid("headers: names must be HTTP tokens");
    const std::string field = "headers." + name;
    if (isReservedJobHeader(name, headerPrefix)) return invalid(field + " is reserved");
    if (!value.isString()) return invalid(field + " must be a string");
    const std::string& s = value.asString();
    if (s.size() > kMaxJobHeaderValue) {
      return invalid(field + " must be at most " + std::to_string(kMaxJobHeaderValue) + " bytes");
    }
    for (unsigned char c : s) {
      if (c == '\r' || c == '\n' || c == 0 || c == 0x7f || (c < 0x20 && c != '\t')) {
        return invalid(field + " must not contain control characters");
      }
    }
    if (Status st = text::check(field, s); !st) return st;
    for (const auto& earlier : v.members()) {
      if (&earlier.first == &name) break;
      if (strcasecmp(earlier.first.c_str(), name.c_str()) == 0) {
        return invalid(field + " is repeated");
      }
    }
    w.key(name).string(s);
  }
  w.endObject();
  out = v.members().empty() ? std::string() : w.take();
  return Status::ok();
}

Status readString(const json::Value* v, const char* field, std::string& out) {
  if (!v->isString()) return invalid(std::string(field) + " must be a string");
  if (Status st = text::check(field, v->asString()); !st) return st;
  out = v->asString();
  return Status::ok();
}

}  // namespace

Status validateTargetUrl(std::string_view url, const char* field, const net::NetworkPolicy& p) {
  auto parsed = net::parseUrl(url);
  if (!parsed) return invalid(std::string(field) + " must be an absolute http(s) URL");
  Status st = net::checkUrl(url, p);
  if (!st) return invalid(std::string(field) + " is not allowed: " + st.message());
  return Status::ok();
}

std::optional<int64_t> parseJobRetention(std::string_view text) {
  for (int days : {1, 7, 30, 90}) {
    if (text == std::to_string(days) + "d") return days * kDayMs;
  }
  return std::nullopt;
}

std::string jobRetentionLabel(int64_t ms) { return std::to_string(ms / kDayMs) + "d"; }

namespace {

// title and webhookUrl: checked before fireAt, the rest after it (the contract's order).
Status readTarget(const json::Value& doc, const ValidationLimits& limits, JobTemplate& t,
                  bool partial) {
  const json::Value* title = doc.find("title");
  if (title == nullptr || title->isNull()) {
    if (!partial || title != nullptr) return invalid("title is required");
  } else {
    if (Status st = readString(title, "title", t.title); !st) return st;
    size_t len = codePoints(t.title);
    if (len < 1 || len > 200) return invalid("title must be 1-200 characters");
  }

  const json::Value* url = doc.find("webhookUrl");
  if (url == nullptr || url->isNull()) {
    if (!partial || url != nullptr) return invalid("webhookUrl is required");
  } else {
    if (Status st = readString(url, "webhookUrl", t.webhookUrl); !st) return st;
    if (Status st = validateTargetUrl(t.webhookUrl, "webhookUrl", limits.policy); !st) return st;
  }
  return Status::ok();
}

Status readContent(const json::Value& doc, const ValidationLimits& limits, JobTemplate& t) {
  if (const json::Value* p = doc.find("payload"); p != nullptr) {
    if (!p->isObject()) return invalid("payload must be a JSON object");
    if (static_cast<int64_t>(p->raw().size()) > limits.maxPayloadBytes) {
      return Status(Code::kTooLarge,
                    "payload exceeds " + std::to_string(limits.maxPayloadBytes) + " bytes");
    }
    t.payload = std::string(p->raw());
  }

  if (const json::Value* h = doc.find("headers"); h != nullptr) {
    if (Status st = readHeaders(*h, limits.headerPrefix, t.headersJson); !st) return st;
  }

  if (const json::Value* cb = doc.find("callbackUrl"); cb != nullptr) {
    if (cb->isNull()) {
      t.callbackUrl.reset();
    } else {
      std::string s;
      if (Status st = readString(cb, "callbackUrl", s); !st) return st;
      if (Status st = validateTargetUrl(s, "callbackUrl", limits.policy); !st) return st;
      t.callbackUrl = std::move(s);
    }
  }

  if (const json::Value* r = doc.find("redactResponse"); r != nullptr && !r->isNull()) {
    if (!r->isBool()) return invalid("redactResponse must be a boolean");
    t.redactResponse = r->asBool();
  }
  return Status::ok();
}

}  // namespace

Status readJobTemplate(const json::Value& doc, const ValidationLimits& limits, JobTemplate& t,
                       bool partial) {
  if (Status st = readTarget(doc, limits, t, partial); !st) return st;
  return readContent(doc, limits, t);
}

Result<JobRequest> validateJobRequest(std::string_view body, const ValidationLimits& limits,
                                      TimeMs now) {
  auto doc = json::parse(body);
  if (!doc) return invalid("Request body is not valid JSON");
  if (!doc->isObject()) return invalid("Request body must be a JSON object");
  JobRequest r;
  if (Status st = readTarget(*doc, limits, r, false); !st) return st;

  const json::Value* fire = doc->find("fireAt");
  if (fire == nullptr || fire->isNull()) return invalid("fireAt is required");
  if (!fire->isString()) return invalid("fireAt must be a string");
  auto at = parseIsoUtc(fire->asString());
  if (!at) {
    return invalid(
        "fireAt must be an ISO 8601 UTC timestamp with a trailing Z "
        "(e.g. 2026-06-13T09:30:00.000Z)");
  }
  if (*at <= now) return invalid("fireAt must be in the future");
  r.fireAt = *at;

  if (Status st = readContent(*doc, limits, r); !st) return st;

  if (const json::Value* ret = doc->find("retention"); ret != nullptr && !ret->isNull()) {
    std::optional<int64_t> ms;
    if (ret->isString()) ms = parseJobRetention(ret->asString());
    if (!ms) return invalid("retention must be one of 1d, 7d, 30d, 90d");
    r.retentionMs = ms;
  }
  return r;
}

}  // namespace dispatch::jobs
