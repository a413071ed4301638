// Subcommand parsing and the non-server commands of contracts/cli.md.
#include "core/app/cli.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "core/app/cli_util.h"
#include "core/app/runtime.h"
#include "core/app/sealing.h"
#include "core/app/send.h"
#include "core/app/server_app.h"
#include "core/app/transform_cli.h"
#include "core/app/transform_tests.h"
#include "core/config/config.h"
#include "core/ingest/replay.h"
#include "core/jobs/job_json.h"
#include "core/jobs/job_service.h"
#include "core/model/ids.h"
#include "core/store/event_store.h"
#include "core/store/key_store.h"
#include "core/store/migrations.h"
#include "core/store/project_store.h"
#include "core/store/rekey.h"
#include "core/util/json.h"
#include "core/util/log.h"

namespace dispatch::app {
namespace {

constexpr const char* kUsage =
    "usage: dispatch <command> [--config PATH] [options]\n"
    "\n"
    "commands:\n"
    "  serve                       run the HTTP API, scheduler and delivery workers\n"
    "  migrate                     apply database migrations\n"
    "  check-config                validate the configuration\n"
    "  keys create --project NAME [--label TEXT]\n"
    "  keys list --project NAME\n"
    "  keys revoke --project NAME ID\n"
    "  jobs schedule --project NAME --url URL --at ISO8601Z [--title T] [--payload JSON]\n"
    "  replay EVENT_ID             route a stored event again (new deliveries)\n"
    "  redrive --project NAME DESTINATION   re-arm the destination's DEAD deliveries\n"
    "  rekey [--project NAME]      re-encrypt stored values with the first master key\n"
    "  transform run FILE.lua [--event FILE | --from-event EVENT_ID] [--type T]\n"
    "                [--header 'Name: value']... [--source SLUG]\n"
    "                              run a transform once: outcome JSON on stdout, log() on stderr\n"
    "  transform test FILE.lua     run the test cases of FILE.test.yaml beside it\n"
    "  send SLUG [FILE.json] [--type T] [--key KEY] [--url BASE] [--ca FILE]\n"
    "       [--header 'Name: value']...   sign a sample event as the source's sender and POST it\n"
    "  version                     print the version\n"
    "\n"
    "--config defaults to config/dispatch.yaml; DATABASE_URL overrides database.url.\n";

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
  bool help = false;
};

// Options that take a value; everything else starting with -- is a flag.
const char* kValued[] = {"--config", "--project", "--label",  "--url",
                         "--at",     "--title",   "--payload"};

bool parseArgs(int argc, char** argv, int from, Args* a, std::string* err) {
  for (int i = from; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "--help" || s == "-h") {
      a->help = true;
      continue;
    }
    if (s.rfind("--", 0) == 0) {
      std::string key = s, value;
      size_t eq = s.find('=');
      if (eq != std::string::npos) key = s.substr(0, eq);
      bool valued = false;
      for (const char* v : kValued) valued = valued || key == v;
      if (eq != std::string::npos) {
        if (!valued) {
          *err = "unknown option " + key;
          return false;
        }
        value = s.substr(eq + 1);
      } else {
        if (!valued) {
          *err = "unknown option " + key;
          return false;
        }
        if (i + 1 >= argc) {
          *err = key + " needs a value";
          return false;
        }
        value = argv[++i];
      }
      a->options[key] = value;
      continue;
    }
    a->positional.push_back(s);
  }
  return true;
}

std::string opt(const Args& a, const std::string& k, const std::string& dflt = "") {
  auto it = a.options.find(k);
  return it == a.options.end() ? dflt : it->second;
}

int usageError(const std::string& msg) { return app::usageError(msg, kUsage); }

std::shared_ptr<const config::Config> loadOrReport(const Args& a) {
  auto loaded = config::loadFile(opt(a, "--config", "config/dispatch.yaml"));
  for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.c_str());
  return loaded.config;
}

// Migrates and syncs projects so CLI commands work on a fresh database too.
Result<std::string> prepareProject(store::Db& db, const config::Config& cfg,
                                   const std::string& project) {
  auto applied = store::migrate(cfg.database.url);
  if (!applied) return applied.status();
  std::vector<std::string> names;
  for (const auto& p : cfg.projects) names.push_back(p.name);
  if (Status st = store::ProjectStore(db).sync(names); !st) return st;
  auto p = store::ProjectStore(db).find(project);
  if (!p) return Status(Code::kNotFound, "unknown project '" + project + "'");
  return p->id;
}

int cmdMigrate(const Args& a) {
  auto cfg = loadOrReport(a);
  if (!cfg) return 1;
  auto applied = store::migrate(cfg->database.url);
  if (!applied) return userError("migrate: " + applied.status().message());
  for (const auto& m : applied.value()) std::printf("applied %s\n", m.c_str());
  if (applied->empty()) std::printf("up to date\n");
  return 0;
}

int cmdCheckConfig(const Args& a) {
  plugin::Registry registry;
  plugin::Services services;
  services.http = &nullSender();
  Loaded loaded =
      loadRoutingWithPlugins(opt(a, "--config", "config/dispatch.yaml"), registry, services);
  for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.c_str());
  if (!loaded.routing) return 1;
  const config::Config& cfg = loaded.routing->config();
  const ConfigTestsReport tests = runConfigTransformTests(cfg);
  for (const auto& e : tests.problems) std::fprintf(stderr, "%s\n", e.c_str());
  if (!tests.problems.empty()) return 1;
  size_t sources = 0, dests = 0, links = 0;
  for (const auto& p : cfg.projects) {
    sources += p.sources.size();
    dests += p.destinations.size();
    links += p.links.size();
  }
  std::printf("%s: ok (%zu projects, %zu sources, %zu destinations, %zu links)\n", cfg.path.c_str(),
              cfg.projects.size(), sources, dests, links);
  for (const auto& line : tests.passed) std::printf("%s\n", line.c_str());
  return 0;
}

int cmdReplay(const Args& a) {
  if (a.positional.size() < 2) return usageError("replay needs an EVENT_ID");
  plugin::Registry registry;
  plugin::Services services;
  services.http = &nullSender();  // routing only; the server delivers
  Loaded loaded =
      loadRoutingWithPlugins(opt(a, "--config", "config/dispatch.yaml"), registry, services);
  for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.c_str());
  if (!loaded.routing) return 1;
  store::Db db(loaded.routing->config().database.url, 1);
  applySealing(db, loaded.routing->config());
  auto applied = store::migrate(db.url());
  if (!applied) return userError(applied.status().message());
  store::EventStore events(db, nullptr);
  auto ids = ingest::replayEvent(*loaded.routing, events, a.positional[1], std::nullopt);
  if (!ids) return userError(ids.status().message());
  for (const auto& id : ids.value()) std::printf("%s\n", id.c_str());
  return 0;
}

int cmdRedrive(const Args& a) {
  std::string project = opt(a, "--project");
  if (project.empty() || a.positional.size() < 2) {
    return usageError("redrive needs --project NAME and a DESTINATION");
  }
  auto cfg = loadOrReport(a);
  if (!cfg) return 1;
  store::Db db(cfg->database.url, 1);
  applySealing(db, *cfg);
  auto pid = prepareProject(db, *cfg, project);
  if (!pid) return userError(pid.status().message());
  // As the endpoint: a destination the project's config does not name is not found.
  const config::ProjectConfig* p = cfg->findProject(project);
  const bool named = p && std::any_of(p->destinations.begin(), p->destinations.end(),
                                      [&](const auto& d) { return d.name == a.positional[1]; });
  if (!named) return userError("Destination not found");
  auto n = store::EventStore(db, nullptr).redrive(*pid, a.positional[1]);
  if (!n) return userError(n.status().message());
  std::printf("rearmed %lld\n", static_cast<long long>(*n));
  return 0;
}

// Every project with encrypt_payloads: true (or the one named) moved to the first key of
// DISPATCH_MASTER_KEYS; prints what moved per table.
int cmdRekey(const Args& a) {
  auto cfg = loadOrReport(a);
  if (!cfg) return 1;
  std::string only = opt(a, "--project");
  if (!only.empty()) {
    const config::ProjectConfig* p = cfg->findProject(only);
    if (p == nullptr) return userError("unknown project '" + only + "'");
    if (!p->encryptPayloads) return userError("project '" + only + "' does not encrypt_payloads");
  }
  store::Db db(cfg->database.url, 1);
  applySealing(db, *cfg);
  auto applied = store::migrate(db.url());
  if (!applied) return userError(applied.status().message());
  int projects = 0;
  for (const auto& p : cfg->projects) {
    if (!p.encryptPayloads || (!only.empty() && p.name != only)) continue;
    ++projects;
    auto counts = store::rekeyProject(db, model::projectIdFor(p.name));
    if (!counts) return userError(p.name + ": " + counts.status().message());
    std::printf("%s:", p.name.c_str());
    for (const auto& [table, n] : counts->rows) {
      std::printf(" %s %lld", table.c_str(), static_cast<long long>(n));
    }
    std::printf(" (skipped %lld locked)\n", static_cast<long long>(counts->skipped));
  }
  if (projects == 0) std::printf("no project has encrypt_payloads: true\n");
  return 0;
}

int cmdKeys(const Args& a) {
  if (a.positional.size() < 2) return usageError("keys needs create, list or revoke");
  const std::string& sub = a.positional[1];
  if (sub != "create" && sub != "list" && sub != "revoke") {
    return usageError("unknown keys command '" + sub + "'");
  }
  std::string project = opt(a, "--project");
  if (project.empty()) return usageError("--project is required");
  if (sub == "revoke" && a.positional.size() < 3) return usageError("keys revoke needs a key ID");
  auto cfg = loadOrReport(a);
  if (!cfg) return 1;
  store::Db db(cfg->database.url, 1);
  applySealing(db, *cfg);
  auto pid = prepareProject(db, *cfg, project);
  if (!pid) return userError(pid.status().message());
  store::KeyStore keys(db);
  if (sub == "create") {
    auto k = keys.create(*pid, opt(a, "--label"));
    if (!k) return userError(k.status().message());
    std::printf("created key %s (label \"%s\", last4 %s) for project %s\n", k->row.id.c_str(),
                k->row.label.c_str(), k->row.last4.c_str(), project.c_str());
    std::printf("%s\n", k->key.c_str());
    return 0;
  }
  if (sub == "list") {
    auto rows = keys.list(*pid);
    if (!rows) return userError(rows.status().message());
    std::printf("%-36s  %-5s  %-24s  %-24s  %s\n", "ID", "LAST4", "CREATED", "REVOKED", "LABEL");
    for (const auto& k : rows.value()) {
      std::printf("%-36s  %-5s  %-24s  %-24s  %s\n", k.id.c_str(), k.last4.c_str(),
                  formatIsoUtc(k.createdAt).c_str(),
                  k.revokedAt ? formatIsoUtc(*k.revokedAt).c_str() : "-", k.label.c_str());
    }
    return 0;
  }
  Status st = keys.revoke(*pid, a.positional[2]);  // revoke: the only command left
  if (!st) return userError(st.message());
  std::printf("revoked %s\n", a.positional[2].c_str());
  return 0;
}

int cmdJobs(const Args& a) {
  if (a.positional.size() < 2 || a.positional[1] != "schedule") {
    return usageError("jobs needs: schedule");
  }
  std::string project = opt(a, "--project"), url = opt(a, "--url"), at = opt(a, "--at");
  if (project.empty() || url.empty() || at.empty()) {
    return usageError("jobs schedule needs --project, --url and --at");
  }
  auto cfg = loadOrReport(a);
  if (!cfg) return 1;
  store::Db db(cfg->database.url, 1);
  applySealing(db, *cfg);
  auto pid = prepareProject(db, *cfg, project);
  if (!pid) return userError(pid.status().message());
  std::string payload = opt(a, "--payload", "{}");
  json::Writer w;
  w.beginObject();
  w.key("title").string(opt(a, "--title", "scheduled from the CLI"));
  w.key("webhookUrl").string(url);
  w.key("fireAt").string(at);
  auto parsed = json::parse(payload);
  if (!parsed) return userError("--payload is not valid JSON");
  w.key("payload").raw(payload);
  w.endObject();
  jobs::JobService svc(
      db, [cfg] { return cfg; }, systemClock());
  auto res = svc.schedule(*pid, w.str(), std::nullopt);
  if (!res) return userError(res.status().message());
  std::printf("%s\n", jobs::jobJson(res->job, false, false).c_str());
  return 0;
}

}  // namespace

int runCli(int argc, char** argv) {
  if (argc < 2) return usageError("a command is required");
  std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::printf("%s", kUsage);
    return 0;
  }
  if (cmd == "version" || cmd == "--version") {
    std::printf("dispatch %s\n", DISPATCH_VERSION);
    return 0;
  }
  // Its own options (--header repeats): parsed there.
  if (cmd == "transform") return runTransformCli(argc, argv, kUsage);
  if (cmd == "send") return runSend(argc, argv, kUsage);  // its own flags: --header repeats
  Args a;
  std::string err;
  if (!parseArgs(argc, argv, 1, &a, &err)) return usageError(err);
  if (a.help) {
    std::printf("%s", kUsage);
    return 0;
  }
  if (cmd == "serve") return runServer(opt(a, "--config", "config/dispatch.yaml"));
  log::setFd(2);  // the one-shot commands print results on stdout; log lines go to stderr
  if (cmd == "migrate") return cmdMigrate(a);
  if (cmd == "check-config") return cmdCheckConfig(a);
  if (cmd == "keys") return cmdKeys(a);
  if (cmd == "jobs") return cmdJobs(a);
  if (cmd == "replay") return cmdReplay(a);
  if (cmd == "redrive") return cmdRedrive(a);
  if (cmd == "rekey") return cmdRekey(a);
  return usageError("unknown command '" + cmd + "'");
}

}  // namespace dispatch::app
