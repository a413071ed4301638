// JSON parser comparison for issue 10 (scripts/bench json; results in docs/benchmarks.md):
// our parser (core/util/json) against Debian's simdjson 3.0.1 (on-demand and DOM) and
// rapidjson 1.1, on the work Dispatch does with webhook bodies, plus a table of how each
// library treats the inputs where Dispatch needs one exact answer. The libraries' adapters
// are in json_bench_libs.h.
//
//   json_bench [--fixtures DIR] [--rounds 7] [--min-ms 40] [--table-only] [--quick]
//   json_bench --write-large FILE     (writes the generated 800 KB body and exits)
//
// Bodies: DIR/github_push.json, DIR/stripe_event.json, DIR/shopify_order.json (committed;
// tests/bench/fixtures/make_fixtures.py wrote them) and an 800 KB array of SendGrid-style
// events generated here. Operations, each on the same bytes:
//   validate  the whole body checked (grammar, UTF-8, depth ≤ 128), nothing kept
//   extract   one dot-path value as text, as ingest's event-type extraction does
//   tree      every value decoded (keys, strings, numbers as int64 or double, as the Lua
//             bridge pushes them) and visited once
// Each (body, operation, library) is timed for at least --min-ms of this thread's CPU time per
// round; rounds are interleaved so a busy machine hurts every library alike; the median round
// is reported.
// Output: the behaviour table and the timing table (Markdown), then `result` lines
// (`result <body> <op> <lib> <ns_per_op> <mb_per_s>`) for scripts/bench.d/json.sh.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "tests/bench/json_bench_libs.h"

using namespace jsonbench;

namespace {

Tally g_sink;

// ---------------------------------------------------------------------------------------------
// Behaviour table.

struct Lib {
  const char* name;
  std::function<std::string(std::string_view)> error;  // "" when accepted
  std::function<std::optional<std::string>(std::string_view, const std::string& path)> extract;
};

std::vector<Lib> libs() {
  return {
      {"ours", Ours::error,
       [](std::string_view t, const std::string& p) { return Ours::extract(t, p); }},
      {"simdjson on-demand", SimdOnDemand::error,
       [](std::string_view t, const std::string& p) {
         return SimdOnDemand::extract(t, jsonPointer(p));
       }},
      {"simdjson DOM", SimdDom::error,
       [](std::string_view t, const std::string& p) {
         return SimdDom::extract(t, jsonPointer(p));
       }},
      {"rapidjson", Rapid::error,
       [](std::string_view t, const std::string& p) { return Rapid::extract(t, pathSteps(p)); }},
  };
}

// Bytes shown in a table cell: printable ASCII as is, the rest as \xHH.
std::string shown(std::string_view s, size_t max = 40) {
  std::string out;
  for (char ch : s.substr(0, max)) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f && c != '|' && c != '`') {
      out += ch;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    }
  }
  if (s.size() > max) out += "…";
  return out;
}

enum Need { kReject, kAccept, kEither };

struct Probe {
  std::string what;
  std::string input;
  std::string path;      // non-empty: also extract this dot-path
  Need need;             // what Dispatch needs
  std::string expected;  // with a path and kAccept: the exact text needed
};

std::string nested(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

std::vector<Probe> probes() {
  using namespace std::string_literals;
  return {
      {"float kept as written", R"({"a":1.0})", "a", kAccept, "1.0"},
      {"trailing fraction zero", R"({"a":0.10})", "a", kAccept, "0.10"},
      {"integer > int64", R"({"a":12345678901234567890})", "a", kAccept, "12345678901234567890"},
      {"integer > uint64", R"({"a":123456789012345678901234567890})", "a", kAccept,
       "123456789012345678901234567890"},
      {"negative zero", R"({"a":-0})", "a", kAccept, "-0"},
      {"exponent overflow 1e400", R"({"a":1e400})", "a", kAccept, "1e400"},
      {"exponent underflow 1e-400", R"({"a":1e-400})", "a", kAccept, "1e-400"},
      {"1e400 elsewhere in the body", R"({"type":"a","x":1e400})", "type", kAccept, "a"},
      {"escapes decoded", R"({"a":"\u00e9\n\/"})", "a", kAccept, "\xC3\xA9\n/"},
      {"surrogate pair decoded", R"({"a":"\ud83d\ude00"})", "a", kAccept, "\xF0\x9F\x98\x80"},
      {"nested object's raw bytes", R"({"p": { "x" : 1.50 } })", "p", kAccept, R"({ "x" : 1.50 })"},
      {"escaped key matched", R"({"typ\u0065":"x"})", "type", kAccept, "x"},
      {"duplicate key: first wins", R"({"a":1,"a":2})", "a", kAccept, "1"},
      {"\\u0000 decoded, not cut", R"({"a":"x\u0000y"})", "a", kAccept, "x\0y"s},
      {"invalid UTF-8 \\xFF", "{\"a\":\"\xFF\"}", "", kReject, ""},
      {"overlong \\xC0\\xAF", "{\"a\":\"\xC0\xAF\"}", "", kReject, ""},
      {"UTF-8 surrogate \\xED\\xA0\\x80", "{\"a\":\"\xED\xA0\x80\"}", "", kReject, ""},
      {"above U+10FFFF", "{\"a\":\"\xF4\x90\x80\x80\"}", "", kReject, ""},
      {"truncated sequence", "{\"a\":\"\xE2\x82\"}", "", kReject, ""},
      {"lone high surrogate \\ud800", R"({"a":"\ud800"})", "", kReject, ""},
      {"lone low surrogate \\udc00", R"({"a":"\udc00"})", "", kReject, ""},
      {"\\ud800 then \\u0041", R"({"a":"\ud800\u0041"})", "", kReject, ""},
      {"raw NUL in a string", "{\"a\":\"x\0y\"}"s, "", kReject, ""},
      {"raw control byte 0x01", "{\"a\":\"x\x01y\"}", "", kReject, ""},
      {"NUL after the value", "{\"a\":1}\0"s, "", kReject, ""},
      {"NUL then garbage", "{\"a\":1}\0{]"s, "", kReject, ""},
      {"trailing garbage", R"({"a":1} x)", "", kReject, ""},
      {"two values", R"({"a":1}{"b":2})", "", kReject, ""},
      {"type, then invalid JSON", R"({"type":"a","b":tru})", "type", kReject, ""},
      {"type, then trailing garbage", R"({"type":"a"} x)", "type", kReject, ""},
      {"trailing comma", "[1,2,]", "", kReject, ""},
      {"trailing comma in object", R"({"a":1,})", "", kReject, ""},
      {"missing comma", R"({"a":1 "b":2})", "", kReject, ""},
      {"missing colon", R"({"a" 1})", "", kReject, ""},
      {"missing value", R"({"a":})", "", kReject, ""},
      {"double comma", "[1,,2]", "", kReject, ""},
      {"unclosed", R"({"a":[1,2)", "", kReject, ""},
      {"invalid escape", R"({"a":"\x41"})", "", kReject, ""},
      {"short \\u escape", R"({"a":"\u12"})", "", kReject, ""},
      {"leading zero", "[01]", "", kReject, ""},
      {"1. / .5 / +1", "[1.]", "", kReject, ""},
      {"NaN", "[NaN]", "", kReject, ""},
      {"UTF-8 BOM first (RFC 8259 §8.1: may ignore)", "\xEF\xBB\xBF{}", "", kEither, ""},
      {"empty body", "", "", kReject, ""},
      {"depth 128", nested(128), "", kAccept, ""},
      {"depth 129", nested(129), "", kReject, ""},
      {"depth 100000", nested(100000), "", kReject, ""},
  };
}

// One cell: ✔ when the library does what Dispatch needs, ✘ otherwise, and what it did.
std::string cell(const Lib& lib, const Probe& p) {
  const std::string err = lib.error(p.input);
  const bool accepted = err.empty();
  std::string what = accepted ? "accepts" : "rejects";
  bool ok = p.need == kEither || accepted == (p.need == kAccept);
  if (!p.path.empty()) {
    const auto got = lib.extract(p.input, p.path);
    if (got) {
      what += std::string(", → `") + shown(*got) + "`";
    } else {
      what += ", → none";
    }
    // A value counts only when the body is JSON (as ingest does it): a value pulled out of
    // an invalid body is a wrong answer, not a convenience.
    if (p.need == kAccept) {
      ok = ok && got && *got == p.expected;
    } else if (got) {
      ok = false;
    }
  }
  if (!accepted && lib.name != std::string("ours")) what += " (" + shown(err, 36) + ")";
  return std::string(ok ? "✔ " : "✘ ") + what;
}

void printTable() {
  const std::vector<Lib> ls = libs();
  std::printf("## Behaviour (✔ = what Dispatch needs)\n\n| input | needed |");
  for (const Lib& l : ls) std::printf(" %s |", l.name);
  std::printf("\n|---|---|");
  for (size_t i = 0; i < ls.size(); ++i) std::printf("---|");
  std::printf("\n");
  int misses[8] = {};
  for (const Probe& p : probes()) {
    std::string need = p.need == kAccept ? "accept" : p.need == kReject ? "reject" : "either";
    if (p.need == kAccept && !p.path.empty()) {
      need += ", `" + p.path + "` → `" + shown(p.expected) + "`";
    }
    if (p.need == kReject && !p.path.empty()) need += ", no `" + p.path + "`";
    std::printf("| %s `%s` | %s |", p.what.c_str(), shown(p.input, 28).c_str(), need.c_str());
    for (size_t i = 0; i < ls.size(); ++i) {
      const std::string c = cell(ls[i], p);
      if (c.rfind("✘", 0) == 0) ++misses[i];
      std::printf(" %s |", c.c_str());
    }
    std::printf("\n");
  }
  std::printf("| **rows not as needed** | |");
  for (size_t i = 0; i < ls.size(); ++i) std::printf(" **%d** |", misses[i]);
  std::printf("\n\n");
  for (size_t i = 0; i < ls.size(); ++i) std::printf("misses %s %d\n", ls[i].name, misses[i]);
  std::printf("\n");
}

// ---------------------------------------------------------------------------------------------
// Timing.

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "json_bench: cannot read %s\n", path.c_str());
    std::exit(2);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A SendGrid-style event batch (a JSON array posted as one request), ~800 KB, the same on
// every run.
std::string largeArrayBody() {
  static const char* kEvents[] = {"processed", "delivered", "open", "click", "bounce"};
  std::string out = "[";
  uint64_t x = 0x9E3779B97F4A7C15ull;  // xorshift state: deterministic "random" fields
  for (int i = 0; out.size() < 800 * 1000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    if (i > 0) out += ',';
    char buf[640];
    std::snprintf(
        buf, sizeof buf,
        R"({"email":"user%d@example.com","timestamp":%lld,"smtp-id":"<%016llx@ismtpd0001p1lon1.sendgrid.net>",)"
        R"("event":"%s","category":["newsletter","caf\u00e9 \"weekly\""],"sg_event_id":"%016llx",)"
        R"("sg_message_id":"%016llx.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0","useragent":)"
        R"("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36","ip":"198.51.100.%d",)"
        R"("url":"https://example.com/r?id=%d&utm=mail","asm_group_id":%d,"score":%d.%02d,"tls":%s})",
        i, 1714566896LL + i, static_cast<unsigned long long>(x), kEvents[x % 5],
        static_cast<unsigned long long>(x * 31), static_cast<unsigned long long>(x * 17),
        static_cast<int>(x % 255), i, static_cast<int>(x % 7), static_cast<int>(x % 100),
        static_cast<int>(x % 97), (x & 1) ? "true" : "false");
    out += buf;
  }
  out += ']';
  return out;
}

struct Body {
  std::string name;
  std::string text;
  std::string path;  // the event-type dot-path a source would configure
};

struct Case {
  std::string body, op, lib;
  size_t bytes;
  std::function<void()> run;  // one operation
  long iterations = 0;
  std::vector<double> nsPerOp = {};
};

// This thread's CPU time: on a shared 2-core VM, time spent waiting for a core is not the
// parser's (wall time is what it costs only on an idle machine).
double nowNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

std::vector<Case> cases(const std::vector<Body>& bodies) {
  std::vector<Case> out;
  for (const Body& b : bodies) {
    const std::string_view text = b.text;
    const std::string path = b.path, pointer = jsonPointer(b.path);
    const std::vector<std::string> steps = pathSteps(b.path);
    auto add = [&](const char* op, const char* lib, std::function<bool()> f) {
      out.push_back({b.name, op, lib, b.text.size(), [f] {
                       if (!f()) {
                         std::fprintf(stderr, "json_bench: an operation failed\n");
                         std::exit(1);
                       }
                     }});
    };
    auto keep = [](const std::optional<std::string>& s) {
      if (s) g_sink.bytes += s->size();
      return s.has_value();
    };
    auto tree = [](bool (*f)(std::string_view, Tally&), std::string_view t) {
      Tally tally;
      const bool ok = f(t, tally);
      g_sink.add(tally);
      return ok;
    };
    add("validate", "ours", [=] { return Ours::validate(text); });
    add("validate", "simdjson-od", [=] { return SimdOnDemand::validate(text); });
    add("validate", "simdjson-dom", [=] { return SimdDom::validate(text); });
    add("validate", "rapidjson", [=] { return Rapid::validate(text); });
    add("extract", "ours", [=] { return keep(Ours::extract(text, path)); });
    add("extract", "simdjson-od", [=] { return keep(SimdOnDemand::extract(text, pointer)); });
    add("extract", "simdjson-dom", [=] { return keep(SimdDom::extract(text, pointer)); });
    add("extract", "rapidjson", [=] { return keep(Rapid::extract(text, steps)); });
    add("tree", "ours", [=] { return tree(Ours::tree, text); });
    add("tree", "simdjson-od", [=] { return tree(SimdOnDemand::tree, text); });
    add("tree", "simdjson-dom", [=] { return tree(SimdDom::tree, text); });
    add("tree", "rapidjson", [=] { return tree(Rapid::tree, text); });
  }
  return out;
}

void timeCases(std::vector<Case>& cs, int rounds, double minMs) {
  for (Case& c : cs) {  // warm caches and allocators; size each case to ~minMs
    c.run();
    long n = 1;
    for (;;) {
      const double t0 = nowNs();
      for (long i = 0; i < n; ++i) c.run();
      const double ms = (nowNs() - t0) / 1e6;
      if (ms >= minMs / 4) {
        c.iterations = std::max<long>(1, static_cast<long>(static_cast<double>(n) * minMs / ms));
        break;
      }
      n *= 4;
    }
  }
  for (int r = 0; r < rounds; ++r) {
    for (Case& c : cs) {
      const double t0 = nowNs();
      for (long i = 0; i < c.iterations; ++i) c.run();
      c.nsPerOp.push_back((nowNs() - t0) / static_cast<double>(c.iterations));
    }
    std::fprintf(stderr, "json_bench: round %d/%d done\n", r + 1, rounds);
  }
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void printTimings(const std::vector<Case>& cs, const std::vector<Body>& bodies, int rounds) {
  static const char* kLibs[] = {"ours", "simdjson-od", "simdjson-dom", "rapidjson"};
  std::printf(
      "## Timings: CPU time per operation, median of %d rounds: ns/op (MB/s, ± half the "
      "range of the rounds as %% of the median)\n\n",
      rounds);
  std::printf("| body | op | ours | simdjson on-demand | simdjson DOM | rapidjson |\n");
  std::printf("|---|---|---:|---:|---:|---:|\n");
  for (const Body& b : bodies) {
    for (const char* op : {"validate", "extract", "tree"}) {
      std::printf("| %s (%.1f KB) | %s |", b.name.c_str(),
                  static_cast<double>(b.text.size()) / 1000, op);
      for (const char* lib : kLibs) {
        for (const Case& c : cs) {
          if (c.body != b.name || c.op != op || c.lib != lib) continue;
          const double ns = median(c.nsPerOp);
          const double mbs = static_cast<double>(c.bytes) / ns * 1e3;  // bytes/ns → MB/s
          const auto [lo, hi] = std::minmax_element(c.nsPerOp.begin(), c.nsPerOp.end());
          std::printf(" %.0f ns (%.0f MB/s, ±%.0f%%) |", ns, mbs, (*hi - *lo) / ns * 50);
        }
      }
      std::printf("\n");
    }
  }
  std::printf("\n");
  for (const Case& c : cs) {
    const double ns = median(c.nsPerOp);
    std::printf("result %s %s %s %.0f %.1f\n", c.body.c_str(), c.op.c_str(), c.lib.c_str(), ns,
                static_cast<double>(c.bytes) / ns * 1e3);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string fixtures = "tests/bench/fixtures";
  int rounds = 7;
  double minMs = 40;
  bool tableOnly = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "json_bench: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--fixtures") {
      fixtures = next();
    } else if (a == "--rounds") {
      rounds = std::max(1, std::atoi(next().c_str()));
    } else if (a == "--min-ms") {
      minMs = std::max(1.0, std::atof(next().c_str()));
    } else if (a == "--quick") {
      rounds = 3, minMs = 5;
    } else if (a == "--table-only") {
      tableOnly = true;
    } else if (a == "--write-large") {  // the generated 800 KB body, for a look or a profile
      const std::string path = next();
      std::ofstream(path, std::ios::binary) << largeArrayBody();
      return 0;
    } else {
      std::fprintf(stderr,
                   "usage: json_bench [--fixtures DIR] [--rounds N] [--min-ms MS] [--quick] "
                   "[--table-only] | --write-large FILE\n");
      return 2;
    }
  }
  std::printf(
      "# json_bench: simdjson %d.%d.%d (DOM and on-demand stage 1: %s; on-demand "
      "stage 2: %s, fixed at compile time), rapidjson %s\n\n",
      simdjson::SIMDJSON_VERSION_MAJOR, simdjson::SIMDJSON_VERSION_MINOR,
      simdjson::SIMDJSON_VERSION_REVISION, simdjson::get_active_implementation()->name().c_str(),
      SIMDJSON_STRINGIFY(SIMDJSON_BUILTIN_IMPLEMENTATION), RAPIDJSON_VERSION_STRING);
  printTable();
  if (tableOnly) return 0;

  std::vector<Body> bodies = {
      {"github-push", readFile(fixtures + "/github_push.json"), "repository.full_name"},
      {"stripe-event", readFile(fixtures + "/stripe_event.json"), "type"},
      {"shopify-order", readFile(fixtures + "/shopify_order.json"), "financial_status"},
      {"array-800k", largeArrayBody(), "0.event"},
  };
  // Every library must agree on every body before any of them is timed.
  for (const Body& b : bodies) {
    const auto want = Ours::extract(b.text, b.path);
    const bool agree = want && SimdOnDemand::extract(b.text, jsonPointer(b.path)) == want &&
                       SimdDom::extract(b.text, jsonPointer(b.path)) == want &&
                       Rapid::extract(b.text, pathSteps(b.path)) == want &&
                       SimdOnDemand::validate(b.text) && SimdDom::validate(b.text) &&
                       Rapid::validate(b.text);
    Tally a, c, d, e;
    const bool trees = Ours::tree(b.text, a) && SimdOnDemand::tree(b.text, c) &&
                       SimdDom::tree(b.text, d) && Rapid::tree(b.text, e) && a.values == c.values &&
                       a.values == d.values && a.values == e.values && a.bytes == c.bytes &&
                       a.bytes == d.bytes && a.bytes == e.bytes;
    std::printf("body %s: %zu bytes, %llu values, `%s` = `%s`%s\n", b.name.c_str(), b.text.size(),
                static_cast<unsigned long long>(a.values), b.path.c_str(),
                want ? want->c_str() : "?", agree && trees ? "" : " — LIBRARIES DISAGREE");
    if (!agree || !trees) return 1;
  }
  std::printf("\n");
  std::vector<Case> cs = cases(bodies);
  timeCases(cs, rounds, minMs);
  printTimings(cs, bodies, rounds);
  std::fprintf(stderr, "json_bench: checksum %llu\n",
               static_cast<unsigned long long>(g_sink.values + g_sink.bytes +
                                               static_cast<uint64_t>(g_sink.ints)));
  return 0;
}
