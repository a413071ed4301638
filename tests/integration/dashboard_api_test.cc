// The dashboard's server side (issue 13): its files at /ui/ from the binary with their security
// headers, `/` redirecting there, ETags and 304s on GETs, and the API it needs that the rest of
// the API lacked: who is calling (/api/v1/me), their projects and their sources.
#include <gtest/gtest.h>

#include <memory>

#include "tests/integration/router_util.h"

namespace dispatch::test {
namespace {

using namespace router;

constexpr const char* kSecretMarker = "src-secret-marker-4b1e";
constexpr const char* kUrlMarker = "dest-url-marker-0c9d";

std::string header(const ApiResponse& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? "<none>" : it->second;
}

class Dashboard : public ::testing::Test {
 protected:
  void SetUp() override {
    DispatchOptions o;
    o.projectsYaml =
        "projects:\n  - name: alpha\n    signing_secret: " + std::string(kAlphaSecret) +
        "\n    sources:\n"
        "      - slug: gh\n        verify: { preset: github, secret: " +
        kSecretMarker +
        " }\n        event_type: { header: X-GitHub-Event }\n"
        "        idempotency_header: X-GitHub-Delivery\n"
        "      - slug: plain\n        verify: { preset: none }\n        allow_unsigned: true\n"
        "        event_type: { path: kind }\n"
        "    destinations:\n"
        "      - name: ci\n        type: webhook\n        url: " +
        rx.url(std::string("/") + kUrlMarker) +
        "\n    links:\n"
        "      - source: gh\n        destination: ci\n        events: [push]\n"
        "        filter: { body: { ref: { $eq: refs/heads/main } } }\n"
        "        lua: |\n          function transform(event) return event end\n"
        "      - { source: plain, destination: ci }\n"
        "  - name: beta\n    signing_secret: " +
        std::string(kAlphaSecret) +
        "\n    sources:\n"
        "      - slug: b-src\n        verify: { preset: none }\n        allow_unsigned: true\n"
        "    destinations:\n      - name: b-dest\n        type: webhook\n        url: " +
        rx.url("/b") + "\n    links:\n      - { source: b-src, destination: b-dest }\n";
    d = std::make_unique<DispatchProcess>(db, o);
    ASSERT_TRUE(d->start()) << d->log();
    alphaKey = d->createKey("alpha");
  }

  TestDatabase db;
  Receiver rx;
  std::unique_ptr<DispatchProcess> d;
  std::string alphaKey;
};

TEST_F(Dashboard, RootRedirectsAndPagesComeFromTheBinaryWithStrictHeaders) {
  ApiResponse root = d->call("GET", "/");
  EXPECT_EQ(root.status, 302);
  EXPECT_EQ(header(root, "location"), "/ui/");
  ApiResponse bare = d->call("GET", "/ui");
  EXPECT_EQ(bare.status, 302);
  EXPECT_EQ(header(bare, "location"), "/ui/");

  ApiResponse page = d->call("GET", "/ui/");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(header(page, "content-type"), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<html"), std::string::npos);
  EXPECT_EQ(d->call("GET", "/ui/index.html").body, page.body);
  const std::string csp = header(page, "content-security-policy");
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("http"), std::string::npos) << csp;  // no remote origin
  EXPECT_EQ(header(page, "x-frame-options"), "DENY");
  EXPECT_EQ(header(page, "referrer-policy"), "no-referrer");
  EXPECT_EQ(header(page, "x-content-type-options"), "nosniff");
  EXPECT_EQ(header(page, "cache-control"), "no-cache");

  // Unknown files are 404s, with the headers too; no path escapes the embedded set.
  for (const char* p : {"/ui/nope.js", "/ui/../CMakeLists.txt", "/ui/%2e%2e/README.md"}) {
    ApiResponse r = d->call("GET", p);
    EXPECT_EQ(r.status, 404) << p << " " << r.body;
    EXPECT_EQ(header(r, "x-frame-options"), "DENY") << p;
  }
  EXPECT_EQ(d->call("POST", "/ui/", "{}", {{"Content-Type", "application/json"}}).status, 405);
}

TEST_F(Dashboard, GetsCarryAnEtagAndAnUnchangedAnswerIsA304) {
  ApiResponse page = d->call("GET", "/ui/");
  const std::string pageTag = header(page, "etag");
  ASSERT_EQ(pageTag.size(), 34u) << pageTag;  // a quoted 32-hex-digit tag
  ApiResponse again = d->call("GET", "/ui/", "", {{"If-None-Match", pageTag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(header(again, "etag"), pageTag);

  auto jobs = [&](const std::string& tag) {
    std::map<std::string, std::string> h = withKey(alphaKey);
    if (!tag.empty()) h["If-None-Match"] = tag;
    return d->call("GET", "/api/v1/jobs", "", h);
  };
  ApiResponse first = jobs("");
  ASSERT_TRUE(isOk(first, 200, "Jobs fetched successfully")) << first.body;
  const std::string tag = header(first, "etag");
  EXPECT_EQ(header(first, "cache-control"), "no-store");
  EXPECT_EQ(jobs(tag).status, 304);
  EXPECT_EQ(jobs("\"other\", W/" + tag).status, 304);  // a list; weak tags match too
  EXPECT_EQ(jobs("\"other\"").status, 200);

  // A change on the server changes the tag: the poller sees it.
  ApiResponse created =
      d->call("POST", "/api/v1/jobs", jobRequest(rx.url("/j"), formatIsoUtc(nowMs() + 3'600'000)),
              withKey(alphaKey));
  ASSERT_EQ(created.status, 201) << created.body;
  ApiResponse changed = jobs(tag);
  EXPECT_EQ(changed.status, 200);
  EXPECT_NE(header(changed, "etag"), tag);

  // Errors and writes carry none.
  EXPECT_EQ(header(d->call("GET", "/api/v1/jobs", "", withKey("sk_bad")), "etag"), "<none>");
  EXPECT_EQ(header(created, "etag"), "<none>");
}

TEST_F(Dashboard, MeSaysWhoIsCalling) {
  ApiResponse key = d->call("GET", "/api/v1/me", "", withKey(alphaKey));
  ASSERT_TRUE(isOk(key, 200, "Caller fetched successfully")) << key.body;
  EXPECT_EQ(key.data()->find("admin")->raw(), "false");
  EXPECT_EQ(str(key.data()->find("project"), "name"), "alpha");
  EXPECT_TRUE(isUuidText(str(key.data()->find("project"), "id"))) << key.body;

  ApiResponse admin = d->call("GET", "/api/v1/me", "", asAdmin());
  ASSERT_TRUE(isOk(admin, 200, "Caller fetched successfully")) << admin.body;
  EXPECT_EQ(admin.data()->find("admin")->raw(), "true");
  EXPECT_TRUE(isNullField(admin.data(), "project"));

  EXPECT_EQ(d->call("GET", "/api/v1/me").status, 401);
  ApiResponse wrong =
      d->call("GET", "/api/v1/me", "", {{"Authorization", "Bearer not-the-admin-token"}});
  EXPECT_EQ(wrong.status, 401) << wrong.body;
}

TEST_F(Dashboard, ProjectsAreTheCallersOwnOrEveryOneForTheAdmin) {
  ApiResponse key = d->call("GET", "/api/v1/projects", "", withKey(alphaKey));
  ASSERT_TRUE(isOk(key, 200, "Projects fetched successfully")) << key.body;
  ASSERT_EQ(key.data()->items().size(), 1u) << key.body;
  EXPECT_EQ(str(&key.data()->items()[0], "name"), "alpha");

  ApiResponse admin = d->call("GET", "/api/v1/projects", "", asAdmin());
  ASSERT_TRUE(isOk(admin, 200, "Projects fetched successfully")) << admin.body;
  ASSERT_EQ(admin.data()->items().size(), 2u) << admin.body;
  EXPECT_EQ(str(&admin.data()->items()[0], "name"), "alpha");
  EXPECT_EQ(str(&admin.data()->items()[1], "name"), "beta");
  EXPECT_EQ(keysOf(&admin.data()->items()[1]), (std::set<std::string>{"id", "name"}));
}

TEST_F(Dashboard, SourcesShowTheirRulesAndLinksButNoSecret) {
  ApiResponse r = d->call("GET", "/api/v1/sources", "", withKey(alphaKey));
  ASSERT_TRUE(isOk(r, 200, "Sources fetched successfully")) << r.body;
  EXPECT_EQ(r.body.find(kSecretMarker), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find(kUrlMarker), std::string::npos) << r.body;
  ASSERT_EQ(r.data()->items().size(), 2u) << r.body;  // alpha's only, in config order
  const json::Value& gh = r.data()->items()[0];
  EXPECT_EQ(keysOf(&gh),
            (std::set<std::string>{"slug", "project", "path", "preset", "allowUnsigned",
                                   "eventType", "idempotencyHeader", "links"}));
  EXPECT_EQ(str(&gh, "slug"), "gh");
  EXPECT_EQ(str(&gh, "path"), "/hooks/gh");
  EXPECT_EQ(str(&gh, "preset"), "github");
  EXPECT_EQ(str(gh.find("project"), "name"), "alpha");
  EXPECT_EQ(gh.find("allowUnsigned")->raw(), "false");
  EXPECT_EQ(str(gh.find("eventType"), "header"), "X-GitHub-Event");
  EXPECT_EQ(str(&gh, "idempotencyHeader"), "X-GitHub-Delivery");
  ASSERT_EQ(gh.find("links")->items().size(), 1u);
  const json::Value& link = gh.find("links")->items()[0];
  EXPECT_EQ(str(&link, "destination"), "ci");
  EXPECT_EQ(link.find("events")->items()[0].asString(), "push");
  EXPECT_EQ(link.find("filtered")->raw(), "true");
  EXPECT_EQ(str(link.find("transform"), "lua"), "function transform(event) return event end\n");

  const json::Value& plain = r.data()->items()[1];
  EXPECT_EQ(str(plain.find("eventType"), "path"), "kind");
  EXPECT_TRUE(isNullField(&plain, "idempotencyHeader"));
  const json::Value& plainLink = plain.find("links")->items()[0];
  EXPECT_EQ(plainLink.find("filtered")->raw(), "false");
  EXPECT_TRUE(isNullField(&plainLink, "transform"));

  // The admin sees every project's, narrows by name or id, and an unknown project is a 404.
  ApiResponse all = d->call("GET", "/api/v1/sources", "", asAdmin());
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.data()->items().size(), 3u) << all.body;
  ApiResponse beta = d->call("GET", "/api/v1/sources?project=beta", "", asAdmin());
  ASSERT_EQ(beta.data()->items().size(), 1u) << beta.body;
  EXPECT_EQ(str(&beta.data()->items()[0], "slug"), "b-src");
  const std::string betaId = str(beta.data()->items()[0].find("project"), "id");
  EXPECT_EQ(
      d->call("GET", "/api/v1/sources?project=" + betaId, "", asAdmin()).data()->items().size(),
      1u);
  EXPECT_TRUE(isError(d->call("GET", "/api/v1/sources?project=gamma", "", asAdmin()), 404,
                      "Project not found"));
  // A key never sees another project's, whatever it asks for.
  ApiResponse narrowed = d->call("GET", "/api/v1/sources?project=beta", "", withKey(alphaKey));
  ASSERT_EQ(narrowed.status, 200);
  EXPECT_EQ(narrowed.body.find("b-src"), std::string::npos) << narrowed.body;
}

}  // namespace
}  // namespace dispatch::test
