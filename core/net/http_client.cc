// One outbound HTTP(S) attempt: policy check, pinned connect, deadline, bounded response
// read, and Poco exceptions turned into short error texts.
#include "core/net/http_client.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPMessage.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <errno.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <istream>
#include <ostream>

#include "core/net/deadline_watchdog.h"
#include "core/net/pinned_session.h"
#include "core/net/session_pool.h"
#include "core/net/tls_context.h"

namespace dispatch::net {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Past maxResponseBytes the body is read and dropped so the connection can be reused; past
// this much more the session is dropped instead (cheaper than reading on).
constexpr int64_t kDrainLimitBytes = 10 << 20;

// Headers the client owns: framing and connection management, and Host (always the URL's).
bool isManagedHeader(const std::string& name) {
  static const char* const kManaged[] = {"host", "content-length", "transfer-encoding",
                                         "connection"};
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::any_of(std::begin(kManaged), std::end(kManaged),
                     [&](const char* m) { return lower == m; });
}

// RFC 9110 token: what a method or a header name may be.
bool isToken(const std::string& s) {
  static const std::string kTokenExtra = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || kTokenExtra.find(c) != std::string::npos;
  });
}

// Values may not carry CR, LF or NUL: that would inject headers.
bool isValidHeader(const std::string& name, const std::string& value) {
  return isToken(name) && value.find_first_of(std::string("\r\n\0", 3)) == std::string::npos;
}

HttpResponse failure(HttpResponse::Error error, std::string text) {
  HttpResponse r;
  r.error = error;
  r.errorText = std::move(text);
  return r;
}

// Where an attempt was when it failed: decides the error text and whether a stale kept-alive
// connection may be retried.
enum class Phase { kConnect, kHandshake, kSend, kAwaitResponse, kBody };

// "error:0A000086:SSL routines::certificate verify failed" -> "certificate verify failed".
std::string shortTlsReason(const Poco::Exception& e) {
  std::string text = e.message().empty() ? e.displayText() : e.message();
  size_t colon = text.rfind(':');
  if (colon != std::string::npos && colon + 1 < text.size()) text = text.substr(colon + 1);
  while (!text.empty() && text.front() == ' ') text.erase(text.begin());
  return text.empty() ? "unknown error" : text;
}

std::string describeSocketError(const Poco::Exception& e) {
  if (dynamic_cast<const Poco::Net::ConnectionRefusedException*>(&e)) return "connection refused";
  if (dynamic_cast<const Poco::Net::ConnectionResetException*>(&e)) return "connection reset";
  if (dynamic_cast<const Poco::Net::ConnectionAbortedException*>(&e)) return "connection aborted";
  if (dynamic_cast<const Poco::Net::SSLConnectionUnexpectedlyClosedException*>(&e) ||
      dynamic_cast<const Poco::Net::NoMessageException*>(&e)) {
    return "connection closed without a response";
  }
  if (e.code() == ENETUNREACH) return "network unreachable";
  if (e.code() == EHOSTUNREACH) return "host unreachable";
  if (dynamic_cast<const Poco::Net::MessageException*>(&e)) {
    return "invalid http response: " + e.message();
  }
  return "network error: " + e.displayText();
}

std::string describeTlsFailure(const Poco::Exception& e) {
  std::string chainError = takeCertificateError();
  if (!chainError.empty()) return "tls handshake failed: certificate verify failed: " + chainError;
  if (dynamic_cast<const Poco::Net::CertificateValidationException*>(&e)) {
    return "tls handshake failed: certificate does not match host name";
  }
  if (dynamic_cast<const Poco::Net::SSLException*>(&e)) {
    return "tls handshake failed: " + shortTlsReason(e);
  }
  return "tls handshake failed: " + describeSocketError(e);
}

// A failure on a reused connection before any response byte usually means the server closed
// it while idle; the request is then sent once more on a fresh connection.
bool isStaleConnectionFailure(const Poco::Exception& e, Phase phase) {
  if (phase == Phase::kSend) return true;
  if (phase != Phase::kAwaitResponse) return false;
  return dynamic_cast<const Poco::Net::NoMessageException*>(&e) ||
         dynamic_cast<const Poco::Net::ConnectionResetException*>(&e) ||
         dynamic_cast<const Poco::Net::ConnectionAbortedException*>(&e) ||
         dynamic_cast<const Poco::Net::SSLConnectionUnexpectedlyClosedException*>(&e);
}

Poco::Timespan remainingUntil(SteadyClock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - SteadyClock::now());
  if (left.count() <= 0) throw Poco::TimeoutException("deadline");
  return Poco::Timespan(left.count());
}

}  // namespace

struct HttpClient::Impl {
  explicit Impl(ClientOptions opts)
      : options(std::move(opts)),
        tls(makeClientTlsContext(options.caFile)),
        pool(options.maxIdlePerHost, options.idleTimeoutMs) {}

  struct Attempt {
    HttpResponse response;
    bool keep = false;        // the session may go back to the pool
    bool retryFresh = false;  // a reused session went stale: retry on a new one
  };

  HttpResponse send(const HttpRequest& request);
  Attempt attempt(PinnedSession& session, bool reused, const ParsedUrl& url,
                  const HttpRequest& request, SteadyClock::time_point deadline);
  void exchange(PinnedSession& session, const ParsedUrl& url, const HttpRequest& request,
                Phase& phase, Attempt& out);

  const ClientOptions options;
  const Poco::Net::Context::Ptr tls;
  SessionPool pool;
  DeadlineWatchdog watchdog;
};

HttpResponse HttpClient::Impl::send(const HttpRequest& request) {
  const auto start = SteadyClock::now();
  Status allowed = checkUrl(request.url, options.policy);
  if (!allowed) {
    return failure(allowed.code() == Code::kBlocked ? HttpResponse::Error::kBlocked
                                                    : HttpResponse::Error::kInvalidUrl,
                   allowed.message());
  }
  Result<ParsedUrl> url = parseUrl(request.url);
  if (!url) return failure(HttpResponse::Error::kInvalidUrl, url.status().message());
  if (!isToken(request.method)) return failure(HttpResponse::Error::kInvalidUrl, "invalid method");
  for (const auto& [name, value] : request.headers) {
    if (!isValidHeader(name, value)) {
      return failure(HttpResponse::Error::kInvalidUrl, "invalid request header");
    }
  }
  Result<IpAddr> address = resolveChecked(url->host, options.policy);
  if (!address) {
    return failure(address.status().code() == Code::kBlocked ? HttpResponse::Error::kBlocked
                                                             : HttpResponse::Error::kNetwork,
                   address.status().message());
  }

  const auto deadline = start + std::chrono::milliseconds(std::max<int64_t>(request.timeoutMs, 1));
  const std::string key =
      url->scheme + "|" + url->host + "|" + std::to_string(url->port) + "|" + address->toString();
  std::unique_ptr<PinnedSession> session = pool.acquire(key);
  bool reused = session != nullptr;
  while (true) {
    if (!session) session = makePinnedSession(*url, *address, tls);
    Attempt result = attempt(*session, reused, *url, request, deadline);
    if (result.keep) {
      pool.release(key, std::move(session));
    } else {
      session.reset();  // never reuse a session after an error: its state is unknown
    }
    if (!result.retryFresh) return std::move(result.response);
    reused = false;
  }
}

HttpClient::Impl::Attempt HttpClient::Impl::attempt(PinnedSession& session, bool reused,
                                                    const ParsedUrl& url,
                                                    const HttpRequest& request,
                                                    SteadyClock::time_point deadline) {
  Attempt out;
  Phase phase = Phase::kConnect;
  uint64_t ticket = 0;
  clearCertificateError();
  try {
    Poco::Timespan left = remainingUntil(deadline);
    if (!reused) session.connectPinned(left);
    ticket = watchdog.arm(session.fd(), deadline);
    phase = Phase::kHandshake;
    if (!reused) session.completeTls();
    left = remainingUntil(deadline);
    session.http().socket().setSendTimeout(left);
    session.http().socket().setReceiveTimeout(left);
    exchange(session, url, request, phase, out);
    if (watchdog.disarm(ticket)) throw Poco::TimeoutException("deadline");
    return out;
  } catch (const Poco::Exception& e) {
    const bool fired = watchdog.disarm(ticket);
    out = Attempt();
    if (fired || dynamic_cast<const Poco::TimeoutException*>(&e) ||
        SteadyClock::now() >= deadline) {
      out.response = failure(HttpResponse::Error::kTimeout,
                             "timeout after " + std::to_string(request.timeoutMs) + "ms");
      return out;
    }
    out.retryFresh = reused && isStaleConnectionFailure(e, phase);
    std::string text = phase == Phase::kHandshake ? describeTlsFailure(e) : describeSocketError(e);
    out.response = failure(HttpResponse::Error::kNetwork, std::move(text));
    return out;
  } catch (const std::exception& e) {
    watchdog.disarm(ticket);
    out = Attempt();
    out.response =
        failure(HttpResponse::Error::kNetwork, std::string("network error: ") + e.what());
    return out;
  }
}

void HttpClient::Impl::exchange(PinnedSession& session, const ParsedUrl& url,
                                const HttpRequest& request, Phase& phase, Attempt& out) {
  Poco::Net::HTTPClientSession& http = session.http();
  Poco::Net::HTTPRequest req(request.method, url.target, Poco::Net::HTTPMessage::HTTP_1_1);
  req.set("Host", url.hostHeader);
  for (const auto& [name, value] : request.headers) {
    if (!isManagedHeader(name)) req.add(name, value);
  }
  const std::string& method = request.method;
  if (!request.body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    req.setContentLength64(static_cast<Poco::Int64>(request.body.size()));
  }

  phase = Phase::kSend;
  std::ostream& body = http.sendRequest(req);
  body.exceptions(std::ios::badbit);
  body.write(request.body.data(), static_cast<std::streamsize>(request.body.size()));
  body.flush();

  phase = Phase::kAwaitResponse;
  Poco::Net::HTTPResponse resp;
  std::istream& in = http.receiveResponse(resp);
  in.exceptions(std::ios::badbit);

  phase = Phase::kBody;
  const int64_t keepLimit = std::max<int64_t>(request.maxResponseBytes, 0);
  int64_t total = 0;
  bool drained = true;
  char buffer[16 << 10];
  while (in) {
    in.read(buffer, sizeof(buffer));
    const std::streamsize n = in.gcount();
    if (n <= 0) break;
    total += n;
    const int64_t room = keepLimit - static_cast<int64_t>(out.response.body.size());
    if (room > 0) out.response.body.append(buffer, static_cast<size_t>(std::min<int64_t>(room, n)));
    if (total > keepLimit + kDrainLimitBytes) {
      drained = false;
      break;
    }
  }
  out.response.truncated = total > keepLimit;
  out.response.status = static_cast<int>(resp.getStatus());
  if (resp.has("Retry-After")) out.response.retryAfter = resp.get("Retry-After");
  // A body shorter than its Content-Length means the peer closed early: the status stands,
  // but the connection is done. (HEAD, 1xx, 204 and 304 answers carry no body at all.)
  const int status = out.response.status;
  const bool bodyless = method == "HEAD" || status < 200 || status == 204 || status == 304;
  const bool complete = bodyless || !resp.hasContentLength() ||
                        resp.getContentLength64() == static_cast<Poco::Int64>(total);
  out.keep = drained && complete && resp.getKeepAlive() && out.response.status >= 200;
}

HttpClient::HttpClient(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpClient::~HttpClient() = default;

HttpResponse HttpClient::send(const HttpRequest& request) {
  const auto start = SteadyClock::now();
  HttpResponse response;
  try {
    response = impl_->send(request);
  } catch (const std::exception& e) {
    response = failure(HttpResponse::Error::kNetwork, std::string("network error: ") + e.what());
  } catch (...) {
    response = failure(HttpResponse::Error::kNetwork, "network error: unexpected failure");
  }
  response.durationMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start).count();
  return response;
}

}  // namespace dispatch::net
