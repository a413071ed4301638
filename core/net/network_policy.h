// The SSRF guard: which URLs and resolved addresses outbound deliveries may reach.
// Pure functions (no DNS) except resolveChecked().
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/util/status.h"

namespace dispatch::net {

struct NetworkPolicy {
  bool allowHttp = false;             // Default: false (https only)
  bool allowPrivateNetworks = false;  // Default: false (public unicast addresses only)
};

struct IpAddr {
  int family = 4;                   // 4 or 6
  std::array<uint8_t, 16> bytes{};  // v4 uses the first 4
  std::string toString() const;
};

struct ParsedUrl {
  std::string scheme;      // "http" or "https" (lower-cased)
  std::string host;        // without brackets; lower-cased
  int port = 0;            // explicit or the scheme's default
  std::string target;      // path + query, at least "/"
  std::string hostHeader;  // host[:port] as sent in Host
};

// What splitUrl does with userinfo (`user:pass@`) in the authority.
enum class Userinfo { kRefuse, kSkip };

// The pieces of an absolute http(s) URL as written, before any check of what they hold: the
// syntax parseUrl and the plugins' URL check share. Views point into the split text.
struct UrlParts {
  std::string scheme;                    // "http" or "https" (lower-cased)
  std::string_view host;                 // as written, without brackets; not empty
  bool bracketed = false;                // the host was written as [...]
  std::optional<std::string_view> port;  // the text after ':', possibly empty or not a number
  std::string_view tail;                 // from the first '/', '?' or '#' on; "" when none
};

// Splits an absolute http(s) URL. kInvalid, with parseUrl's reasons, for whitespace and
// control characters, no `://`, another scheme, userinfo (kRefuse; kSkip drops it, up to the
// last '@'), an unterminated IPv6 literal or junk after it, and an empty host.
Result<UrlParts> splitUrl(std::string_view url, Userinfo userinfo);

// Parses an absolute http(s) URL: splitUrl, then the checks of what the pieces hold. Rejects
// userinfo, fragments-only, empty hosts, bad ports, whitespace and control characters, host names
// that are not plain ASCII (punycode is fine), empty labels (`a..b`, `.a`; one trailing dot is
// fine), and hosts whose last label is a number but that are no IPv4 address (`1.2.3.4.5`,
// `127.0.0.256`). A fragment is dropped; non-ASCII bytes in the target are percent-encoded.
// kInvalid with a short reason.
Result<ParsedUrl> parseUrl(std::string_view url);

// Parses a host that is an IP literal, with every spelling inet_aton accepts for IPv4
// (`2130706433`, `0x7f.1`, `0177.0.0.1`), each also with one trailing dot (`127.1.`), and
// IPv6 with or without brackets. nullopt for names.
std::optional<IpAddr> parseIpLiteral(std::string_view host);

// True when the address is not public unicast: loopback, private (RFC 1918), CGNAT,
// link-local (incl. 169.254.169.254), unspecified, multicast, broadcast, reserved,
// documentation, benchmarking, IPv6 ULA/link-local/site-local, and IPv4-mapped,
// IPv4-compatible, NAT64 and 6to4 forms of any blocked IPv4 address.
bool isBlockedAddress(const IpAddr& addr);

// Checks what can be checked without DNS: scheme against allowHttp, and an IP-literal
// host (or `localhost`, `*.localhost`) against allowPrivateNetworks. kBlocked with a reason, or
// kInvalid for a malformed URL.
Status checkUrl(std::string_view url, const NetworkPolicy& policy);

// Resolves `host` (DNS or literal) and returns the first address, checked against the
// policy. kBlocked when it is not allowed; kUnavailable when resolution fails.
Result<IpAddr> resolveChecked(const std::string& host, const NetworkPolicy& policy);

}  // namespace dispatch::net
