// Ingest benchmark: end-to-end latency (POST /hooks/{slug} → arrival at a receiver) at a
// fixed request rate. Each request is a signed ~1 KB JSON body (preset hmac) carrying its
// send time; the receiver on 127.0.0.1 records arrival − send. Throughput is measured by
// scripts/bench with wrk; this tool measures latency under a steady load.
//   ingest_bench --port P --slug S --secret K --rate R --seconds N --receiver-port RP [--senders N]
//                [--window W]
// Senders are closed-loop (one request in flight each): when requests take longer than
// senders/rate seconds the schedule slips, so the tool also reports how late requests left
// (send_lag) and the rate actually sent; latencies are measured from the real send time.
// With --window W it also prints one line per W seconds of send time (requests accepted,
// deliveries that arrived, their latency percentiles), so a long run shows whether the rate
// and the latency hold.
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
#include <cstdio>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/util/crypto.h"
#include "core/util/json.h"
#include "tests/bench/bench_util.h"

using bench::nowUs;
using bench::pctMs;

namespace {

// One arrival: when its request was sent and how long it took to arrive (wall clock, µs).
struct Arrival {
  int64_t sentUs;
  int64_t latencyUs;
};

std::mutex g_mu;
std::vector<Arrival> g_arrivals;
std::set<std::string> g_seen;

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    int64_t at = nowUs();
    std::string body;
    Poco::StreamCopier::copyToString(req.stream(), body);
    auto doc = dispatch::json::parse(body);
    if (doc) {
      const dispatch::json::Value* s = doc->find("sentUs");
      if (s && s->isInteger()) {
        std::lock_guard<std::mutex> g(g_mu);
        if (g_seen.insert(req.get("webhook-id", "")).second) {
          g_arrivals.push_back({s->asInt(), at - s->asInt()});
        }
      }
    }
    resp.setContentLength(2);
    resp.send() << "ok";
  }
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler;
  }
};

std::string makeBody(int64_t sentUs, int i) {
  std::string pad(900, 'x');
  return "{\"sentUs\":" + std::to_string(sentUs) + ",\"i\":" + std::to_string(i) +
         ",\"type\":\"bench.event\",\"pad\":\"" + pad + "\"}";
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0, rate = 500, seconds = 10, receiverPort = 0, senders = 8, receiveOnly = 0;
  int window = 0;
  std::string slug, secret;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--port")
      port = std::atoi(argv[i + 1]);
    else if (a == "--slug")
      slug = argv[i + 1];
    else if (a == "--secret")
      secret = argv[i + 1];
    else if (a == "--rate")
      rate = std::atoi(argv[i + 1]);
    else if (a == "--seconds")
      seconds = std::atoi(argv[i + 1]);
    else if (a == "--receiver-port")
      receiverPort = std::atoi(argv[i + 1]);
    else if (a == "--receive-only")
      receiveOnly = std::atoi(argv[i + 1]);
    else if (a == "--senders")
      senders = std::max(1, std::atoi(argv[i + 1]));
    else if (a == "--window")
      window = std::max(0, std::atoi(argv[i + 1]));
  }
  if (receiveOnly > 0 && receiverPort > 0) {
    // Only a 200-answering sink for `receiveOnly` seconds (throughput runs).
    Poco::ThreadPool pool(4, 64);
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(64);
    Poco::Net::ServerSocket sock(
        Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(receiverPort)), 1024);
    Poco::Net::HTTPServer server(new Factory, pool, sock, params);
    server.start();
    std::this_thread::sleep_for(std::chrono::seconds(receiveOnly));
    server.stopAll(true);
    return 0;
  }
  if (port == 0 || slug.empty() || secret.empty() || receiverPort == 0) {
    std::fprintf(stderr,
                 "usage: ingest_bench --port P --slug S --secret K --receiver-port RP "
                 "[--rate R] [--seconds N] [--senders N] [--window W]\n");
    return 2;
  }
  Poco::ThreadPool pool(4, 64);
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(64);
  Poco::Net::ServerSocket sock(
      Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(receiverPort)), 1024);
  Poco::Net::HTTPServer server(new Factory, pool, sock, params);
  server.start();

  // Paced senders: request i is due at start + i/rate; each sender takes the next index.
  const int total = rate * seconds;
  std::atomic<int> next{0}, accepted{0}, failed{0};
  auto start = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  const int64_t startWallUs = nowUs() + 200'000;
  std::vector<int64_t> lagUs;         // how late each request left against its schedule
  std::vector<int64_t> acceptedAtUs;  // send time of each request answered 202 (wall clock)
  std::mutex lagMu;
  std::vector<std::thread> ts;
  for (int t = 0; t < senders; ++t) {
    ts.emplace_back([&] {
      Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
      s.setKeepAlive(true);
      while (true) {
        int i = next.fetch_add(1);
        if (i >= total) break;
        auto due = start + std::chrono::microseconds(int64_t{i} * 1'000'000 / rate);
        std::this_thread::sleep_until(due);
        {
          auto lag = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::steady_clock::now() - due)
                         .count();
          std::lock_guard<std::mutex> g(lagMu);
          lagUs.push_back(lag);
        }
        int64_t sentUs = nowUs();
        std::string body = makeBody(sentUs, i);
        try {
          if (bench::postSignedHook(s, slug, secret, body) == 202) {
            accepted.fetch_add(1);
            std::lock_guard<std::mutex> g(lagMu);
            acceptedAtUs.push_back(sentUs);
          } else {
            failed.fetch_add(1);
          }
        } catch (...) {
          failed.fetch_add(1);
          s.reset();
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  double sentSecs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Wait for deliveries to drain (at most 30 s).
  for (int i = 0; i < 300; ++i) {
    {
      std::lock_guard<std::mutex> g(g_mu);
      if (static_cast<int>(g_arrivals.size()) >= accepted.load()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::vector<Arrival> arrivals;
  {
    std::lock_guard<std::mutex> g(g_mu);
    arrivals = g_arrivals;
  }
  std::vector<int64_t> lat;
  for (const auto& a : arrivals) lat.push_back(a.latencyUs);
  if (window > 0) {
    // By the window of send time: requests accepted, deliveries arrived, their latency.
    // Requests sent after the run's last second (a schedule that slipped) are counted apart,
    // not in the last window, so a run falling behind cannot look steady.
    const int n = (seconds + window - 1) / window;
    std::vector<std::vector<int64_t>> wl(static_cast<size_t>(n) + 1);
    std::vector<int> wa(static_cast<size_t>(n) + 1, 0);
    auto slot = [&](int64_t sentUs) {
      int64_t us = sentUs - startWallUs;
      if (us >= int64_t{seconds} * 1'000'000) return static_cast<size_t>(n);
      return static_cast<size_t>(std::max<int64_t>(0, us / (int64_t{window} * 1'000'000)));
    };
    for (const auto& a : arrivals) wl[slot(a.sentUs)].push_back(a.latencyUs);
    for (int64_t t : acceptedAtUs) ++wa[slot(t)];
    // A percentile of an empty window is "-" (no figure), never a number that passes a bar.
    auto pct = [](const std::vector<int64_t>& w, double p) {
      char buf[32] = "-";
      if (!w.empty()) std::snprintf(buf, sizeof buf, "%.1f", pctMs(w, p));
      return std::string(buf);
    };
    for (int k = 0; k < n; ++k) {
      int from = k * window, to = std::min(seconds, from + window);
      const auto& w = wl[static_cast<size_t>(k)];
      std::printf("window %d %d accepted_per_s %.0f delivered_per_s %.0f p50 %s p99 %s max %s\n",
                  from, to, wa[static_cast<size_t>(k)] / double(to - from),
                  static_cast<double>(w.size()) / double(to - from), pct(w, 0.50).c_str(),
                  pct(w, 0.99).c_str(), pct(w, 1.0).c_str());
    }
    std::printf("sent_after_end %d\n", wa[static_cast<size_t>(n)]);
  }
  std::printf("e2e_rate_per_s %d\n", rate);
  std::printf("e2e_sent_per_s %.0f\n", sentSecs > 0 ? total / sentSecs : 0.0);
  std::printf("send_lag_ms_p99 %.1f\n", pctMs(lagUs, 0.99));
  std::printf("e2e_accepted %d failed %d delivered %zu\n", accepted.load(), failed.load(),
              lat.size());
  std::printf("e2e_latency_ms_p50 %.1f\n", pctMs(lat, 0.50));
  std::printf("e2e_latency_ms_p99 %.1f\n", pctMs(lat, 0.99));
  std::printf("e2e_latency_ms_max %.1f\n", pctMs(lat, 1.0));
  server.stopAll(true);
  return static_cast<int>(lat.size()) == accepted.load() ? 0 : 1;
}
