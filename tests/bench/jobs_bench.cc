// Job-API benchmark: create throughput with N concurrent clients, and firing lateness for a
// burst of jobs due within one second. Talks to a running `dispatch serve` (started by
// scripts/bench) and runs its own recording receiver on 127.0.0.1.
//   jobs_bench --port P --key K [--clients 8] [--creates 20000] [--burst 1000]
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/util/json.h"
#include "core/util/time.h"

using namespace dispatch;

namespace {

struct Arrivals {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int64_t> lateness;  // arrival − fireAt, ms
  int early = 0;
};

Arrivals g_arrivals;

class RecordHandler : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
    TimeMs now = nowMs();
    std::string body;
    Poco::StreamCopier::copyToString(req.stream(), body);
    auto doc = json::parse(body);
    if (doc) {
      const json::Value* p = doc->find("payload");
      const json::Value* f = p ? p->find("fireAtMs") : nullptr;
      if (f && f->isInteger()) {
        std::lock_guard<std::mutex> g(g_arrivals.mu);
        int64_t late = now - f->asInt();
        if (late < 0) ++g_arrivals.early;
        g_arrivals.lateness.push_back(late);
        g_arrivals.cv.notify_all();
      }
    }
    resp.setContentLength(2);
    resp.send() << "ok";
  }
};

class RecordFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new RecordHandler;
  }
};

int post(Poco::Net::HTTPClientSession& s, const std::string& key, const std::string& body) {
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, "/api/v1/jobs",
                             Poco::Net::HTTPMessage::HTTP_1_1);
  req.setContentType("application/json");
  req.set("x-api-key", key);
  req.setContentLength(static_cast<std::streamsize>(body.size()));
  req.setKeepAlive(true);
  s.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = s.receiveResponse(resp);
  std::string ignored;
  Poco::StreamCopier::copyToString(in, ignored);
  return resp.getStatus();
}

std::string jobJson(const std::string& url, TimeMs fireAt, int i) {
  return R"({"title":"bench )" + std::to_string(i) + R"(","webhookUrl":")" + url +
         R"(","fireAt":")" + formatIsoUtc(fireAt) + R"(","payload":{"fireAtMs":)" +
         std::to_string(fireAt) + R"(,"i":)" + std::to_string(i) + "}}";
}

// Creates `total` jobs with `clients` threads; returns jobs/s.
double createPhase(int port, const std::string& key, const std::string& url, int clients,
                   int total, TimeMs fireBase, int spreadMs, int* failures) {
  std::atomic<int> next{0};
  std::atomic<int> failed{0};
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> ts;
  for (int c = 0; c < clients; ++c) {
    ts.emplace_back([&] {
      Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
      s.setKeepAlive(true);
      while (true) {
        int i = next.fetch_add(1);
        if (i >= total) break;
        TimeMs at = fireBase + (spreadMs > 0 ? (static_cast<int64_t>(i) * spreadMs) / total : 0);
        try {
          int st = post(s, key, jobJson(url, at, i));
          if (st != 201) {
            if (failed.fetch_add(1) < 3) std::fprintf(stderr, "create answered %d\n", st);
          }
        } catch (const std::exception& e) {
          if (failed.fetch_add(1) < 3) std::fprintf(stderr, "create failed: %s\n", e.what());
          s.reset();
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  *failures = failed.load();
  return total / secs;
}

int64_t pct(std::vector<int64_t> v, double p) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  size_t idx = static_cast<size_t>(p * (v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0, clients = 8, creates = 20000, burst = 1000;
  std::string key;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--port") port = std::atoi(argv[i + 1]);
    else if (a == "--key") key = argv[i + 1];
    else if (a == "--clients") clients = std::atoi(argv[i + 1]);
    else if (a == "--creates") creates = std::atoi(argv[i + 1]);
    else if (a == "--burst") burst = std::atoi(argv[i + 1]);
  }
  if (port == 0 || key.empty()) {
    std::fprintf(stderr, "usage: jobs_bench --port P --key K [--clients N] [--creates N] [--burst N]\n");
    return 2;
  }
  Poco::ThreadPool pool(4, 64);
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(64);
  Poco::Net::ServerSocket sock(Poco::Net::SocketAddress("127.0.0.1", 0), 1024);
  Poco::Net::HTTPServer server(new RecordFactory, pool, sock, params);
  server.start();
  std::string url = "http://127.0.0.1:" + std::to_string(sock.address().port()) + "/r";

  // 1. Create throughput: jobs due in an hour, so firing does not compete.
  int failures = 0;
  double rate = createPhase(port, key, url, clients, creates, nowMs() + 3'600'000, 0, &failures);
  std::printf("create_throughput_jobs_per_s %.0f\n", rate);
  std::printf("create_failures %d\n", failures);

  // 2. Lateness: `burst` jobs due within one second, 4 s from now.
  TimeMs base = nowMs() + 4000;
  base = base - base % 1000 + 1000;
  double burstRate = createPhase(port, key, url, clients, burst, base, 1000, &failures);
  std::printf("burst_create_jobs_per_s %.0f (failures %d)\n", burstRate, failures);
  {
    std::unique_lock<std::mutex> lock(g_arrivals.mu);
    g_arrivals.cv.wait_until(lock, std::chrono::steady_clock::now() + std::chrono::seconds(30),
                             [&] { return static_cast<int>(g_arrivals.lateness.size()) >= burst; });
  }
  std::vector<int64_t> late;
  int early;
  {
    std::lock_guard<std::mutex> g(g_arrivals.mu);
    late = g_arrivals.lateness;
    early = g_arrivals.early;
  }
  std::printf("burst_received %zu of %d\n", late.size(), burst);
  std::printf("lateness_ms_p50 %lld\n", static_cast<long long>(pct(late, 0.50)));
  std::printf("lateness_ms_p99 %lld\n", static_cast<long long>(pct(late, 0.99)));
  std::printf("lateness_ms_max %lld\n", static_cast<long long>(pct(late, 1.0)));
  std::printf("early %d\n", early);
  server.stopAll(true);
  return late.size() == static_cast<size_t>(burst) ? 0 : 1;
}
