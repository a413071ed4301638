// Slow-receivers benchmark for scripts/bench: does a slow destination hold up the fast ones?
// Sends signed ~1 KB events (preset hmac) to POST /hooks/{slug} at a steady rate; the source
// is linked to `dests` webhook destinations whose URLs are http://127.0.0.1:<port>/d/<k>:
// k < slow-dests on --slow-port, the others on --fast-port. This tool serves both ports.
// Two phases with the same load and the same Dispatch:
//   baseline: the slow port answers at once too (every destination is fast);
//   slow:     the slow port answers after --slow-ms (5 s).
// For each phase it counts the deliveries to the always-fast destinations (k >= slow-dests)
// of that phase's events that arrived by the end of the phase + 1 s, per second of the
// phase, and their latency (arrival − send).
//   slow_bench --port P --slug S --secret K --fast-port FP --slow-port SP [--dests 20]
//              [--slow-dests 2] [--rate 50] [--seconds 15] [--slow-ms 5000]
// Output: `key value` lines.
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
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/util/crypto.h"
#include "tests/bench/bench_util.h"

using bench::intField;
using bench::nowUs;
using bench::pctMs;

namespace {

int g_slowDests = 2;
std::atomic<bool> g_slowOn{false};
std::atomic<bool> g_stopping{false};
int g_slowMs = 5000;

struct Arrival {
  int phase;
  int dest;
  int64_t sentUs;
  int64_t atUs;
};
std::mutex g_mu;
std::vector<Arrival> g_arrivals;
std::atomic<int> g_slowAnswered{0};

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(bool slowPort) : slowPort_(slowPort) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    int64_t at = nowUs();
    std::string body;
    Poco::StreamCopier::copyToString(req.stream(), body);
    const std::string& uri = req.getURI();
    int dest = uri.rfind("/d/", 0) == 0 ? std::atoi(uri.c_str() + 3) : -1;
    {
      std::lock_guard<std::mutex> g(g_mu);
      g_arrivals.push_back(
          {static_cast<int>(intField(body, "phase")), dest, intField(body, "sentUs"), at});
    }
    if (slowPort_ && g_slowOn.load()) {
      // Sleep in slices so the process can exit promptly.
      auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(g_slowMs);
      while (!g_stopping.load() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      g_slowAnswered.fetch_add(1);
    }
    resp.setContentLength(2);
    resp.send() << "ok";
  }

 private:
  bool slowPort_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(bool slowPort) : slowPort_(slowPort) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(slowPort_);
  }

 private:
  bool slowPort_;
};

struct Server {
  Poco::ThreadPool pool;
  Poco::Net::ServerSocket sock;
  Poco::Net::HTTPServer http;
  Server(int port, bool slow, int threads)
      : pool(8, threads),
        sock(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)), 4096),
        http(new Factory(slow), pool, sock, params(threads)) {
    http.start();
  }
  static Poco::Net::HTTPServerParams* params(int threads) {
    auto* p = new Poco::Net::HTTPServerParams;
    p->setMaxThreads(threads);
    p->setMaxQueued(4096);
    p->setKeepAliveTimeout(Poco::Timespan(30, 0));
    return p;
  }
};

// Sends rate·seconds signed events tagged with `phase`; returns {accepted, failed}.
std::pair<int, int> sendPhase(int port, const std::string& slug, const std::string& secret,
                              int phase, int rate, int seconds, int senders) {
  const int total = rate * seconds;
  std::atomic<int> next{0}, accepted{0}, failed{0};
  auto start = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
  std::vector<std::thread> ts;
  const std::string pad(900, 'x');
  for (int t = 0; t < senders; ++t) {
    ts.emplace_back([&] {
      Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
      s.setKeepAlive(true);
      s.setTimeout(Poco::Timespan(10, 0));
      while (true) {
        int i = next.fetch_add(1);
        if (i >= total) break;
        std::this_thread::sleep_until(start +
                                      std::chrono::microseconds(int64_t{i} * 1'000'000 / rate));
        std::string body = "{\"type\":\"bench.slow\",\"phase\":" + std::to_string(phase) +
                           ",\"sentUs\":" + std::to_string(nowUs()) +
                           ",\"i\":" + std::to_string(i) + ",\"pad\":\"" + pad + "\"}";
        try {
          (bench::postSignedHook(s, slug, secret, body) == 202 ? accepted : failed).fetch_add(1);
        } catch (const std::exception& e) {
          if (failed.fetch_add(1) < 3) std::fprintf(stderr, "send failed: %s\n", e.what());
          s.reset();
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  return {accepted.load(), failed.load()};
}

// Fast-destination deliveries of `phase` events: count by deadline, and latencies.
void phaseFigures(int phase, int64_t deadlineUs, int* byDeadline, std::vector<int64_t>* latUs,
                  int* total) {
  std::lock_guard<std::mutex> g(g_mu);
  *byDeadline = 0;
  *total = 0;
  latUs->clear();
  for (const Arrival& a : g_arrivals) {
    if (a.phase != phase || a.dest < g_slowDests) continue;
    ++*total;
    if (a.atUs <= deadlineUs) ++*byDeadline;
    latUs->push_back(a.atUs - a.sentUs);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0, fastPort = 0, slowPort = 0, dests = 20, rate = 50, seconds = 15, senders = 8;
  std::string slug, secret;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--port")
      port = std::atoi(argv[i + 1]);
    else if (a == "--slug")
      slug = argv[i + 1];
    else if (a == "--secret")
      secret = argv[i + 1];
    else if (a == "--fast-port")
      fastPort = std::atoi(argv[i + 1]);
    else if (a == "--slow-port")
      slowPort = std::atoi(argv[i + 1]);
    else if (a == "--dests")
      dests = std::atoi(argv[i + 1]);
    else if (a == "--slow-dests")
      g_slowDests = std::atoi(argv[i + 1]);
    else if (a == "--rate")
      rate = std::atoi(argv[i + 1]);
    else if (a == "--seconds")
      seconds = std::atoi(argv[i + 1]);
    else if (a == "--slow-ms")
      g_slowMs = std::atoi(argv[i + 1]);
  }
  if (port == 0 || slug.empty() || secret.empty() || fastPort == 0 || slowPort == 0) {
    std::fprintf(stderr,
                 "usage: slow_bench --port P --slug S --secret K --fast-port FP --slow-port SP "
                 "[--dests 20] [--slow-dests 2] [--rate 50] [--seconds 15] [--slow-ms 5000]\n");
    return 2;
  }
  Server fast(fastPort, false, 512);
  Server slow(slowPort, true, 2048);
  const int fastDests = dests - g_slowDests;
  std::printf("load_events_per_s %d\n", rate);
  std::printf("load_deliveries_per_s %d\n", rate * dests);
  std::printf("fast_destinations %d of %d\n", fastDests, dests);

  double rates[2] = {0, 0};
  for (int phase = 0; phase < 2; ++phase) {
    const char* name = phase == 0 ? "baseline" : "slow";
    g_slowOn.store(phase == 1);
    int64_t t0 = nowUs();
    auto [acc, fail] = sendPhase(port, slug, secret, phase, rate, seconds, senders);
    int64_t t1 = nowUs();
    int64_t deadline = t1 + 1'000'000;
    // Wait for the phase's fast deliveries (at most 10 s after the phase).
    int expected = acc * fastDests, byDeadline = 0, total = 0;
    std::vector<int64_t> lat;
    for (int w = 0; w < 100; ++w) {
      phaseFigures(phase, deadline, &byDeadline, &lat, &total);
      if (total >= expected && nowUs() > deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    phaseFigures(phase, deadline, &byDeadline, &lat, &total);
    double secs = static_cast<double>(t1 - t0) / 1e6;
    rates[phase] = byDeadline / secs;
    std::printf("%s_events_accepted %d failed %d\n", name, acc, fail);
    std::printf("%s_fast_expected %d\n", name, expected);
    std::printf("%s_fast_received %d\n", name, total);
    std::printf("%s_fast_per_s %.0f\n", name, rates[phase]);
    std::printf("%s_fast_latency_p50_ms %.1f\n", name, pctMs(lat, 0.5));
    std::printf("%s_fast_latency_p99_ms %.1f\n", name, pctMs(lat, 0.99));
    std::printf("%s_fast_latency_max_ms %.1f\n", name, pctMs(lat, 1.0));
    std::fflush(stdout);
  }
  double drop = rates[0] > 0 ? (1.0 - rates[1] / rates[0]) * 100.0 : 100.0;
  std::printf("fast_drop_pct %.1f\n", std::max(0.0, drop));
  std::printf("slow_answered %d\n", g_slowAnswered.load());
  std::fflush(stdout);
  g_stopping.store(true);
  std::_Exit(0);
}
