// The file plugin: its JSON line (whose recorded signature verifies over its body), concurrent
// appends from many threads, and write failures.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "core/util/json.h"
#include "core/util/time.h"
#include "plugins/file/file_line.h"
#include "tests/unit/plugin/plugin_test_util.h"

namespace dispatch::plugin {
namespace {

using testing::attempt;
using testing::createBuiltin;
using testing::destinationConfig;
using testing::RecordingSender;
using testing::sampleDelivery;
using testing::signatureVerifies;
using testing::TempDir;

std::vector<std::string> readLines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::unique_ptr<Destination> createFile(const std::string& dir, const std::string& path) {
  RecordingSender unused;
  std::string error;
  auto d = createBuiltin(destinationConfig("file", "", {{"path", path}}), unused, &error, dir);
  EXPECT_NE(d, nullptr) << error;
  return d;
}

TEST(PluginFileTest, LineIsOneJsonObject) {
  Delivery d = sampleDelivery("{\"a\": 1}\nline two \xFF");
  d.headers.emplace_back("webhook-signature", "v1,abc=");
  const std::string line = plugins::fileLine(d, 1614265330123);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
  Result<json::Value> v = json::parse(line);
  ASSERT_TRUE(v.isOk()) << v.status().message();
  std::vector<std::string> keys;
  for (const auto& [k, value] : v->members()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"id", "eventId", "destination", "eventType", "headers",
                                            "body", "deliveredAt"}));
  EXPECT_EQ(v->find("id")->asString(), "dlv_1");
  EXPECT_EQ(v->find("eventId")->asString(), "evt_1");
  EXPECT_EQ(v->find("destination")->asString(), "ops-chat");
  EXPECT_EQ(v->find("eventType")->asString(), "issues");
  EXPECT_EQ(v->find("body")->asString(), "{\"a\": 1}\nline two \xEF\xBF\xBD");
  EXPECT_EQ(v->find("deliveredAt")->asString(), "2021-02-25T15:02:10.123Z");
  const json::Value* headers = v->find("headers");
  ASSERT_TRUE(headers != nullptr && headers->isObject());
  ASSERT_EQ(headers->members().size(), d.headers.size());
  EXPECT_EQ(headers->find("webhook-signature")->asString(), "v1,abc=");
}

// The line records the engine's headers, the trio included, and the trio verifies over the
// text of the line's `body` — also when the delivered body was not valid UTF-8 (the plugin
// renders the repaired text, which is what the line holds).
TEST(PluginFileTest, RecordedSignatureVerifiesOverTheLinesBody) {
  TempDir dir;
  auto dest = createFile(dir.path(), "signed.jsonl");
  ASSERT_NE(dest, nullptr);
  const std::string valid = R"({"action": "opened", "n": 1.50})";
  const std::string invalid = std::string("caf\xC3 \xFF\x00 end", 11);
  EXPECT_EQ(dest->render(sampleDelivery(valid)).body, valid);
  EXPECT_EQ(dest->render(sampleDelivery(invalid)).body,
            std::string("caf\xEF\xBF\xBD \xEF\xBF\xBD\x00 end", 15));
  ASSERT_EQ(attempt(*dest, sampleDelivery(valid)).status, 200);
  ASSERT_EQ(attempt(*dest, sampleDelivery(invalid)).status, 200);
  auto lines = readLines(dir.path() + "/signed.jsonl");
  ASSERT_EQ(lines.size(), 2u);
  for (size_t i = 0; i < lines.size(); ++i) {
    Result<json::Value> v = json::parse(lines[i]);
    ASSERT_TRUE(v.isOk()) << lines[i];
    const json::Value* h = v->find("headers");
    ASSERT_TRUE(h != nullptr && h->isObject()) << lines[i];
    std::vector<std::pair<std::string, std::string>> headers;
    for (const auto& [name, value] : h->members()) headers.emplace_back(name, value.asString());
    const std::string body = v->find("body")->asString();
    EXPECT_EQ(h->find("webhook-id")->asString(), "evt_1");
    EXPECT_EQ(h->find("X-Dispatch-Event-ID")->asString(), "evt_1");
    EXPECT_TRUE(signatureVerifies(headers, body)) << lines[i];
    EXPECT_FALSE(signatureVerifies(headers, body + "x")) << lines[i];
  }
  EXPECT_EQ(json::parse(lines[0])->find("body")->asString(), valid);
}

TEST(PluginFileTest, AppendsRelativeToBaseDir) {
  TempDir dir;
  std::filesystem::create_directory(dir.path() + "/out");
  auto dest = createFile(dir.path(), "out/deliveries.jsonl");
  ASSERT_NE(dest, nullptr);
  const TimeMs before = nowMs();
  DeliveryResult r = dest->deliver(sampleDelivery("first"));
  EXPECT_EQ(r.kind, DeliveryResult::Kind::kHttp);
  EXPECT_EQ(r.status, 200);
  dest->deliver(sampleDelivery("second"));
  auto lines = readLines(dir.path() + "/out/deliveries.jsonl");
  ASSERT_EQ(lines.size(), 2u);
  auto v = json::parse(lines[1]);
  ASSERT_TRUE(v.isOk());
  EXPECT_EQ(v->find("body")->asString(), "second");
  std::optional<TimeMs> at = parseIsoUtc(v->find("deliveredAt")->asString());
  ASSERT_TRUE(at.has_value());
  EXPECT_GE(*at, before);
  EXPECT_LE(*at, nowMs());
}

TEST(PluginFileTest, EightThreadsWriteWholeLines) {
  TempDir dir;
  // Two destinations on one file: they share its lock too.
  auto a = createFile(dir.path(), "shared.jsonl");
  auto b = createFile(dir.path(), dir.path() + "/shared.jsonl");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 250;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Destination& dest = (t % 2 == 0) ? *a : *b;
      for (int i = 0; i < kPerThread; ++i) {
        // Bodies of varied, sometimes large size, so unsynchronised writes would tear.
        Delivery d = sampleDelivery(std::to_string(t) + ":" + std::to_string(i) + ":" +
                                    std::string(static_cast<size_t>((i * 997) % 9000), 'x'));
        d.id = "dlv_" + std::to_string(t) + "_" + std::to_string(i);
        ASSERT_EQ(dest.deliver(d).status, 200);
      }
    });
  }
  for (auto& th : threads) th.join();

  auto lines = readLines(dir.path() + "/shared.jsonl");
  ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads * kPerThread));
  std::set<std::string> ids;
  for (const std::string& line : lines) {
    Result<json::Value> v = json::parse(line);
    ASSERT_TRUE(v.isOk()) << line.substr(0, 120);
    const std::string id = v->find("id")->asString();
    const std::string body = v->find("body")->asString();
    EXPECT_EQ("dlv_" + body.substr(0, body.find(':')), id.substr(0, id.rfind('_')));
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), lines.size());  // every delivery exactly once
}

TEST(PluginFileTest, WriteFailureIsRetryable) {
  TempDir dir;
  std::filesystem::create_directory(dir.path() + "/gone");
  auto dest = createFile(dir.path(), "gone/deliveries.jsonl");
  ASSERT_NE(dest, nullptr);
  std::filesystem::remove(dir.path() + "/gone");
  DeliveryResult r = dest->deliver(sampleDelivery("x"));
  EXPECT_EQ(r.kind, DeliveryResult::Kind::kNetwork);
  EXPECT_EQ(r.error, "file write failed: No such file or directory");

  std::filesystem::create_directory(dir.path() + "/gone");  // fixed: the next attempt works
  EXPECT_EQ(dest->deliver(sampleDelivery("x")).status, 200);
}

}  // namespace
}  // namespace dispatch::plugin
