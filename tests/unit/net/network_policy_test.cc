// The SSRF guard: URL parsing, IP-literal spellings, blocked ranges and checkUrl().
#include "core/net/network_policy.h"

#include <gtest/gtest.h>

#include <string>

namespace dispatch::net {
namespace {

IpAddr ip(const std::string& text) {
  std::optional<IpAddr> addr = parseIpLiteral(text);
  EXPECT_TRUE(addr.has_value()) << text;
  return addr.value_or(IpAddr{});
}

bool blocked(const std::string& text) { return isBlockedAddress(ip(text)); }

TEST(NetworkPolicyTest, BlocksEveryReservedIpv4Range) {
  for (const char* a : {"0.0.0.0",      "0.1.2.3",         "10.0.0.1",       "10.255.255.255",
                        "100.64.0.1",   "100.127.255.254", "127.0.0.1",      "127.255.255.254",
                        "169.254.0.1",  "169.254.169.254", "172.16.0.1",     "172.31.255.255",
                        "192.0.0.1",    "192.0.0.170",     "192.0.2.1",      "192.88.99.1",
                        "192.168.0.1",  "192.168.255.255", "198.18.0.1",     "198.19.255.255",
                        "198.51.100.7", "203.0.113.9",     "224.0.0.1",      "239.255.255.250",
                        "240.0.0.1",    "255.255.255.254", "255.255.255.255"}) {
    EXPECT_TRUE(blocked(a)) << a;
  }
}

TEST(NetworkPolicyTest, AllowsAddressesJustOutsideIpv4Ranges) {
  for (const char* a :
       {"1.0.0.0",         "9.255.255.255",  "11.0.0.0",        "100.63.255.255", "100.128.0.1",
        "126.255.255.255", "128.0.0.0",      "169.253.255.255", "169.255.0.0",    "172.15.255.255",
        "172.32.0.1",      "192.0.1.1",      "192.0.3.0",       "192.88.98.255",  "192.167.255.255",
        "192.169.0.0",     "198.17.255.255", "198.20.0.0",      "198.51.99.255",  "203.0.112.255",
        "223.255.255.255"}) {
    EXPECT_FALSE(blocked(a)) << a;
  }
}

TEST(NetworkPolicyTest, AllowsPublicAddresses) {
  EXPECT_FALSE(blocked("8.8.8.8"));
  EXPECT_FALSE(blocked("1.1.1.1"));
  EXPECT_FALSE(blocked("2606:4700::1111"));
  EXPECT_FALSE(blocked("2001:4860:4860::8888"));
  EXPECT_FALSE(blocked("2a00:1450:4001::1"));
}

TEST(NetworkPolicyTest, BlocksEveryReservedIpv6Range) {
  for (const char* a : {"::",
                        "::1",
                        "::ffff:127.0.0.1",
                        "::ffff:10.1.2.3",
                        "::ffff:7f00:1",
                        "::ffff:169.254.169.254",
                        "::127.0.0.1",
                        "::8.8.8.8",
                        "64:ff9b::127.0.0.1",
                        "64:ff9b::a9fe:a9fe",
                        "64:ff9b:1::1",
                        "64:ff9b:1:ffff::8.8.8.8",
                        "100::1",
                        "100::ffff:ffff:ffff:ffff",
                        "2001::1",
                        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
                        "2001:1ff::1",
                        "2001:db8::1",
                        "2001:db8:ffff::1",
                        "2002:7f00:1::1",
                        "2002:0a00:0001::",
                        "2002:a9fe:a9fe::1",
                        "3fff::1",
                        "fc00::1",
                        "fd00::1",
                        "fdff:ffff::1",
                        "fe80::1",
                        "febf::1",
                        "fec0::1",
                        "feff::1",
                        "ff02::1",
                        "ff05::1:3"}) {
    EXPECT_TRUE(blocked(a)) << a;
  }
}

TEST(NetworkPolicyTest, AllowsEmbeddedPublicIpv4AndEdgesOfIpv6Ranges) {
  for (const char* a : {"::ffff:8.8.8.8", "64:ff9b::8.8.8.8", "2002:0808:0808::1", "2001:200::1",
                        "2001:db7:ffff::1", "2001:db9::1", "2003::1"}) {
    EXPECT_FALSE(blocked(a)) << a;
  }
}

TEST(NetworkPolicyTest, ParsesEveryInetAtonSpelling) {
  for (const char* a :
       {"2130706433", "0x7f.1", "0177.0.0.1", "127.1", "0x7f000001", "127.0.1", "[::1]"}) {
    std::optional<IpAddr> addr = parseIpLiteral(a);
    ASSERT_TRUE(addr.has_value()) << a;
    EXPECT_TRUE(isBlockedAddress(*addr)) << a;
  }
  EXPECT_EQ(ip("0x7f.1").toString(), "127.0.0.1");
  EXPECT_EQ(ip("2130706433").toString(), "127.0.0.1");
  EXPECT_EQ(ip("[::FFFF:127.0.0.1]").family, 6);
  EXPECT_EQ(ip("2606:4700::1111").toString(), "2606:4700::1111");
}

TEST(NetworkPolicyTest, NamesAreNotLiterals) {
  EXPECT_FALSE(parseIpLiteral("example.com").has_value());
  EXPECT_FALSE(parseIpLiteral("localhost").has_value());
  EXPECT_FALSE(parseIpLiteral("127.0.0.1 ").has_value());
  EXPECT_FALSE(parseIpLiteral("").has_value());
  EXPECT_FALSE(parseIpLiteral("fe80::1%eth0").has_value());
  EXPECT_FALSE(parseIpLiteral("1.2.3.4.5").has_value());
}

TEST(NetworkPolicyTest, ParseUrlNormalises) {
  Result<ParsedUrl> u = parseUrl("HTTPS://Example.COM/a/b?x=1#frag");
  ASSERT_TRUE(u.isOk()) << u.status().message();
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "example.com");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->target, "/a/b?x=1");
  EXPECT_EQ(u->hostHeader, "example.com");

  u = parseUrl("http://example.com");
  ASSERT_TRUE(u.isOk());
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->target, "/");

  u = parseUrl("http://example.com?q=1");
  ASSERT_TRUE(u.isOk());
  EXPECT_EQ(u->target, "/?q=1");

  u = parseUrl("http://example.com#only-a-fragment");
  ASSERT_TRUE(u.isOk());
  EXPECT_EQ(u->target, "/");

  u = parseUrl("http://example.com:8080/hook");
  ASSERT_TRUE(u.isOk());
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->hostHeader, "example.com:8080");

  u = parseUrl("https://example.com:443/");
  ASSERT_TRUE(u.isOk());
  EXPECT_EQ(u->hostHeader, "example.com");

  u = parseUrl("http://[2606:4700::1111]:8443/x");
  ASSERT_TRUE(u.isOk());
  EXPECT_EQ(u->host, "2606:4700::1111");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->hostHeader, "[2606:4700::1111]:8443");

  u = parseUrl("http://[::1]/");
  ASSERT_TRUE(u.isOk());
  EXPECT_EQ(u->hostHeader, "[::1]");

  u = parseUrl("https://example.com/caf\xC3\xA9");
  ASSERT_TRUE(u.isOk());
  EXPECT_EQ(u->target, "/caf%C3%A9");

  u = parseUrl("http://example.com:65535/");
  ASSERT_TRUE(u.isOk());
  EXPECT_EQ(u->port, 65535);
}

TEST(NetworkPolicyTest, ParseUrlRejectsMalformedUrls) {
  for (const char* bad : {"",
                          "example.com/hook",
                          "/relative",
                          "ftp://example.com/",
                          "javascript:alert(1)",
                          "http://",
                          "http:///path",
                          "http://:80/",
                          "http://user@example.com/",
                          "http://user:pass@example.com/",
                          "http://example.com@127.0.0.1/",
                          "http://exa mple.com/",
                          "http://example.com/a b",
                          "http://example.com/\n",
                          "http://example.com/\t",
                          "http://example.com\r\n/",
                          "http://example.com:0/",
                          "http://example.com:65536/",
                          "http://example.com:99999/",
                          "http://example.com:-1/",
                          "http://example.com:/",
                          "http://example.com:8o/",
                          "http://[::1/",
                          "http://[::1]x/",
                          "http://[zz::1]/",
                          "http://[fe80::1%25eth0]/",
                          "http://exa%6dple.com/",
                          "http://example.com\\@127.0.0.1/",
                          "http://ex\xC3\xA4mple.com/"}) {
    EXPECT_FALSE(parseUrl(bad).isOk()) << bad;
    EXPECT_EQ(checkUrl(bad, NetworkPolicy{true, true}).code(), Code::kInvalid) << bad;
  }
}

TEST(NetworkPolicyTest, CheckUrlBlocksOddSpellingsOfPrivateAddresses) {
  const NetworkPolicy policy{/*allowHttp=*/true, /*allowPrivateNetworks=*/false};
  for (const char* url :
       {"http://2130706433/", "http://0x7f.1/", "http://0177.0.0.1/", "http://127.1/",
        "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/",
        "http://[fd00::1]/", "http://169.254.169.254/latest", "http://localhost:8080/",
        "http://LOCALHOST/", "http://localhost./", "http://api.localhost/", "http://0.0.0.0/",
        "http://10.0.0.1/", "https://[fe80::1]/"}) {
    Status st = checkUrl(url, policy);
    EXPECT_EQ(st.code(), Code::kBlocked) << url;
    EXPECT_EQ(st.message(), "destination address is not allowed: private or reserved network")
        << url;
  }
}

TEST(NetworkPolicyTest, CheckUrlAllowsPrivateAddressesWhenConfigured) {
  const NetworkPolicy policy{/*allowHttp=*/true, /*allowPrivateNetworks=*/true};
  for (const char* url :
       {"http://2130706433/", "http://0x7f.1/", "http://[::1]/", "http://169.254.169.254/latest",
        "http://localhost:8080/", "http://[fd00::1]/"}) {
    EXPECT_TRUE(checkUrl(url, policy).isOk()) << url;
  }
}

TEST(NetworkPolicyTest, CheckUrlRequiresHttpsUnlessHttpAllowed) {
  const NetworkPolicy httpsOnly{/*allowHttp=*/false, /*allowPrivateNetworks=*/false};
  Status st = checkUrl("http://example.com/hook", httpsOnly);
  EXPECT_EQ(st.code(), Code::kBlocked);
  EXPECT_EQ(st.message(), "http URLs are not allowed (delivery.allow_http is false)");
  EXPECT_TRUE(checkUrl("https://example.com/hook", httpsOnly).isOk());
  EXPECT_TRUE(checkUrl("https://8.8.8.8/", httpsOnly).isOk());
  EXPECT_EQ(checkUrl("https://127.0.0.1/", httpsOnly).code(), Code::kBlocked);
  // Names are only checked after DNS, in resolveChecked().
  EXPECT_TRUE(checkUrl("https://internal.example/", httpsOnly).isOk());
  EXPECT_TRUE(checkUrl("http://example.com/", NetworkPolicy{true, false}).isOk());
}

TEST(NetworkPolicyTest, ResolveCheckedHandlesLiteralsWithoutDns) {
  const NetworkPolicy strict{false, false};
  Result<IpAddr> r = resolveChecked("8.8.8.8", strict);
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->toString(), "8.8.8.8");
  r = resolveChecked("[2606:4700::1111]", strict);
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->family, 6);
  EXPECT_EQ(resolveChecked("127.0.0.1", strict).status().code(), Code::kBlocked);
  EXPECT_EQ(resolveChecked("0x7f.1", strict).status().code(), Code::kBlocked);
  EXPECT_TRUE(resolveChecked("127.0.0.1", NetworkPolicy{false, true}).isOk());
}

TEST(NetworkPolicyTest, ResolveCheckedChecksTheResolvedAddress) {
  // `localhost` resolves from /etc/hosts, never the network.
  Result<IpAddr> r = resolveChecked("localhost", NetworkPolicy{false, false});
  EXPECT_EQ(r.status().code(), Code::kBlocked);
  r = resolveChecked("localhost", NetworkPolicy{false, true});
  ASSERT_TRUE(r.isOk());
  EXPECT_TRUE(isBlockedAddress(*r));
  // An empty name fails before any lookup (a real NXDOMAIN would need a DNS server).
  r = resolveChecked("", NetworkPolicy{false, false});
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_EQ(r.status().message(), "could not resolve host");
}

}  // namespace
}  // namespace dispatch::net
