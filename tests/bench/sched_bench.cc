// Scheduled-jobs benchmark for scripts/bench (jobs-burst, jobs-steady, jobs-scale, schedules).
// Creates jobs through `POST /api/v1/jobs` (or schedules through `POST /api/v1/schedules`) with N
// keep-alive clients against a running `dispatch serve`, and runs its own recording receiver on
// 127.0.0.1 that records arrival − fireAt per job.
//
//   sched_bench --port P --key K --mode lateness --jobs N [--spread-ms S] [--clients 16]
//       N jobs due at base + i·S/N (S = 0: all in the same millisecond). base is chosen after a
//       calibration batch (jobs due in an hour) so that creation ends before the first job is
//       due: base = now + 1.3 · N / calibrated rate + 1.5 s.
//   sched_bench --port P --key K --mode scale --jobs N [--horizon-ms 86400000] [--probes 20]
//               [--max-seconds S]
//       N jobs spread evenly over the next horizon (they fire as their time comes, to /bg;
//       with --max-seconds, creation stops after S seconds and says how many it made),
//       then `probes` jobs due 2 s later, 50 ms apart, "in the middle of them".
//   sched_bench --mode receive --receiver-port RP --jobs N --deadline-ms T
//       only the receiver, on RP, for a peer (graphile-worker) whose N jobs POST a body with
//       "fireAtMs" and "i" to /m; reports when all arrived or at T (Unix ms).
//   sched_bench --port P --key K --mode ticks --jobs N [--ticks 3] [--cron '* * * * *']
//               [--tick minute|forced] [--clients 16] [--wait-s 30]
//       N schedules (cron C, UTC, title "tick <i>") whose jobs POST to the receiver's /s; then
//       `ticks` whole-minute ticks observed: the first whole minute at least 5 s after the last
//       create, and the minutes after it. With --tick forced (smoke), one tick instead, at the
//       whole second 4 s after the last create: the tool prints `arm_at_ms T` and the scenario
//       moves the schedules' next_fire_at there (with a cron that does not fire meanwhile). An
//       arrival belongs to the observed tick within 30 s of it; per tick (prefix tick<k>_):
//       distinct schedules received, missing (of N), duplicates (a schedule again in the same
//       tick, by X-Dispatch-Schedule-ID), early, lateness arrival − tick.
//
// Output: `key value` lines (the scenario scripts turn them into results). Lateness is
// arrival − fireAt in ms with µs resolution; early = arrived before its fireAt millisecond;
// lost = never arrived within the wait; dup = arrived more than once.
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
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/util/time.h"
#include "tests/bench/bench_util.h"

using namespace dispatch;

using bench::intField;
using bench::nowUs;
using bench::pctMs;

namespace {

// What the receiver saw, per measured job (path /m) and in total for background jobs (/bg).
struct Arrivals {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int64_t> lateUs;  // first arrival − fireAt per job index, INT64_MIN if none
  int received = 0;             // distinct measured jobs
  int duplicates = 0;
  std::atomic<int> background{0};
};
Arrivals g_arr;

// What the receiver saw of schedules' jobs (path /s), per observed tick.
struct Ticks {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<TimeMs> at;                                  // the observed ticks, Unix ms
  std::unordered_set<std::string> known;                   // ids of the schedules created here
  std::vector<std::unordered_map<std::string, int>> seen;  // per tick: schedule id → arrivals
  std::vector<std::vector<int64_t>> lateUs;  // per tick: first arrival − tick, per schedule
  std::vector<int> duplicates;               // per tick
  int other = 0;    // arrivals within 30 s of no observed tick (ticks before the first one)
  int unknown = 0;  // arrivals in a tick for no schedule created here
};
Ticks g_ticks;

void recordTick(const std::string& scheduleId, int64_t atUs) {
  std::lock_guard<std::mutex> g(g_ticks.mu);
  for (size_t k = 0; k < g_ticks.at.size(); ++k) {
    int64_t lateUs = atUs - g_ticks.at[k] * 1000;
    if (lateUs < -30'000'000 || lateUs >= 30'000'000) continue;
    if (g_ticks.known.count(scheduleId) == 0) {
      ++g_ticks.unknown;
    } else if (++g_ticks.seen[k][scheduleId] == 1) {
      g_ticks.lateUs[k].push_back(lateUs);
      g_ticks.cv.notify_all();
    } else {
      ++g_ticks.duplicates[k];
    }
    return;
  }
  ++g_ticks.other;
}

class RecordHandler : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    int64_t at = nowUs();
    std::string body;
    Poco::StreamCopier::copyToString(req.stream(), body);
    if (req.getURI() == "/m") {
      int64_t fire = intField(body, "fireAtMs");
      int64_t i = intField(body, "i");
      if (fire > 0 && i >= 0) {
        std::lock_guard<std::mutex> g(g_arr.mu);
        if (i < static_cast<int64_t>(g_arr.lateUs.size())) {
          if (g_arr.lateUs[i] == INT64_MIN) {
            g_arr.lateUs[i] = at - fire * 1000;
            ++g_arr.received;
            g_arr.cv.notify_all();
          } else {
            ++g_arr.duplicates;
          }
        }
      }
    } else if (req.getURI() == "/bg") {
      g_arr.background.fetch_add(1);
    } else if (req.getURI() == "/s") {
      recordTick(req.get("X-Dispatch-Schedule-ID", ""), at);
    }
    resp.setContentLength(2);
    resp.send() << "ok";
  }
};

class RecordFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new RecordHandler;
  }
};

int post(Poco::Net::HTTPClientSession& s, const std::string& key, const std::string& body,
         const std::string& path = "/api/v1/jobs", std::string* answer = nullptr) {
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, path,
                             Poco::Net::HTTPMessage::HTTP_1_1);
  req.setContentType("application/json");
  req.set("x-api-key", key);
  req.setContentLength(static_cast<std::streamsize>(body.size()));
  req.setKeepAlive(true);
  s.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = s.receiveResponse(resp);
  std::string ignored;
  Poco::StreamCopier::copyToString(in, answer ? *answer : ignored);
  return resp.getStatus();
}

std::string jobJson(const std::string& url, TimeMs fireAt, int i) {
  return R"({"title":"bench )" + std::to_string(i) + R"(","webhookUrl":")" + url +
         R"(","fireAt":")" + formatIsoUtc(fireAt) + R"(","payload":{"fireAtMs":)" +
         std::to_string(fireAt) + R"(,"i":)" + std::to_string(i) + "}}";
}

std::string scheduleJson(const std::string& url, const std::string& cron, int i) {
  return R"({"title":"tick )" + std::to_string(i) + R"(","webhookUrl":")" + url +
         R"(","payload":{"i":)" + std::to_string(i) + R"(},"cron":")" + cron +
         R"(","timezone":"UTC"})";
}

// The string after the first `"name":"` in a JSON text (no escapes in it), or "".
std::string stringField(const std::string& body, const char* name) {
  std::string pat = std::string("\"") + name + "\":\"";
  size_t at = body.find(pat);
  if (at == std::string::npos) return "";
  at += pat.size();
  size_t end = body.find('"', at);
  return end == std::string::npos ? "" : body.substr(at, end - at);
}

struct CreateStats {
  double seconds = 0;
  int failures = 0;
  int created = 0;  // attempted creates (fewer than asked only when the time limit hit)
};

// POSTs body(i) to `path` for i in [0, total) with `clients` keep-alive clients; a 201's answer
// goes to created(i, answer). With maxSeconds > 0, clients stop taking new items after that long.
template <class Body, class Created>
CreateStats createMany(int port, const std::string& key, const std::string& path, int clients,
                       int total, Body body, Created created, double maxSeconds = 0) {
  std::atomic<int> next{0};
  std::atomic<int> failed{0};
  std::atomic<int> attempted{0};
  auto t0 = std::chrono::steady_clock::now();
  auto stopAt = t0 + std::chrono::milliseconds(static_cast<int64_t>(maxSeconds * 1000));
  std::vector<std::thread> ts;
  for (int c = 0; c < clients; ++c) {
    ts.emplace_back([&] {
      Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
      s.setKeepAlive(true);
      s.setTimeout(Poco::Timespan(30, 0));
      std::string answer;
      while (true) {
        if (maxSeconds > 0 && std::chrono::steady_clock::now() >= stopAt) break;
        int i = next.fetch_add(1);
        if (i >= total) break;
        attempted.fetch_add(1);
        try {
          answer.clear();
          int st = post(s, key, body(i), path, &answer);
          if (st == 201) {
            created(i, answer);
          } else if (failed.fetch_add(1) < 3) {
            std::fprintf(stderr, "create answered %d\n", st);
          }
        } catch (const std::exception& e) {
          if (failed.fetch_add(1) < 3) std::fprintf(stderr, "create failed: %s\n", e.what());
          s.reset();
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  CreateStats st;
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  st.failures = failed.load();
  st.created = attempted.load();
  return st;
}

// Creates `total` jobs; job i is due at fireAt(i).
template <class FireAt>
CreateStats createJobs(int port, const std::string& key, const std::string& url, int clients,
                       int total, FireAt fireAt, double maxSeconds = 0) {
  return createMany(
      port, key, "/api/v1/jobs", clients, total, [&](int i) { return jobJson(url, fireAt(i), i); },
      [](int, const std::string&) {}, maxSeconds);
}

// Waits until `n` measured jobs arrived or the deadline (system clock, ms) passed, then prints
// the lateness figures with `prefix`. Returns the number lost.
int report(const char* prefix, int n, TimeMs deadlineMs) {
  {
    std::unique_lock<std::mutex> lock(g_arr.mu);
    while (g_arr.received < n && nowMs() < deadlineMs)
      g_arr.cv.wait_for(lock, std::chrono::milliseconds(100));
  }
  std::vector<int64_t> late;
  int early = 0, dup = 0;
  {
    std::lock_guard<std::mutex> g(g_arr.mu);
    for (int64_t v : g_arr.lateUs) {
      if (v == INT64_MIN) continue;
      late.push_back(v);
      if (v < 0) ++early;
    }
    dup = g_arr.duplicates;
  }
  int lost = n - static_cast<int>(late.size());
  std::printf("%sreceived %zu\n", prefix, late.size());
  std::printf("%slost %d\n", prefix, lost);
  std::printf("%searly %d\n", prefix, early);
  std::printf("%sduplicates %d\n", prefix, dup);
  std::printf("%slateness_p50_ms %.1f\n", prefix, pctMs(late, 0.50));
  std::printf("%slateness_p99_ms %.1f\n", prefix, pctMs(late, 0.99));
  std::printf("%slateness_max_ms %.1f\n", prefix, pctMs(late, 1.0));
  if (!late.empty()) std::printf("%slateness_min_ms %.1f\n", prefix, pctMs(late, 0.0));
  std::fflush(stdout);
  return lost;
}

// Waits until every observed tick has all created schedules or the deadline (Unix ms) passed,
// then prints each tick's figures. Returns the schedules missing or doubled over all ticks.
int reportTicks(TimeMs deadlineMs) {
  std::unique_lock<std::mutex> lock(g_ticks.mu);
  auto complete = [] {
    for (const auto& l : g_ticks.lateUs)
      if (l.size() < g_ticks.known.size()) return false;
    return true;
  };
  while (!complete() && nowMs() < deadlineMs)
    g_ticks.cv.wait_for(lock, std::chrono::milliseconds(100));
  int bad = 0, missingAll = 0, dupAll = 0;
  double worstP99 = 0, worstMax = 0;
  for (size_t k = 0; k < g_ticks.at.size(); ++k) {
    const auto& late = g_ticks.lateUs[k];
    int early =
        static_cast<int>(std::count_if(late.begin(), late.end(), [](int64_t v) { return v < 0; }));
    int missing = static_cast<int>(g_ticks.known.size() - late.size());
    std::string p = "tick" + std::to_string(k + 1) + "_";
    std::printf("%sat %s\n", p.c_str(), formatIsoUtc(g_ticks.at[k]).c_str());
    std::printf("%sreceived %zu\n", p.c_str(), late.size());
    std::printf("%smissing %d\n", p.c_str(), missing);
    std::printf("%sduplicates %d\n", p.c_str(), g_ticks.duplicates[k]);
    std::printf("%searly %d\n", p.c_str(), early);
    std::printf("%slateness_p50_ms %.1f\n", p.c_str(), pctMs(late, 0.50));
    std::printf("%slateness_p99_ms %.1f\n", p.c_str(), pctMs(late, 0.99));
    std::printf("%slateness_max_ms %.1f\n", p.c_str(), pctMs(late, 1.0));
    if (!late.empty()) std::printf("%slateness_min_ms %.1f\n", p.c_str(), pctMs(late, 0.0));
    missingAll += missing;
    dupAll += g_ticks.duplicates[k];
    worstP99 = std::max(worstP99, pctMs(late, 0.99));
    worstMax = std::max(worstMax, pctMs(late, 1.0));
  }
  bad = missingAll + dupAll;
  std::printf("ticks_missing %d\n", missingAll);
  std::printf("ticks_duplicates %d\n", dupAll);
  std::printf("ticks_worst_p99_ms %.1f\n", worstP99);
  std::printf("ticks_worst_max_ms %.1f\n", worstMax);
  std::printf("other_arrivals %d\n", g_ticks.other);
  std::printf("unknown_arrivals %d\n", g_ticks.unknown);
  std::fflush(stdout);
  return bad;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0, clients = 16, jobs = 0, spreadMs = 0, probes = 20, waitS = 30, receiverPort = 0;
  int64_t horizonMs = 86'400'000, deadlineMs = 0;
  double maxSeconds = 0;
  int ticks = 3;
  std::string key, mode = "lateness", cron = "* * * * *", tick = "minute";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--port")
      port = std::atoi(argv[i + 1]);
    else if (a == "--key")
      key = argv[i + 1];
    else if (a == "--mode")
      mode = argv[i + 1];
    else if (a == "--clients")
      clients = std::atoi(argv[i + 1]);
    else if (a == "--jobs")
      jobs = std::atoi(argv[i + 1]);
    else if (a == "--spread-ms")
      spreadMs = std::atoi(argv[i + 1]);
    else if (a == "--horizon-ms")
      horizonMs = std::atoll(argv[i + 1]);
    else if (a == "--probes")
      probes = std::atoi(argv[i + 1]);
    else if (a == "--wait-s")
      waitS = std::atoi(argv[i + 1]);
    else if (a == "--receiver-port")
      receiverPort = std::atoi(argv[i + 1]);
    else if (a == "--deadline-ms")
      deadlineMs = std::atoll(argv[i + 1]);
    else if (a == "--max-seconds")
      maxSeconds = std::atof(argv[i + 1]);
    else if (a == "--ticks")
      ticks = std::atoi(argv[i + 1]);
    else if (a == "--cron")
      cron = argv[i + 1];
    else if (a == "--tick")
      tick = argv[i + 1];
  }
  bool receiveOnly = mode == "receive" && receiverPort > 0 && deadlineMs > 0;
  if (jobs <= 0 || (!receiveOnly && (port == 0 || key.empty() ||
                                     (mode != "lateness" && mode != "scale" && mode != "ticks")))) {
    std::fprintf(
        stderr,
        "usage: sched_bench --port P --key K --mode lateness|scale --jobs N [--spread-ms S] "
        "[--clients 16] [--horizon-ms H] [--probes 20] [--wait-s 30]\n"
        "       sched_bench --port P --key K --mode ticks --jobs N [--ticks 3] "
        "[--cron C] [--tick minute|forced] [--clients 16] [--wait-s 30]\n"
        "       sched_bench --mode receive --receiver-port RP --jobs N --deadline-ms T\n");
    return 2;
  }
  // Dispatch keeps its connections alive, so each holds a receiver thread.
  Poco::ThreadPool pool(8, 512);
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(512);
  params->setMaxQueued(1024);
  Poco::Net::ServerSocket sock(
      Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(receiverPort)), 1024);
  Poco::Net::HTTPServer server(new RecordFactory, pool, sock, params);
  server.start();
  const std::string base = "http://127.0.0.1:" + std::to_string(sock.address().port());

  int lost = 0;
  if (receiveOnly) {
    g_arr.lateUs.assign(static_cast<size_t>(jobs), INT64_MIN);
    std::printf("receiving\n");
    std::fflush(stdout);
    lost = report("", jobs, deadlineMs);
  } else if (mode == "lateness") {
    // Calibration: how fast can we create right now? Those jobs are due in an hour.
    int calib = std::max(100, std::min(1000, jobs / 10));
    TimeMs later = nowMs() + 3'600'000;
    CreateStats c =
        createJobs(port, key, base + "/calibration", clients, calib, [&](int) { return later; });
    double rate = calib / std::max(c.seconds, 1e-3);
    TimeMs fireBase = nowMs() + static_cast<TimeMs>(1.3 * jobs / rate * 1000.0) + 1500;
    fireBase += 1000 - fireBase % 1000;  // a whole second, as people schedule
    g_arr.lateUs.assign(static_cast<size_t>(jobs), INT64_MIN);
    CreateStats st = createJobs(port, key, base + "/m", clients, jobs, [&](int i) {
      return fireBase + (spreadMs > 0 ? static_cast<TimeMs>(int64_t{i} * spreadMs / jobs) : 0);
    });
    TimeMs createdAt = nowMs();
    std::printf("calibration_creates_per_s %.0f\n", rate);
    std::printf("creates_per_s %.0f\n", jobs / st.seconds);
    std::printf("create_failures %d\n", st.failures + c.failures);
    std::printf("created_ms_before_first_due %lld\n", static_cast<long long>(fireBase - createdAt));
    std::fflush(stdout);
    lost = report("", jobs, fireBase + spreadMs + waitS * 1000);
  } else if (mode == "ticks") {
    CreateStats st = createMany(
        port, key, "/api/v1/schedules", clients, jobs,
        [&](int i) { return scheduleJson(base + "/s", cron, i); },
        [](int, const std::string& answer) {
          std::string id = stringField(answer, "id");
          std::lock_guard<std::mutex> g(g_ticks.mu);
          g_ticks.known.insert(id);
        });
    TimeMs createdAt = nowMs();
    bool forced = tick == "forced";
    if (forced) ticks = 1;
    // Forced: a whole second 4 s ahead (time to move next_fire_at there); else the first whole
    // minute at least 5 s after the last create.
    TimeMs first = forced ? (createdAt + 4000 + 999) / 1000 * 1000
                          : (createdAt + 5000 + 59'999) / 60'000 * 60'000;
    size_t created = 0;
    {
      std::lock_guard<std::mutex> g(g_ticks.mu);
      for (int k = 0; k < ticks; ++k) g_ticks.at.push_back(first + int64_t{k} * 60'000);
      g_ticks.seen.resize(g_ticks.at.size());
      g_ticks.lateUs.resize(g_ticks.at.size());
      g_ticks.duplicates.assign(g_ticks.at.size(), 0);
      created = g_ticks.known.size();
    }
    std::printf("schedules_created %zu\n", created);
    std::printf("creates_per_s %.0f\n", created / st.seconds);
    std::printf("create_failures %d\n", st.failures);
    std::printf("create_seconds %.1f\n", st.seconds);
    std::printf("created_ms_before_first_tick %lld\n", static_cast<long long>(first - createdAt));
    if (forced) std::printf("arm_at_ms %lld\n", static_cast<long long>(first));
    std::fflush(stdout);
    lost = reportTicks(g_ticks.at.back() + waitS * 1000);
  } else {
    // 1M jobs evenly over the horizon, starting 5 s from now: they fire as their time comes.
    TimeMs start = nowMs() + 5000;
    CreateStats st = createJobs(
        port, key, base + "/bg", clients, jobs,
        [&](int i) {
          return start + static_cast<TimeMs>(static_cast<double>(i) *
                                             static_cast<double>(horizonMs) / jobs);
        },
        maxSeconds);
    std::printf("created %d of %d\n", st.created, jobs);
    std::printf("creates_per_s %.0f\n", st.created / st.seconds);
    std::printf("create_failures %d\n", st.failures);
    std::printf("create_seconds %.1f\n", st.seconds);
    std::fflush(stdout);
    // Probes due 2 s from now, 50 ms apart, in the middle of the pending million.
    g_arr.lateUs.assign(static_cast<size_t>(probes), INT64_MIN);
    TimeMs probeBase = nowMs() + 2000;
    CreateStats ps = createJobs(port, key, base + "/m", 1, probes,
                                [&](int i) { return probeBase + int64_t{i} * 50; });
    if (ps.failures) std::printf("probe_create_failures %d\n", ps.failures);
    lost = report("probe_", probes, probeBase + probes * 50 + waitS * 1000);
    std::printf("background_fired %d\n", g_arr.background.load());
  }
  std::fflush(stdout);
  // Do not wait for receiver connections Dispatch keeps open.
  std::_Exit(lost == 0 ? 0 : 1);
}
