// Creation-time URL checks: every spelling of a loopback, unspecified or metadata address
// (trailing dots, inet_aton forms, IPv6 and mapped forms, localhost) is refused as the
// address it is, for job URLs (400) as for destination URLs (config error); names that
// only look like addresses are not URLs at all.
#include <gtest/gtest.h>

#include <string>

#include "core/jobs/job_validation.h"
#include "core/net/network_policy.h"

namespace dispatch::net {
namespace {

constexpr char kBlocked[] = "destination address is not allowed: private or reserved network";
const NetworkPolicy kStrict{/*allowHttp=*/true, /*allowPrivateNetworks=*/false};
const NetworkPolicy kOpen{/*allowHttp=*/true, /*allowPrivateNetworks=*/true};

// One test per host spelling: its URL is refused at creation unless private networks are
// allowed, and a job naming it gets the usual 400 message.
class PrivateSpellingTest : public ::testing::TestWithParam<const char*> {};

TEST_P(PrivateSpellingTest, RefusedAtCreationUnlessPrivateNetworksAllowed) {
  const std::string url = std::string("http://") + GetParam() + "/hook";
  Status st = checkUrl(url, kStrict);
  EXPECT_EQ(st.code(), Code::kBlocked) << url;
  EXPECT_EQ(st.message(), kBlocked) << url;
  EXPECT_TRUE(checkUrl(url, kOpen).isOk()) << url;

  Status job = jobs::validateTargetUrl(url, "webhookUrl", kStrict);
  EXPECT_EQ(job.code(), Code::kInvalid) << url;
  EXPECT_EQ(job.message(), std::string("webhookUrl is not allowed: ") + kBlocked) << url;
  EXPECT_TRUE(jobs::validateTargetUrl(url, "webhookUrl", kOpen).isOk()) << url;
}

INSTANTIATE_TEST_SUITE_P(Spellings, PrivateSpellingTest,
                         ::testing::Values("127.0.0.1.", "127.1.", "0.0.0.0.", "169.254.169.254.",
                                           "127.1", "0x7f.0.0.1", "0177.0.0.1", "2130706433",
                                           "[::ffff:127.0.0.1]", "[::1]", "localhost.", "LOCALHOST",
                                           "0x7f.0.0.1.", "0177.0.0.1.", "2130706433.",
                                           "0x7f000001.", "127.0.0.1.:8080", "0.", "0", "10.1.",
                                           "[::]", "[0:0:0:0:0:ffff:7f00:1]", "api.localhost.",
                                           "LocalHost.:8443"));

TEST(AddressSpellingsTest, ATrailingDotIsTheSameIpv4Address) {
  for (const char* host : {"127.0.0.1.", "127.1.", "0x7f.1.", "0177.0.0.1.", "2130706433.",
                           "169.254.169.254.", "0.0.0.0."}) {
    std::optional<IpAddr> addr = parseIpLiteral(host);
    ASSERT_TRUE(addr.has_value()) << host;
    EXPECT_EQ(addr->family, 4) << host;
    EXPECT_TRUE(isBlockedAddress(*addr)) << host;
  }
  EXPECT_EQ(parseIpLiteral("127.1.")->toString(), "127.0.0.1");
  EXPECT_EQ(parseIpLiteral("169.254.169.254.")->toString(), "169.254.169.254");
  // Only one dot, and never on IPv6.
  EXPECT_FALSE(parseIpLiteral("127.0.0.1..").has_value());
  EXPECT_FALSE(parseIpLiteral(".").has_value());
  EXPECT_FALSE(parseIpLiteral("::1.").has_value());
}

TEST(AddressSpellingsTest, PublicAddressesWithATrailingDotStayAllowed) {
  for (const char* url : {"https://8.8.8.8./", "https://0x08080808./", "https://example.com./",
                          "https://134744072/"}) {
    EXPECT_TRUE(checkUrl(url, kStrict).isOk()) << url;
  }
  EXPECT_EQ(parseIpLiteral("8.8.8.8.")->toString(), "8.8.8.8");
}

TEST(AddressSpellingsTest, HostsThatEndInANumberMustBeIpv4Addresses) {
  // A resolver could read these as addresses even though inet_aton does not: not URLs.
  for (const char* url :
       {"http://127.0.0.256/", "http://1.2.3.4.5/", "http://4294967296/", "http://0x100000000/",
        "http://08.0.0.1/", "http://127.0.0.1../", "http://example.123/", "http://a.0x7f/"}) {
    EXPECT_FALSE(parseUrl(url).isOk()) << url;
    EXPECT_EQ(checkUrl(url, kOpen).code(), Code::kInvalid) << url;
    EXPECT_EQ(jobs::validateTargetUrl(url, "webhookUrl", kOpen).message(),
              "webhookUrl must be an absolute http(s) URL")
        << url;
  }
  // Names whose last label is not a number are names.
  for (const char* url : {"https://1.2.3.4.example/", "https://123.example.com/",
                          "https://0xdead.beef/", "https://x0x7f/"}) {
    EXPECT_TRUE(checkUrl(url, kStrict).isOk()) << url;
  }
}

TEST(AddressSpellingsTest, EmptyLabelsAreNotHosts) {
  for (const char* url : {"http://./", "http://../", "http://.example.com/", "http://example..com/",
                          "http://example.com../", "http://.localhost/"}) {
    Result<ParsedUrl> u = parseUrl(url);
    EXPECT_FALSE(u.isOk()) << url;
    EXPECT_EQ(checkUrl(url, kOpen).code(), Code::kInvalid) << url;
  }
  EXPECT_EQ(parseUrl("http://example..com/").status().message(), "URL host has an empty label");
  EXPECT_EQ(parseUrl("http://127.0.0.256/").status().message(),
            "URL host is not a valid IPv4 address");
}

TEST(AddressSpellingsTest, TheAttemptTimeCheckReadsTrailingDotsWithoutDns) {
  // resolveChecked() takes these as literals, so no resolver is asked about them.
  for (const char* host : {"127.0.0.1.", "127.1.", "0.0.0.0.", "169.254.169.254."}) {
    Result<IpAddr> r = resolveChecked(host, NetworkPolicy{false, false});
    EXPECT_EQ(r.status().code(), Code::kBlocked) << host;
    EXPECT_TRUE(resolveChecked(host, NetworkPolicy{false, true}).isOk()) << host;
  }
}

}  // namespace
}  // namespace dispatch::net
