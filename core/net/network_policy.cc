// The SSRF guard: URL parsing, IP-literal parsing, the blocked-range tables, and the
// DNS-resolving check whose answer the HTTP client then connects to.
#include "core/net/network_policy.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <initializer_list>
#include <memory>

namespace dispatch::net {
namespace {

constexpr char kBlockedReason[] = "destination address is not allowed: private or reserved network";
constexpr char kHttpReason[] = "http URLs are not allowed (delivery.allow_http is false)";

char toLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowered(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), toLower);
  return out;
}

// Characters allowed in a registered name. Anything else (`%`, `\`, `[`, non-ASCII) is
// refused rather than normalised, so no two parsers can disagree about the host.
bool isHostNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

bool isLocalhostName(std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  constexpr std::string_view kLocal = "localhost";
  constexpr std::string_view kLocalSuffix = ".localhost";
  return host == kLocal ||
         (host.size() > kLocalSuffix.size() && host.ends_with(kLocalSuffix));  // RFC 6761
}

std::string percentEncodeNonAscii(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

Status invalid(std::string message) { return Status(Code::kInvalid, std::move(message)); }

struct V4Range {
  uint32_t prefix;
  int bits;
};

constexpr uint32_t v4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

// Everything that is not public unicast (IANA special-purpose registry, RFC 6890 and later).
constexpr V4Range kBlockedV4[] = {
    {v4(0, 0, 0, 0), 8},        // "this" network, incl. 0.0.0.0
    {v4(10, 0, 0, 0), 8},       // RFC 1918
    {v4(100, 64, 0, 0), 10},    // CGNAT shared space
    {v4(127, 0, 0, 0), 8},      // loopback
    {v4(169, 254, 0, 0), 16},   // link-local, incl. cloud metadata 169.254.169.254
    {v4(172, 16, 0, 0), 12},    // RFC 1918
    {v4(192, 0, 0, 0), 24},     // IETF protocol assignments
    {v4(192, 0, 2, 0), 24},     // TEST-NET-1
    {v4(192, 88, 99, 0), 24},   // deprecated 6to4 relay anycast
    {v4(192, 168, 0, 0), 16},   // RFC 1918
    {v4(198, 18, 0, 0), 15},    // benchmarking
    {v4(198, 51, 100, 0), 24},  // TEST-NET-2
    {v4(203, 0, 113, 0), 24},   // TEST-NET-3
    {v4(224, 0, 0, 0), 4},      // multicast
    {v4(240, 0, 0, 0), 4},      // reserved, incl. broadcast 255.255.255.255
};

bool isBlockedV4(uint32_t addr) {
  for (const V4Range& r : kBlockedV4) {
    uint32_t mask = r.bits == 0 ? 0 : ~uint32_t{0} << (32 - r.bits);
    if ((addr & mask) == r.prefix) return true;
  }
  return false;
}

uint32_t v4At(const std::array<uint8_t, 16>& b, size_t offset) {
  return (uint32_t{b[offset]} << 24) | (uint32_t{b[offset + 1]} << 16) |
         (uint32_t{b[offset + 2]} << 8) | uint32_t{b[offset + 3]};
}

// True when the first `bits` bits of `b` equal those of `prefix`.
bool hasPrefix(const std::array<uint8_t, 16>& b, std::initializer_list<uint8_t> prefix, int bits) {
  int i = 0;
  for (uint8_t p : prefix) {
    if (bits <= 0) break;
    uint8_t mask = bits >= 8 ? 0xFF : static_cast<uint8_t>(0xFF << (8 - bits));
    if ((b[i] & mask) != (p & mask)) return false;
    bits -= 8;
    ++i;
  }
  return bits <= 0;
}

bool isBlockedV6(const std::array<uint8_t, 16>& b) {
  // ::/96 holds ::, ::1 and the deprecated IPv4-compatible form: never a public destination.
  if (hasPrefix(b, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 96)) return true;
  // ::ffff:a.b.c.d reaches a.b.c.d through a dual-stack socket.
  if (hasPrefix(b, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF}, 96)) return isBlockedV4(v4At(b, 12));
  // NAT64 well-known prefix: a gateway forwards to the embedded IPv4 address.
  if (hasPrefix(b, {0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0}, 96)) {
    return isBlockedV4(v4At(b, 12));
  }
  // 6to4: the embedded IPv4 address is the relay's destination.
  if (hasPrefix(b, {0x20, 0x02}, 16)) return isBlockedV4(v4At(b, 2));
  // Only global unicast (2000::/3) is public; this also covers 64:ff9b:1::/48 (local-use
  // NAT64), 100::/64 (discard), fc00::/7 (ULA), fe80::/10, fec0::/10 and ff00::/8.
  if (!hasPrefix(b, {0x20}, 3)) return true;
  if (hasPrefix(b, {0x20, 0x01, 0x00}, 23)) return true;        // IETF protocol assignments, Teredo
  if (hasPrefix(b, {0x20, 0x01, 0x0D, 0xB8}, 32)) return true;  // documentation
  if (hasPrefix(b, {0x3F, 0xFF, 0x00}, 20)) return true;        // documentation (RFC 9637)
  return false;
}

// True when the last label is a number in any base inet_aton reads (`1`, `0177`, `0x7f`), as
// the WHATWG URL parser asks: such a host is an IPv4 address or nothing, never a DNS name.
bool endsInNumber(std::string_view name) {
  std::string_view last = name.substr(name.rfind('.') + 1);  // npos + 1 == 0: the whole name
  if (last.size() >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X')) {
    return std::all_of(last.begin() + 2, last.end(),
                       [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
  }
  return !last.empty() &&
         std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A registered name (not bracketed): no empty label (one trailing dot, the DNS root, is
// fine), and a name that ends in a number must be an IPv4 address in some spelling, so that
// `127.1.` or `0x7f.0.0.1.` cannot pass as names and reach a resolver that reads them as
// addresses.
Status checkHostName(std::string_view host) {
  std::string_view name = host;
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.front() == '.' || name.back() == '.' ||
      name.find("..") != std::string_view::npos) {
    return invalid("URL host has an empty label");
  }
  if (endsInNumber(name) && !parseIpLiteral(host)) {
    return invalid("URL host is not a valid IPv4 address");
  }
  return Status::ok();
}

// A lower-cased host: a valid IPv6 address when it was bracketed, else a registered name or
// IPv4 address in [a-z0-9._-] (checkHostName).
Status checkHost(const std::string& host, bool bracketed) {
  if (bracketed) {
    in6_addr a6;
    if (inet_pton(AF_INET6, host.c_str(), &a6) != 1) {
      return invalid("URL has an invalid IPv6 address");
    }
    return Status::ok();
  }
  if (!std::all_of(host.begin(), host.end(), isHostNameChar)) {
    return invalid("URL host contains invalid characters");
  }
  return checkHostName(host);
}

// The explicit port (1..65535, at most 5 digits), or the scheme's default.
Result<int> portOf(const UrlParts& parts) {
  if (!parts.port) return parts.scheme == "https" ? 443 : 80;
  std::string_view text = *parts.port;
  if (text.empty() || text.size() > 5 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return invalid("URL has an invalid port");
  }
  int port = std::stoi(std::string(text));
  if (port < 1 || port > 65535) return invalid("URL port must be between 1 and 65535");
  return port;
}

}  // namespace

std::string IpAddr::toString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  const int af = family == 6 ? AF_INET6 : AF_INET;
  if (inet_ntop(af, bytes.data(), buf, sizeof(buf)) == nullptr) return std::string();
  return buf;
}

Result<UrlParts> splitUrl(std::string_view url, Userinfo userinfo) {
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F)
      return invalid("URL must not contain whitespace or control characters");
  }
  size_t schemeEnd = url.find("://");
  if (schemeEnd == std::string_view::npos) return invalid("URL must be absolute (http or https)");
  UrlParts out;
  out.scheme = lowered(url.substr(0, schemeEnd));
  if (out.scheme != "http" && out.scheme != "https") {
    return invalid("URL scheme must be http or https");
  }
  std::string_view rest = url.substr(schemeEnd + 3);
  size_t authorityEnd = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authorityEnd);
  out.tail = authorityEnd == std::string_view::npos ? "" : rest.substr(authorityEnd);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    if (userinfo == Userinfo::kRefuse) {
      return invalid("URL must not contain credentials (user@host)");
    }
    authority.remove_prefix(at + 1);
  }

  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid("URL has an unterminated IPv6 address");
    out.host = authority.substr(1, close - 1);
    out.bracketed = true;
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return invalid("URL has junk after the IPv6 address");
      out.port = after.substr(1);
    }
  } else {
    size_t colon = authority.find(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string_view::npos) out.port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return invalid("URL has an empty host");
  return out;
}

Result<ParsedUrl> parseUrl(std::string_view url) {
  Result<UrlParts> parts = splitUrl(url, Userinfo::kRefuse);
  if (!parts) return parts.status();
  ParsedUrl out;
  out.scheme = parts->scheme;
  out.host = lowered(parts->host);
  if (Status st = checkHost(out.host, parts->bracketed); !st) return st;
  Result<int> port = portOf(*parts);
  if (!port) return port.status();
  out.port = *port;

  std::string_view target = parts->tail.substr(0, parts->tail.find('#'));  // never on the wire
  out.target = percentEncodeNonAscii(target);
  if (out.target.empty() || out.target.front() == '?') out.target.insert(out.target.begin(), '/');

  // Appended piece by piece: GCC 12 reports a false -Wrestrict for `"[" + s + "]"` at -O2.
  if (parts->bracketed) out.hostHeader += '[';
  out.hostHeader += out.host;
  if (parts->bracketed) out.hostHeader += ']';
  bool defaultPort = out.port == (out.scheme == "https" ? 443 : 80);
  if (!defaultPort) {
    out.hostHeader += ':';
    out.hostHeader += std::to_string(out.port);
  }
  return out;
}

std::optional<IpAddr> parseIpLiteral(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) return std::nullopt;
  // inet_aton tolerates trailing whitespace; the URL layer rejects it, so must we.
  for (char c : host) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F) return std::nullopt;
  }
  std::string text(host);
  IpAddr addr;
  // `127.0.0.1.` is 127.0.0.1 written as an absolute name (one trailing dot, the DNS root), as
  // browsers and resolvers read it.
  if (text.find(':') == std::string::npos && text.size() > 1 && text.back() == '.') {
    text.pop_back();
  }
  if (text.find(':') != std::string::npos) {
    in6_addr a6;
    if (inet_pton(AF_INET6, text.c_str(), &a6) != 1) return std::nullopt;
    addr.family = 6;
    std::memcpy(addr.bytes.data(), &a6, 16);
    return addr;
  }
  in_addr a4;
  if (inet_aton(text.c_str(), &a4) == 0) return std::nullopt;
  addr.family = 4;
  std::memcpy(addr.bytes.data(), &a4.s_addr, 4);  // network byte order = the dotted order
  return addr;
}

bool isBlockedAddress(const IpAddr& addr) {
  if (addr.family == 4) return isBlockedV4(v4At(addr.bytes, 0));
  return isBlockedV6(addr.bytes);
}

Status checkUrl(std::string_view url, const NetworkPolicy& policy) {
  Result<ParsedUrl> parsed = parseUrl(url);
  if (!parsed) return parsed.status();
  if (parsed->scheme == "http" && !policy.allowHttp) return Status(Code::kBlocked, kHttpReason);
  if (policy.allowPrivateNetworks) return Status::ok();
  // `127.1.` is 127.0.0.1 as an absolute name: resolvers read it as the address.
  std::string_view host = parsed->host;
  while (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (isLocalhostName(host)) return Status(Code::kBlocked, kBlockedReason);
  std::optional<IpAddr> literal = parseIpLiteral(host);
  if (literal && isBlockedAddress(*literal)) return Status(Code::kBlocked, kBlockedReason);
  return Status::ok();
}

Result<IpAddr> resolveChecked(const std::string& host, const NetworkPolicy& policy) {
  std::optional<IpAddr> addr = parseIpLiteral(host);
  if (!addr) {
    std::string name = host;
    if (name.size() >= 2 && name.front() == '[' && name.back() == ']') {
      name = name.substr(1, name.size() - 2);
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* raw = nullptr;
    if (name.empty() || getaddrinfo(name.c_str(), nullptr, &hints, &raw) != 0 || raw == nullptr) {
      return Result<IpAddr>(Code::kUnavailable, "could not resolve host");
    }
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(raw, &freeaddrinfo);
    IpAddr first;
    if (raw->ai_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(raw->ai_addr);
      first.family = 4;
      std::memcpy(first.bytes.data(), &sin->sin_addr.s_addr, 4);
    } else if (raw->ai_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(raw->ai_addr);
      first.family = 6;
      std::memcpy(first.bytes.data(), &sin6->sin6_addr, 16);
    } else {
      return Result<IpAddr>(Code::kUnavailable, "could not resolve host");
    }
    addr = first;
  }
  if (!policy.allowPrivateNetworks && isBlockedAddress(*addr)) {
    return Result<IpAddr>(Code::kBlocked, kBlockedReason);
  }
  return *addr;
}

}  // namespace dispatch::net
