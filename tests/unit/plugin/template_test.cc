// Template compilation and rendering: placeholders, body dot-paths, edge cases.
#include "core/plugin/template.h"

#include <gtest/gtest.h>

namespace dispatch::plugin {
namespace {

constexpr std::string_view kBody =
    R"({"action":"opened","n":42,"big":12345678901234567890,"ok":true,"none":null,)"
    R"("issue":{"title":"Crash \"on\" start\n","labels":["bug","p1"]},)"
    R"("items":[{"x":"first"},{"x":"second"}],"0":"zero-key","a.b":"dotted"})";

TemplateContext context(std::string_view body = kBody) {
  return TemplateContext{"github", "issues", "evt_123", "ops-chat", body};
}

std::string render(std::string_view text, std::string_view body = kBody) {
  std::string error;
  std::optional<Template> t = Template::compile(text, &error);
  EXPECT_TRUE(t.has_value()) << text << ": " << error;
  return t ? t->render(context(body)) : "<compile error>";
}

std::string compileError(std::string_view text) {
  std::string error;
  EXPECT_FALSE(Template::compile(text, &error).has_value()) << text;
  return error;
}

TEST(PluginTemplateTest, DeliveryFields) {
  EXPECT_EQ(render("{{source}} sent {{type}} ({{id}}) to {{destination}}"),
            "github sent issues (evt_123) to ops-chat");
  EXPECT_EQ(render("{{ source }}|{{\ttype }}"), "github|issues");
  EXPECT_EQ(render("no placeholders"), "no placeholders");
  EXPECT_EQ(render(""), "");
}

TEST(PluginTemplateTest, WholeBody) {
  EXPECT_EQ(render("{{body}}", "not json at all"), "not json at all");
  EXPECT_EQ(render("[{{body}}]", R"({"a": 1})"), R"([{"a": 1}])");
}

TEST(PluginTemplateTest, BodyPaths) {
  EXPECT_EQ(render("{{body.action}}"), "opened");                     // strings unquoted
  EXPECT_EQ(render("{{body.issue.title}}"), "Crash \"on\" start\n");  // decoded
  EXPECT_EQ(render("{{body.n}}/{{body.ok}}"), "42/true");             // source text
  EXPECT_EQ(render("{{body.big}}"), "12345678901234567890");          // numbers stay exact
  EXPECT_EQ(render("{{body.issue.labels}}"), R"(["bug","p1"])");      // raw JSON
  EXPECT_EQ(render("{{body.issue.labels.1}}"), "p1");
  EXPECT_EQ(render("{{body.items.0.x}},{{body.items.1.x}}"), "first,second");
  EXPECT_EQ(render("{{body.0}}"), "zero-key");  // on an object, 0 is a key
}

TEST(PluginTemplateTest, MissingAndNullAreEmpty) {
  EXPECT_EQ(render("[{{body.missing}}]"), "[]");
  EXPECT_EQ(render("[{{body.none}}]"), "[]");
  EXPECT_EQ(render("[{{body.items.2.x}}]"), "[]");      // index out of range
  EXPECT_EQ(render("[{{body.items.01.x}}]"), "[]");     // not a canonical index
  EXPECT_EQ(render("[{{body.action.deeper}}]"), "[]");  // through a string
  EXPECT_EQ(render("[{{body.a.b}}]"), "[]");            // dots always split
}

TEST(PluginTemplateTest, BodyPathsOnNonJsonBodyAreEmpty) {
  EXPECT_EQ(render("{{type}}: [{{body.action}}]", "action=opened"), "issues: []");
  EXPECT_EQ(render("[{{body.action}}]", ""), "[]");
  EXPECT_EQ(render("[{{body.action}}] {{body}}", R"({"action":)"), R"([] {"action":)");
}

TEST(PluginTemplateTest, BracesThatAreText) {
  EXPECT_EQ(render("{\"a\": {{body.n}}}"), "{\"a\": 42}");
  EXPECT_EQ(render("{{{source}}}"), "{github}");
  EXPECT_EQ(render("a } b }} c { d"), "a } b }} c { d");
  EXPECT_EQ(render("{{{{type}}"), "{{issues");
}

TEST(PluginTemplateTest, CompileErrors) {
  EXPECT_EQ(compileError("hello {{source"), "unclosed '{{' at offset 6");
  EXPECT_EQ(compileError("{{}}"), "empty placeholder {{}} at offset 0");
  EXPECT_EQ(compileError("{{  }}"), "empty placeholder {{}} at offset 0");
  EXPECT_EQ(compileError("{{event}}"),
            "unknown placeholder {{event}} (known: source, type, id, destination, body, "
            "body.<path>)");
  EXPECT_NE(compileError("{{Source}}").find("unknown placeholder"), std::string::npos);
  EXPECT_NE(compileError("{{payload.x}}").find("unknown placeholder"), std::string::npos);
  EXPECT_EQ(compileError("{{body.}}"), "placeholder {{body.}} has an empty path step");
  EXPECT_EQ(compileError("{{body..a}}"), "placeholder {{body..a}} has an empty path step");
  EXPECT_EQ(compileError("{{body.a.}}"), "placeholder {{body.a.}} has an empty path step");
}

TEST(PluginTemplateTest, FilterAppliesToValuesOnly) {
  std::string error;
  auto t = Template::compile("<b>{{body.action}}</b> {{source}}", &error);
  ASSERT_TRUE(t) << error;
  auto upper = [](std::string_view v) {
    std::string s(v);
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
  };
  EXPECT_EQ(t->render(context(), +upper), "<b>OPENED</b> GITHUB");
}

TEST(PluginTemplateTest, ContextFromDelivery) {
  Delivery d;
  d.id = "dlv_9";
  d.eventId = "evt_9";
  d.source = "billing";
  d.eventType = "invoice.paid";
  d.destination = "ops";
  d.body = R"({"amount":5})";
  std::string error;
  auto t = Template::compile("{{id}} {{source}} {{type}} {{destination}} {{body.amount}}", &error);
  ASSERT_TRUE(t) << error;
  EXPECT_EQ(t->render(templateContext(d)), "evt_9 billing invoice.paid ops 5");
}

}  // namespace
}  // namespace dispatch::plugin
