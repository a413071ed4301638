// libFuzzer target for URL and IP parsing: the SSRF guard (core/net/network_policy.cc: parseUrl,
// parseIpLiteral, isBlockedAddress, checkUrl, resolveChecked on literals — never DNS) and the
// plugins' URL check (core/plugin/support.cc: isHttpUrl). Input: a URL; it and its host are also
// tried as IP literals. Beyond "does not crash":
// - a parsed URL is well formed (scheme, host characters, port range, target starting with '/'
//   without blanks, controls, non-ASCII or a fragment) and re-parses equal from its own parts;
//   isHttpUrl accepts every URL parseUrl accepts; checkUrl reports parseUrl's error;
// - checkUrl: with everything allowed it accepts exactly the parsable URLs; http is refused when
//   not allowed; an accepted URL never names localhost or a blocked IP literal, also not with
//   trailing dots (`127.0.0.1.` resolves as 127.0.0.1);
// - an IP literal prints and re-parses to the same address; an IPv4 address is blocked exactly
//   when its IPv4-mapped, NAT64 and 6to4 forms are, its IPv4-compatible form always;
//   resolveChecked on a literal refuses exactly the blocked ones.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "core/net/network_policy.h"
#include "core/plugin/support.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

namespace net = dispatch::net;
using dispatch::Code;
using dispatch::fuzz::check;

bool hostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

bool sameAddr(const net::IpAddr& a, const net::IpAddr& b) {
  return a.family == b.family && a.bytes == b.bytes;
}

net::IpAddr v6(std::initializer_list<uint8_t> prefix, const net::IpAddr& v4, size_t at) {
  net::IpAddr out;
  out.family = 6;
  size_t i = 0;
  for (uint8_t b : prefix) out.bytes[i++] = b;
  std::memcpy(out.bytes.data() + at, v4.bytes.data(), 4);
  return out;
}

void checkLiteral(std::string_view host) {
  const std::optional<net::IpAddr> addr = net::parseIpLiteral(host);
  if (!addr) return;
  check(addr->family == 4 || addr->family == 6, "literal of no family", host);
  const std::string printed = addr->toString();
  const std::optional<net::IpAddr> again = net::parseIpLiteral(printed);
  check(again && sameAddr(*again, *addr), "printed literal re-parses differently", host);
  const bool blocked = net::isBlockedAddress(*addr);
  if (addr->family == 4) {
    const uint8_t mapped[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    net::IpAddr m;
    m.family = 6;
    std::memcpy(m.bytes.data(), mapped, sizeof mapped);
    std::memcpy(m.bytes.data() + 12, addr->bytes.data(), 4);
    check(net::isBlockedAddress(m) == blocked, "IPv4-mapped form judged differently", host);
    check(net::isBlockedAddress(v6({0x00, 0x64, 0xFF, 0x9B}, *addr, 12)) == blocked,
          "NAT64 form judged differently", host);
    check(net::isBlockedAddress(v6({0x20, 0x02}, *addr, 2)) == blocked,
          "6to4 form judged differently", host);
    check(net::isBlockedAddress(v6({}, *addr, 12)), "IPv4-compatible form not blocked", host);
  }
  // A literal never reaches DNS, so this is safe to call here.
  const auto resolved = net::resolveChecked(std::string(host), net::NetworkPolicy{});
  check(resolved.isOk() != blocked, "resolveChecked disagrees with isBlockedAddress", host);
  if (!blocked) check(sameAddr(*resolved, *addr), "resolveChecked changed the address", host);
  net::NetworkPolicy open;
  open.allowPrivateNetworks = true;
  check(net::resolveChecked(std::string(host), open).isOk(), "an allowed literal refused", host);
}

void checkParsed(std::string_view url, const net::ParsedUrl& p) {
  check(p.scheme == "http" || p.scheme == "https", "scheme not http(s)", url);
  check(!p.host.empty(), "empty host", url);
  const bool v6 = p.host.find(':') != std::string::npos;
  if (v6) {
    check(net::parseIpLiteral(p.host).has_value(), "bracketed host is not IPv6", url);
  } else {
    for (const char c : p.host) check(hostChar(c), "host has a character outside [a-z0-9._-]", url);
  }
  check(p.port >= 1 && p.port <= 65535, "port out of range", url);
  check(!p.target.empty() && p.target[0] == '/', "target does not start with '/'", url);
  for (const char c : p.target) {
    const auto b = static_cast<unsigned char>(c);
    check(b > 0x20 && b < 0x7F && c != '#', "target has a blank, control, non-ASCII or '#'", url);
  }
  const std::string host = v6 ? "[" + p.host + "]" : p.host;
  const bool defaultPort = p.port == (p.scheme == "https" ? 443 : 80);
  check(p.hostHeader == (defaultPort ? host : host + ":" + std::to_string(p.port)),
        "Host header does not match host and port", url);
  check(dispatch::plugin::isHttpUrl(url), "isHttpUrl refuses a URL parseUrl accepts", url);

  const std::string rebuilt = p.scheme + "://" + p.hostHeader + p.target;
  const auto again = net::parseUrl(rebuilt);
  check(again.isOk(), "rebuilt URL does not parse", rebuilt);
  check(again->scheme == p.scheme && again->host == p.host && again->port == p.port &&
            again->target == p.target && again->hostHeader == p.hostHeader,
        "rebuilt URL parses differently", rebuilt);
}

std::string_view withoutTrailingDots(std::string_view host) {
  while (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return host;
}

void checkPolicy(std::string_view url, const dispatch::Result<net::ParsedUrl>& parsed) {
  net::NetworkPolicy open{true, true}, httpOnly{true, false}, strict{false, false};
  const dispatch::Status all = net::checkUrl(url, open);
  check(all.isOk() == parsed.isOk(), "checkUrl with all allowed differs from parseUrl", url);
  if (!parsed) {
    check(all.code() == Code::kInvalid && all.message() == parsed.status().message(),
          "checkUrl does not report parseUrl's error", url);
    return;
  }
  const dispatch::Status s = net::checkUrl(url, strict);
  if (parsed->scheme == "http") check(s.code() == Code::kBlocked, "http accepted", url);
  const dispatch::Status guarded = net::checkUrl(url, httpOnly);
  if (!guarded.isOk()) {
    check(guarded.code() == Code::kBlocked, "refused with a code other than kBlocked", url);
    return;
  }
  const std::string_view host = withoutTrailingDots(parsed->host);
  check(host != "localhost" && !(host.size() > 10 && host.ends_with(".localhost")),
        "a localhost name is accepted", url);
  const std::optional<net::IpAddr> literal = net::parseIpLiteral(host);
  check(!literal || !net::isBlockedAddress(*literal), "a blocked IP literal is accepted", url);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view url(reinterpret_cast<const char*>(data), size);
  dispatch::plugin::isHttpUrl(url);
  const auto parsed = net::parseUrl(url);
  if (parsed) {
    checkParsed(url, *parsed);
    checkLiteral(parsed->host);
  } else {
    check(!parsed.status().message().empty(), "refused without a reason", url);
  }
  checkPolicy(url, parsed);
  checkLiteral(url);
  return 0;
}
