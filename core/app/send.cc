// The request of `dispatch send`: which headers and body a source's sender would send, signed
// with the preset's own sender code (core/verify/sender.h).
#include "core/app/send.h"

#include <strings.h>

#include <algorithm>
#include <cctype>

#include "core/util/json.h"
#include "core/verify/presets.h"
#include "core/verify/sender.h"

namespace dispatch::app {
namespace {

bool sameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// Sets `name` to `value`, replacing an entry of the same name in place, else appending.
void put(HeaderList& headers, std::string name, std::string value) {
  for (auto& [k, v] : headers) {
    if (sameName(k, name)) {
      k = std::move(name);
      v = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

bool has(const HeaderList& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return sameName(h.first, name); });
}

// RFC 9110 token characters.
bool isToken(std::string_view s) {
  static constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || kExtra.find(c) != std::string_view::npos;
  });
}

bool isHeaderValue(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// `{}` with `type` at the dot-path `path` (`event.type` → {"event":{"type":"…"}}).
std::string bodyWithTypeAt(std::string_view path, std::string_view type) {
  json::Writer w;
  size_t depth = 0;
  while (true) {
    w.beginObject();
    ++depth;
    const size_t dot = path.find('.');
    w.key(path.substr(0, dot));
    if (dot == std::string_view::npos) break;
    path.remove_prefix(dot + 1);
  }
  w.string(type);
  while (depth-- > 0) w.endObject();
  return w.take();
}

// Where --type goes for this source: its event_type header, or the body. kInvalid when the
// source cannot take it.
Status placeType(const config::SourceConfig& source, const std::string& type,
                 const std::optional<std::string>& file, std::string& body, HeaderList& headers) {
  const config::EventTypeConfig& et = source.eventType;
  if (!et.header.empty()) {
    if (!isHeaderValue(type)) {
      return Status(Code::kInvalid, "--type must not contain CR, LF or NUL");
    }
    headers.emplace_back(et.header, type);
    return Status::ok();
  }
  if (et.path.empty()) {
    return Status(Code::kInvalid, "--type: source '" + source.slug +
                                      "' has no event_type, so the type has nowhere to go");
  }
  if (!file) {
    body = bodyWithTypeAt(et.path, type);
    return Status::ok();
  }
  // FILE's bytes are sent as they are (they are what is signed): the type must already be there.
  auto doc = json::parse(*file);
  const json::Value* at = doc.isOk() ? doc->at(et.path) : nullptr;
  if (at != nullptr && at->scalarText() == type) return Status::ok();
  return Status(Code::kInvalid, "--type: source '" + source.slug +
                                    "' reads the event type from the body at '" + et.path +
                                    "'; set it there in FILE, or leave out FILE or --type");
}

}  // namespace

Result<std::pair<std::string, std::string>> parseHeaderFlag(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return Result<std::pair<std::string, std::string>>(Code::kInvalid,
                                                       "--header must be 'Name: value'");
  }
  const std::string_view name = trim(text.substr(0, colon));
  const std::string_view value = trim(text.substr(colon + 1));
  if (!isToken(name)) {
    return Result<std::pair<std::string, std::string>>(
        Code::kInvalid, "--header: '" + std::string(name) + "' is not a header name");
  }
  if (!isHeaderValue(value)) {
    return Result<std::pair<std::string, std::string>>(
        Code::kInvalid, "--header " + std::string(name) + ": the value holds CR, LF or NUL");
  }
  return std::pair<std::string, std::string>(name, value);
}

Result<SendRequest> buildSendRequest(const config::SourceConfig& source, const SendInput& input,
                                     int64_t nowSec, std::string_view messageId) {
  const verify::Preset* preset = verify::findPreset(source.verify.preset);
  if (preset == nullptr) {
    return Result<SendRequest>(Code::kConflict,
                               "source '" + source.slug + "' has an unknown preset");
  }
  const bool apiKey = preset->auth == verify::Auth::kApiKey;
  if (apiKey && (!input.apiKey || input.apiKey->empty())) {
    return Result<SendRequest>(Code::kInvalid, "source '" + source.slug +
                                                   "' (preset api-key) needs --key with an API "
                                                   "key of its project");
  }
  if (!apiKey && input.apiKey) {
    return Result<SendRequest>(Code::kInvalid, "--key is for api-key sources; source '" +
                                                   source.slug + "' uses preset " +
                                                   std::string(preset->name));
  }
  if (apiKey && !isHeaderValue(*input.apiKey)) {
    return Result<SendRequest>(Code::kInvalid, "--key must not contain CR, LF or NUL");
  }

  SendRequest out;
  out.body = input.body.value_or("{}");
  out.headers.emplace_back("Content-Type", "application/json");
  if (input.type) {
    Status st = placeType(source, *input.type, input.body, out.body, out.headers);
    if (!st) return st;
  }

  HeaderList auth;
  if (preset->keyed()) {
    auto secret = std::find_if(source.verify.secrets.begin(), source.verify.secrets.end(),
                               [](const std::string& s) { return !s.empty(); });
    if (secret == source.verify.secrets.end()) {
      return Result<SendRequest>(Code::kConflict,
                                 "source '" + source.slug + "' has no secret to sign with");
    }
    verify::SenderMessage message{.body = out.body, .timestampSec = nowSec, .messageId = messageId};
    Result<verify::SenderHeaders> signature = verify::signAsSender(preset->name, *secret, message);
    if (!signature) {
      return Result<SendRequest>(
          Code::kConflict,
          "source '" + source.slug + "': its secret cannot sign: " + signature.status().message());
    }
    auth = std::move(signature).value();
  } else if (apiKey) {
    auth.emplace_back("Authorization", "Bearer " + *input.apiKey);
  }
  // A fresh delivery id, as every real delivery has: a second send is a new event, not a
  // duplicate. (standard-webhooks' webhook-id is already among its signed headers.)
  if (!source.idempotencyHeader.empty() && !has(auth, source.idempotencyHeader)) {
    out.headers.emplace_back(source.idempotencyHeader, std::string(messageId));
  }
  for (auto& h : auth) out.headers.push_back(std::move(h));
  for (const auto& [name, value] : input.headers) put(out.headers, name, value);
  return out;
}

Result<std::string> serverBaseUrl(const config::ServerConfig& server) {
  if (server.listenPort == 0) {
    return Result<std::string>(Code::kInvalid,
                               "server.listen has port 0 (any free port): pass --url");
  }
  std::string host = server.listenHost;
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  const std::string scheme = server.tlsCert.empty() ? "http" : "https";
  return scheme + "://" + host + ":" + std::to_string(server.listenPort);
}

std::string hookUrl(std::string_view base, std::string_view slug) {
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  return std::string(base) + "/hooks/" + std::string(slug);
}

}  // namespace dispatch::app
