// The plugin registry: duplicates and bad names refused, built-ins registered by the generated
// registerBuiltinPlugins().
#include "core/plugin/registry.h"

#include <gtest/gtest.h>

namespace dispatch::plugin {
namespace {

class NamedFactory final : public DestinationFactory {
 public:
  explicit NamedFactory(std::string name) : name_(std::move(name)) {}
  std::string name() const override { return name_; }
  std::unique_ptr<Destination> create(const ConfigView&, const Services&,
                                      std::string*) const override {
    return nullptr;
  }

 private:
  std::string name_;
};

TEST(PluginRegistryTest, AddsAndFinds) {
  NamedFactory a("alpha"), b("beta-2_x");
  Registry registry;
  ASSERT_TRUE(registry.add(b).isOk());
  ASSERT_TRUE(registry.add(a).isOk());
  EXPECT_EQ(registry.find("alpha"), &a);
  EXPECT_EQ(registry.find("beta-2_x"), &b);
  EXPECT_EQ(registry.find("gamma"), nullptr);
  EXPECT_EQ(registry.names(), (std::vector<std::string>{"alpha", "beta-2_x"}));
}

TEST(PluginRegistryTest, RefusesDuplicateName) {
  NamedFactory first("webhook"), second("webhook");
  Registry registry;
  ASSERT_TRUE(registry.add(first).isOk());
  Status s = registry.add(second);
  EXPECT_EQ(s.code(), Code::kConflict);
  EXPECT_EQ(s.message(), "destination type 'webhook' is already registered");
  EXPECT_EQ(registry.find("webhook"), &first);  // the first stays; no override
}

TEST(PluginRegistryTest, RefusesInvalidNames) {
  for (const std::string& bad :
       std::vector<std::string>{"", "Webhook", "1abc", "a b", "a.b", "é", std::string(65, 'a')}) {
    NamedFactory f(bad);
    Registry registry;
    EXPECT_EQ(registry.add(f).code(), Code::kInvalid) << "'" << bad << "'";
    EXPECT_TRUE(registry.names().empty());
  }
  EXPECT_TRUE(isValidTypeName(std::string(64, 'a')));
}

TEST(PluginRegistryTest, BuiltinsAreRegistered) {
  Registry registry;
  ASSERT_TRUE(registerBuiltinPlugins(registry).isOk());
  EXPECT_EQ(registry.names(), (std::vector<std::string>{"discord", "file", "slack", "webhook"}));
  for (const std::string& name : registry.names()) {
    ASSERT_NE(registry.find(name), nullptr);
    EXPECT_EQ(registry.find(name)->name(), name);
  }
}

TEST(PluginRegistryTest, BuiltinsTwiceIsAConflict) {
  Registry registry;
  ASSERT_TRUE(registerBuiltinPlugins(registry).isOk());
  Status s = registerBuiltinPlugins(registry);
  EXPECT_EQ(s.code(), Code::kConflict);
  EXPECT_NE(s.message().find("already registered"), std::string::npos);
}

TEST(PluginRegistryTest, BuiltinNameTakenFirstIsAConflict) {
  NamedFactory impostor("slack");
  Registry registry;
  ASSERT_TRUE(registry.add(impostor).isOk());
  EXPECT_EQ(registerBuiltinPlugins(registry).message(),
            "destination type 'slack' is already registered");
  EXPECT_EQ(registry.find("slack"), &impostor);
}

}  // namespace
}  // namespace dispatch::plugin
