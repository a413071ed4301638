// Body and header filters end to end: a filtered fan-out where each event reaches only the
// links whose filters hold and the others are listed in `skipped` as `filter did not match`;
// header filters; a destination-level filter shared by the links to it; filters seeing the
// event as received (before the transform, which a turned-away link never runs); bodies that
// are not JSON; and a regex that does not compile as a config error with file:line:col for
// check-config, start and reload.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "tests/integration/router_util.h"

namespace dispatch::test {
namespace {

using namespace router;

std::string source(const std::string& slug, const std::string& eventType) {
  return "      - slug: " + slug +
         "\n        verify: { preset: none }\n        allow_unsigned: true\n"
         "        event_type: " +
         eventType + "\n";
}

std::string dest(const std::string& name, const std::string& url, const std::string& extra = "") {
  return "      - name: " + name + "\n        type: webhook\n        url: " + url + "\n" + extra;
}

class FilterFixture : public ::testing::Test {
 protected:
  std::string projects() const {
    return "projects:\n"
           "  - name: alpha\n"
           "    signing_secret: " +
           std::string(kAlphaSecret) + "\n    sources:\n" + source("orders", "{ path: type }") +
           source("refunds", "{ path: type }") + source("gh", "{ header: X-GitHub-Event }") +
           "    destinations:\n" + dest("big", big.url("/big")) +
           dest("small", small.url("/small")) +
           dest("eu", eu.url("/eu"), "        filter: { body: { currency: eur } }\n") +
           dest("slim", slim.url("/slim")) + dest("spin", spin.url("/spin")) +
           dest("pushes", pushes.url("/pushes")) +
           "    links:\n"
           "      - source: orders\n"
           "        destination: big\n"
           "        filter:\n"
           "          body:\n"
           "            amount: { $gte: 1000 }\n"
           "            items.0.sku: { $regex: '^[A-Z]-[0-9]+$' }\n"
           "      - { source: orders, destination: small, filter: { body: { amount: { $lt: 1000 } "
           "} } }\n"
           "      - { source: orders, destination: eu }\n"
           "      - { source: refunds, destination: eu }\n"
           "      - source: orders\n"
           "        destination: slim\n"
           "        filter: { body: { customer.tier: { $in: [gold, platinum] } } }\n"
           "        lua: |\n"
           "          function transform(e)\n"
           "            e.body = { tier = e.body.customer.tier }\n"
           "            return e\n"
           "          end\n"
           // A transform that never ends: a link that runs it gets a DEAD delivery, not a skip.
           "      - source: orders\n"
           "        destination: spin\n"
           "        filter: { body: { amount: { $lt: 0 } } }\n"
           "        lua: |\n"
           "          function transform(e)\n"
           "            while true do end\n"
           "          end\n"
           "      - source: gh\n"
           "        destination: pushes\n"
           "        filter:\n"
           "          headers:\n"
           "            x-github-event: push\n"
           "            x-github-hook-installation-target-type: { $ne: organization }\n";
  }

  void SetUp() override {
    DispatchOptions o;
    o.projectsYaml = projects();
    d = std::make_unique<DispatchProcess>(db, o);
    ASSERT_TRUE(d->start()) << d->log();
  }

  std::string post(const std::string& slug, const std::string& body, const Headers& h = {}) {
    std::string why;
    std::string id = accepted(postHook(*d, slug, body, h), &why);
    EXPECT_FALSE(id.empty()) << why;
    return id;
  }

  // The destinations the event made deliveries to, sorted.
  std::vector<std::string> deliveredTo(const std::string& eventId) {
    std::vector<std::string> out;
    ApiResponse ev = getEvent(*d, eventId);
    for (const json::Value* x : arrayAt(ev, "deliveries")) out.push_back(str(x, "destination"));
    std::sort(out.begin(), out.end());
    return out;
  }

  std::vector<std::string> skipped(const std::string& eventId) {
    auto s = skipsOf(getEvent(*d, eventId));
    std::sort(s.begin(), s.end());
    return s;
  }

  TestDatabase db;
  Receiver big, small, eu, slim, spin, pushes;
  std::unique_ptr<DispatchProcess> d;
};

using RouterFilter = FilterFixture;

TEST_F(RouterFilter, FanOutReachesOnlyTheLinksWhoseFiltersHold) {
  const std::string large =
      R"({"type":"order.created","amount":1500,"currency":"usd","items":[{"sku":"A-1"}],)"
      R"("customer":{"tier":"gold"}})";
  std::string a = post("orders", large);
  ASSERT_TRUE(big.waitFor(1, 5000));
  ASSERT_TRUE(slim.waitFor(1, 5000));
  EXPECT_EQ(big.requests()[0].body, large);
  EXPECT_EQ(big.requests()[0].header("webhook-id"), a);
  EXPECT_EQ(deliveredTo(a), (std::vector<std::string>{"big", "slim"}));
  EXPECT_EQ(skipped(a),
            (std::vector<std::string>{"eu=filter did not match", "small=filter did not match",
                                      "spin=filter did not match"}));

  const std::string eur =
      R"({"type":"order.created","amount":250,"currency":"eur","items":[{"sku":"a-1"}],)"
      R"("customer":{"tier":"silver"}})";
  std::string b = post("orders", eur);
  ASSERT_TRUE(small.waitFor(1, 5000));
  ASSERT_TRUE(eu.waitFor(1, 5000));
  EXPECT_EQ(small.requests()[0].header("webhook-id"), b);
  EXPECT_EQ(eu.requests()[0].body, eur);
  EXPECT_EQ(deliveredTo(b), (std::vector<std::string>{"eu", "small"}));
  EXPECT_EQ(skipped(b),
            (std::vector<std::string>{"big=filter did not match", "slim=filter did not match",
                                      "spin=filter did not match"}));

  // A large amount whose first item's sku does not match the regex: both entries must hold.
  std::string c = post("orders", R"({"amount":5000,"items":[{"sku":"lower-1"}]})");
  EXPECT_EQ(deliveredTo(c), (std::vector<std::string>{}));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(big.count(), 1u);
  EXPECT_EQ(small.count(), 1u);
  EXPECT_EQ(eu.count(), 1u);
  EXPECT_EQ(spin.count(), 0u);
}

TEST_F(RouterFilter, FiltersSeeTheEventAsReceivedAndATurnedAwayLinkRunsNoTransform) {
  std::string id = post("orders", R"({"amount":-5,"customer":{"tier":"platinum"}})");
  // The filter read customer.tier from the body as received; the transform reshaped it after.
  ASSERT_TRUE(slim.waitFor(1, 5000));
  EXPECT_EQ(slim.requests()[0].body, R"({"tier":"platinum"})");
  // The spinning transform's link matched (amount < 0): its delivery is DEAD with the error.
  std::string spun = deliveryTo(*d, id, "spin");
  ASSERT_FALSE(spun.empty()) << getEvent(*d, id).body;
  EXPECT_EQ(deliveryStatus(*d, spun), "DEAD");
  // Where its filter does not hold, the transform never runs: a skip, no DEAD delivery, and
  // the request is not held by the loop.
  auto t0 = std::chrono::steady_clock::now();
  std::string other = post("orders", R"({"amount":5,"customer":{"tier":"gold"}})");
  EXPECT_LT(msSince(t0), 1000);
  EXPECT_EQ(deliveryTo(*d, other, "spin"), "");
  auto skips = skipped(other);
  EXPECT_NE(std::find(skips.begin(), skips.end(), "spin=filter did not match"), skips.end());
}

TEST_F(RouterFilter, HeaderFilters) {
  std::string push = post("gh", R"({"ref":"refs/heads/main"})", {{"X-GitHub-Event", "push"}});
  ASSERT_TRUE(pushes.waitFor(1, 5000));
  EXPECT_EQ(pushes.requests()[0].header("webhook-id"), push);

  std::string issue = post("gh", "{}", {{"X-GitHub-Event", "issues"}});
  std::string org = post(
      "gh", "{}",
      {{"X-GitHub-Event", "push"}, {"X-GitHub-Hook-Installation-Target-Type", "organization"}});
  EXPECT_EQ(skipped(issue), (std::vector<std::string>{"pushes=filter did not match"}));
  EXPECT_EQ(skipped(org), (std::vector<std::string>{"pushes=filter did not match"}));
  // A header filter applies whatever the body: not JSON here.
  std::string text = post("gh", "payload=%7B%7D", {{"X-GitHub-Event", "push"}});
  ASSERT_TRUE(pushes.waitFor(2, 5000));
  EXPECT_EQ(pushes.requests()[1].header("webhook-id"), text);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(pushes.count(), 2u);
}

TEST_F(RouterFilter, ADestinationFilterAppliesToEveryLinkToIt) {
  std::string usd = post("refunds", R"({"type":"refund","currency":"usd"})");
  std::string eur = post("refunds", R"({"type":"refund","currency":"eur"})");
  ASSERT_TRUE(eu.waitFor(1, 5000));
  EXPECT_EQ(eu.requests()[0].header("webhook-id"), eur);
  EXPECT_EQ(skipped(usd), (std::vector<std::string>{"eu=filter did not match"}));
  EXPECT_EQ(skipped(eur), (std::vector<std::string>{}));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(eu.count(), 1u);
}

TEST_F(RouterFilter, ABodyThatIsNotJsonMatchesNoBodyCondition) {
  std::string id = post("orders", "amount=5000&currency=eur");
  EXPECT_EQ(deliveredTo(id), (std::vector<std::string>{}));
  EXPECT_EQ(skipped(id).size(), 5u) << getEvent(*d, id).body;
  // The event itself is stored as received.
  EXPECT_EQ(str(getEvent(*d, id).data(), "body"), "amount=5000&currency=eur");
}

TEST(RouterFilterConfig, ABadRegexIsAConfigErrorWithFileLineColumn) {
  TestDatabase db;
  Receiver recv;
  auto projectsWith = [&](const std::string& pattern) {
    return "projects:\n"
           "  - name: alpha\n"
           "    signing_secret: " +
           std::string(kAlphaSecret) + "\n    sources:\n" + source("src", "{ header: X-Event }") +
           "    destinations:\n" + dest("out", recv.url()) +
           "    links:\n"
           "      - source: src\n"
           "        destination: out\n"
           "        filter:\n"
           "          body:\n"
           "            ref: { $regex: '" +
           pattern + "' }\n";
  };
  const std::string bad = "^refs/(heads|tags/";
  // Where the pattern's quote stands in the written file: line and column, 1-based.
  auto positionIn = [](const std::string& text, const std::string& needle) {
    const size_t at = text.find(needle);
    const size_t lineStart = text.rfind('\n', at) + 1;
    const size_t line = static_cast<size_t>(std::count(text.begin(), text.begin() + at, '\n')) + 1;
    return std::to_string(line) + ":" + std::to_string(at - lineStart + 1);
  };

  {
    DispatchOptions o;
    o.projectsYaml = projectsWith(bad);
    DispatchProcess d(db, o);
    const std::string where =
        d.configPath() + ":" + positionIn(readText(d.configPath()), "'" + bad + "'") +
        ": projects[0].links[0].filter.body.ref.$regex: invalid regular expression: missing ): " +
        bad;
    auto cli = runCli({"check-config", "--config", d.configPath()}, {{"DATABASE_URL", db.url()}});
    EXPECT_EQ(cli.exitCode, 1) << cli.out;
    EXPECT_NE(cli.out.find(where), std::string::npos) << where << "\n" << cli.out;
    EXPECT_FALSE(d.start(8000)) << d.log();
    EXPECT_NE(d.log().find("filter.body.ref.$regex: invalid regular expression"), std::string::npos)
        << d.log();
  }
  // A running server refuses a reload to it and keeps the filter it has.
  {
    DispatchOptions o;
    o.projectsYaml = projectsWith("^refs/heads/");
    DispatchProcess d(db, o);
    ASSERT_TRUE(d.start()) << d.log();
    rewriteProjects(d, projectsWith(bad));
    auto r = reloadNow(d);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.message().find("invalid regular expression"), std::string::npos) << r.body;
    std::string tag = accepted(postHook(d, "src", R"({"ref":"refs/tags/v1"})"));
    std::string head = accepted(postHook(d, "src", R"({"ref":"refs/heads/main"})"));
    ASSERT_TRUE(recv.waitFor(1, 5000));
    EXPECT_EQ(recv.requests()[0].header("webhook-id"), head);
    EXPECT_EQ(skipsOf(getEvent(d, tag)), (std::vector<std::string>{"out=filter did not match"}));
  }
}

}  // namespace
}  // namespace dispatch::test
