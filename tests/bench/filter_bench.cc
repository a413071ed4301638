// What the filters of a router config cost per event, measured alone (scripts/bench
// fan-out-filtered; docs/benchmarks.md): on a shared 2-core machine the end-to-end rate moves
// more between runs than a few microseconds of filtering move it, so this times each link's
// filter on the scenario's own event, beside the parse of that body (which ingest does once
// anyway for the event type, and the filters share).
//
//   filter_bench CONFIG [--min-ms 200] [--rounds 5]     (the body in BENCH_BODY)
//
// Each operation runs in batches for at least --min-ms of this thread's CPU time per round,
// rounds interleaved; the median round is reported. Output: `result parse <ns>` and, per link
// with a filter, `result filter_<destination> <ns> <passes 0|1>`.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/filter/filter.h"
#include "core/util/json.h"
#include "core/util/lazy_json.h"

namespace {

namespace json = dispatch::json;

int64_t threadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// ns per call of `op` over one round of at least `minNs` CPU time.
double timeRound(const std::function<bool()>& op, int64_t minNs) {
  int64_t calls = 0, sink = 0;
  const int64_t start = threadCpuNs();
  int64_t spent = 0;
  while (spent < minNs) {
    for (int i = 0; i < 1000; ++i) sink += op();
    calls += 1000;
    spent = threadCpuNs() - start;
  }
  if (sink < 0) std::printf("#\n");  // keeps the calls
  return static_cast<double>(spent) / static_cast<double>(calls);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: filter_bench CONFIG [--min-ms N] [--rounds N]\n");
    return 2;
  }
  int64_t minMs = 200;
  int rounds = 5;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--min-ms") minMs = std::atoll(argv[i + 1]);
    if (flag == "--rounds") rounds = std::atoi(argv[i + 1]);
  }
  const char* bodyEnv = std::getenv("BENCH_BODY");
  if (bodyEnv == nullptr) {
    std::fprintf(stderr, "filter_bench: BENCH_BODY is not set\n");
    return 2;
  }
  const std::string body = bodyEnv;
  auto loaded = dispatch::config::loadFile(argv[1]);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.c_str());
    return 1;
  }
  // The headers an event of the scenario is routed with (lower-cased, as ingest stores them).
  const dispatch::model::Headers headers = {{"host", "127.0.0.1:18181"},
                                            {"content-type", "application/json"},
                                            {"content-length", std::to_string(body.size())},
                                            {"x-hub-signature-256", "sha256=00"}};

  struct Op {
    std::string name;
    std::function<bool()> run;
    std::vector<double> ns;
    bool passes = false;
  };
  std::vector<Op> ops;
  ops.push_back({"parse", [&] { return json::parse(body).isOk(); }, {}, false});
  json::LazyValue parsed(body);  // parsed once, as the event's body is for its type
  if (parsed.get() == nullptr) {
    std::fprintf(stderr, "filter_bench: BENCH_BODY is not JSON\n");
    return 1;
  }
  for (const auto& project : loaded.config->projects) {
    for (const auto& link : project.links) {
      if (!link.filter) continue;
      const dispatch::filter::Filter* f = link.filter.get();
      ops.push_back({"filter_" + link.destination,
                     [f, &parsed, &headers] { return f->matches(parsed, headers); },
                     {},
                     f->matches(parsed, headers)});
    }
  }
  for (int r = 0; r < rounds; ++r) {
    for (Op& op : ops) op.ns.push_back(timeRound(op.run, minMs * 1'000'000));
  }
  for (Op& op : ops) {
    std::sort(op.ns.begin(), op.ns.end());
    const double median = op.ns[op.ns.size() / 2];
    if (op.name == "parse") {
      std::printf("result %s %.0f\n", op.name.c_str(), median);
    } else {
      std::printf("result %s %.0f %d\n", op.name.c_str(), median, op.passes ? 1 : 0);
    }
  }
  return 0;
}
