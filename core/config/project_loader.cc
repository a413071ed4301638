// `projects:` → ProjectConfig: sources (checked against, and defaulted from, the signature
// preset table in core/verify/presets.h), destinations (unknown scalar keys are plugin options)
// and links.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/config/config_sections.h"
#include "core/util/path.h"
#include "core/verify/presets.h"

namespace dispatch::config::internal {
namespace {

constexpr const char kSlugRule[] = "must match [a-z0-9][a-z0-9_-]{0,62}";

// Names taken so far across all projects (slugs are global: they are URL paths).
struct Registry {
  std::set<std::string> projectNames;
  std::map<std::string, std::string> slugs;  // slug → key path of its first use
};

// What a `verify:` map spelled out, for checks that need the whole source.
struct VerifySeen {
  std::optional<Field> node, preset, secret, tolerance;
  bool presetValid = true;
  bool secretRefused = false;  // an entry broke the preset's rules (already reported)
};

bool isHeaderPrefix(const std::string& s) {
  if (s.empty() || s.size() > 32) return false;
  return std::all_of(s.begin(), s.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '-'; });
}

// A header name (request header we read, or one we send).
std::optional<std::string> headerName(Reader& r, const Field& f) {
  auto v = r.nonEmptyString(f);
  if (v && !isHeaderName(*v)) {
    r.error(f, "invalid header name");
    return std::nullopt;
  }
  return v;
}

// `verify.secret`: a string or a list, each entry checked against the preset's rule (none
// for an invalid preset) at its own line and column.
std::vector<std::string> readSecrets(Reader& r, const Field& f, const verify::Preset* preset,
                                     bool* refused) {
  return r.secretList(f, [&](std::string_view secret) -> std::optional<std::string> {
    if (preset == nullptr || preset->secretError == nullptr) return std::nullopt;
    auto problem = preset->secretError(preset->name, secret);
    if (problem) *refused = true;
    return problem;
  });
}

void readVerify(Reader& r, const Field& f, VerifyConfig& v, VerifySeen& seen) {
  seen.node = f;
  const std::vector<Key> keys = {
      {"preset",
       [&](const Field& x) {
         seen.preset = x;
         auto s = r.string(x);
         seen.presetValid = s && verify::findPreset(*s) != nullptr;
         if (seen.presetValid) {
           v.preset = *s;
         } else if (s) {
           r.error(x, "must be one of " + verify::presetNames());
         }
       }},
      {"secret", [&](const Field& x) { seen.secret = x; }},
      {"tolerance",
       [&](const Field& x) {
         seen.tolerance = x;
         set(v.toleranceMs, r.duration(x, true));
       }},
  };
  r.readMap(f, keys);
  // Read once the preset is known, whichever key came first.
  if (seen.secret) {
    const verify::Preset* preset = seen.presetValid ? verify::findPreset(v.preset) : nullptr;
    v.secrets = readSecrets(r, *seen.secret, preset, &seen.secretRefused);
  }
}

// Cross-key rules of a source: verify vs allow_unsigned, secrets per preset, tolerance.
void checkVerify(Reader& r, const Field& source, SourceConfig& s, const VerifySeen& seen) {
  if (!seen.node) {
    if (s.allowUnsigned) {
      s.verify.preset = verify::kUnsignedPreset;
    } else {
      r.error(source.node.Mark(), source.childPath("verify"),
              "required (or allow_unsigned: true for an unsigned test source)");
    }
    return;
  }
  const verify::Preset* preset = seen.presetValid ? verify::findPreset(s.verify.preset) : nullptr;
  if (preset == nullptr) return;
  const std::string name(preset->name);
  const Field& at = seen.preset ? *seen.preset : *seen.node;
  if (preset->auth == verify::Auth::kUnsigned && !s.allowUnsigned) {
    r.error(at, "preset " + name + " requires allow_unsigned: true on the source");
  }
  if (preset->keyed() && s.verify.secrets.empty() && !seen.secretRefused) {
    const Field& where = seen.secret ? *seen.secret : *seen.node;
    r.error(where.node.Mark(), seen.node->childPath("secret"), "required for preset " + name);
  }
  if (!preset->keyed() && !s.verify.secrets.empty()) {
    r.error(*seen.secret, "not used by preset " + name);
  }
  if (seen.tolerance && !preset->hasWindow) {
    r.error(*seen.tolerance, "only valid for presets " +
                                 verify::presetNames([](const auto& p) { return p.hasWindow; }));
  }
}

// Where the preset's sender puts its event type and delivery id, unless the source says.
void applyPresetDefaults(SourceConfig& s, bool eventTypeGiven, bool idempotencyGiven) {
  const verify::Preset* preset = verify::findPreset(s.verify.preset);
  if (preset == nullptr) return;
  if (!eventTypeGiven) {
    if (!preset->eventTypeHeader.empty()) s.eventType.header = preset->eventTypeHeader;
    if (!preset->eventTypePath.empty()) s.eventType.path = preset->eventTypePath;
  }
  if (!idempotencyGiven && !preset->idempotencyHeader.empty()) {
    s.idempotencyHeader = preset->idempotencyHeader;
  }
}

void readEventType(Reader& r, const Field& f, EventTypeConfig& e) {
  const std::vector<Key> keys = {
      {"header", [&](const Field& x) { set(e.header, headerName(r, x)); }},
      {"path", [&](const Field& x) { set(e.path, r.nonEmptyString(x)); }},
  };
  const bool isMap = r.readMap(f, keys);
  if (isMap && e.header.empty() == e.path.empty()) {
    r.error(f, "needs exactly one of header or path");
  }
}

void readSource(Reader& r, const Field& f, Registry& reg, SourceConfig& s) {
  VerifySeen seen;
  bool eventTypeGiven = false, idempotencyGiven = false;
  const std::vector<Key> keys = {
      {"slug",
       [&](const Field& x) {
         auto v = r.nonEmptyString(x);
         if (!v) return;
         s.slug = *v;
         if (!isSlug(*v)) return r.error(x, kSlugRule);
         auto [first, fresh] = reg.slugs.emplace(*v, x.path);
         if (!fresh) r.error(x, "duplicate slug '" + *v + "' (first at " + first->second + ")");
       },
       true},
      {"verify", [&](const Field& x) { readVerify(r, x, s.verify, seen); }},
      {"allow_unsigned", [&](const Field& x) { set(s.allowUnsigned, r.boolean(x)); }},
      {"event_type",
       [&](const Field& x) {
         eventTypeGiven = true;
         readEventType(r, x, s.eventType);
       }},
      {"idempotency_header",
       [&](const Field& x) {
         idempotencyGiven = true;
         set(s.idempotencyHeader, headerName(r, x));
       }},
  };
  r.readMap(f, keys);
  checkVerify(r, f, s, seen);
  applyPresetDefaults(s, eventTypeGiven, idempotencyGiven);
}

// `50/s`, `10/m`, `600/h`, or a bare number (per second).
std::optional<double> parseRate(const std::string& text) {
  const size_t slash = text.find('/');
  const std::string number = text.substr(0, slash);
  const std::string unit = slash == std::string::npos ? "s" : text.substr(slash + 1);
  const std::map<std::string, double> perSecond = {{"s", 1.0}, {"m", 60.0}, {"h", 3600.0}};
  auto divisor = perSecond.find(unit);
  if (number.empty() || divisor == perSecond.end()) return std::nullopt;
  std::istringstream in(number);
  double value = 0;
  if (!(in >> value) || !in.eof() || !std::isfinite(value) || value <= 0) return std::nullopt;
  return value / divisor->second;
}

void readHeaders(Reader& r, const Field& f, std::map<std::string, std::string>& out) {
  r.readMap(f, {}, [&](const std::string& name, const Field& x) {
    if (!isHeaderName(name)) return r.error(x, "invalid header name");
    auto v = r.string(x);
    if (!v) return;
    if (v->find_first_of("\r\n") != std::string::npos) {
      return r.error(x, "must not contain line breaks");
    }
    out[name] = *v;
  });
}

// `circuit_breaker: off`, or `{ failures: N, cool_down: D }` (either may be left out).
void readCircuitBreaker(Reader& r, const Field& f, CircuitBreakerConfig& cb) {
  if (f.node.IsScalar()) {
    auto v = r.string(f);
    if (!v) return;
    if (*v == "off") {
      cb.enabled = false;
      return;
    }
    return r.error(f, "must be off or a map { failures, cool_down }");
  }
  r.readMap(f, {{"failures",
                 [&](const Field& x) {
                   if (auto n = r.integer(x, 1, 1'000'000)) cb.failures = static_cast<int>(*n);
                 }},
                {"cool_down", [&](const Field& x) { set(cb.coolDownMs, r.duration(x, true)); }}});
}

void readDestination(Reader& r, const Field& f, std::set<std::string>& names,
                     DestinationConfig& d) {
  d.location = r.location(f.node);
  const std::vector<Key> keys = {
      {"name",
       [&](const Field& x) {
         set(d.name, r.nonEmptyString(x));
         if (!d.name.empty() && !names.insert(d.name).second) {
           r.error(x, "duplicate destination name '" + d.name + "'");
         }
       },
       true},
      {"type", [&](const Field& x) { set(d.type, r.nonEmptyString(x)); }, true},
      {"url", [&](const Field& x) { set(d.url, r.string(x)); }},
      {"events", [&](const Field& x) { set(d.events, r.globList(x)); }},
      {"filter", [&](const Field& x) { d.filter = readFilter(r, x); }},
      {"headers", [&](const Field& x) { readHeaders(r, x, d.headers); }},
      {"timeout", [&](const Field& x) { set(d.timeoutMs, r.duration(x, true)); }},
      {"retry", [&](const Field& x) { readRetry(r, x, d.retry); }},
      {"retry_on", [&](const Field& x) { readRetryOn(r, x, d.retry.retryOn); }},
      {"rate_limit",
       [&](const Field& x) {
         auto v = r.string(x);
         if (!v) return;
         d.rateLimitPerSec = parseRate(*v);
         if (!d.rateLimitPerSec) r.error(x, "must be a rate like 50/s or 10/m (or per second)");
       }},
      {"redact_response", [&](const Field& x) { set(d.redactResponse, r.boolean(x)); }},
      {"circuit_breaker", [&](const Field& x) { readCircuitBreaker(r, x, d.circuitBreaker); }},
      {"secret", [&](const Field& x) { d.secrets = r.secretList(x, whsecSecretError); }},
  };
  // Plugin-specific keys (template, path, …): the plugin validates them at startup.
  r.readMap(f, keys, [&](const std::string& key, const Field& x) {
    if (!x.node.IsNull() && !x.node.IsScalar()) return r.error(x, "plugin option must be a scalar");
    set(d.options[key], r.string(x));
  });
}

void readTransformFile(Reader& r, const Field& f, const std::string& baseDir, LinkConfig& l) {
  auto name = r.nonEmptyString(f);
  if (!name) return;
  l.transformName = *name;
  std::ifstream in(dispatch::resolvePath(baseDir, *name), std::ios::binary);
  std::ostringstream text;
  if (in.is_open()) text << in.rdbuf();
  if (!in.is_open() || in.bad() || text.str().empty()) {
    return r.error(f, "cannot read file '" + *name + "'");
  }
  l.lua = text.str();
}

// A link's source/destination by name, which must belong to `names` (its own project).
std::optional<std::string> readReference(Reader& r, const Field& f, const char* kind,
                                         const std::set<std::string>& names) {
  auto v = r.nonEmptyString(f);
  if (v && !names.count(*v)) r.error(f, std::string("unknown ") + kind + " '" + *v + "'");
  return v;
}

void readLink(Reader& r, const Field& f, const std::string& baseDir,
              const std::set<std::string>& sources, const std::set<std::string>& destinations,
              LinkConfig& l) {
  l.location = r.location(f.node);
  std::optional<Field> transform, lua;
  const std::vector<Key> keys = {
      {"source", [&](const Field& x) { set(l.source, readReference(r, x, "source", sources)); },
       true},
      {"destination",
       [&](const Field& x) {
         set(l.destination, readReference(r, x, "destination", destinations));
       },
       true},
      {"events", [&](const Field& x) { set(l.events, r.globList(x)); }},
      {"filter", [&](const Field& x) { l.filter = readFilter(r, x); }},
      {"transform",
       [&](const Field& x) {
         transform = x;
         readTransformFile(r, x, baseDir, l);
       }},
      {"lua",
       [&](const Field& x) {
         lua = x;
         set(l.lua, r.nonEmptyString(x));
       }},
  };
  r.readMap(f, keys);
  if (transform && lua) {
    r.error(*lua, "cannot be combined with transform");
  } else if (lua) {
    l.transformName = "<inline>";
  }
}

void readProjectParts(Reader& r, const std::string& baseDir, Registry& reg,
                      const std::optional<Field>& sources, const std::optional<Field>& destinations,
                      const std::optional<Field>& links, ProjectConfig& p) {
  // Links are checked against the project's sources and destinations, whichever comes first
  // in the file; names are recorded even when otherwise invalid to avoid follow-on errors.
  std::set<std::string> slugs, destinationNames;
  if (sources) {
    r.forEachItem(*sources, [&](const Field& x) {
      SourceConfig s;
      readSource(r, x, reg, s);
      slugs.insert(s.slug);
      p.sources.push_back(std::move(s));
    });
  }
  if (destinations) {
    std::set<std::string> seen;
    r.forEachItem(*destinations, [&](const Field& x) {
      DestinationConfig d;
      readDestination(r, x, seen, d);
      destinationNames.insert(d.name);
      p.destinations.push_back(std::move(d));
    });
  }
  if (links) {
    r.forEachItem(*links, [&](const Field& x) {
      LinkConfig l;
      readLink(r, x, baseDir, slugs, destinationNames, l);
      p.links.push_back(std::move(l));
    });
  }
}

void readProject(Reader& r, const Field& f, const std::string& baseDir, Registry& reg,
                 ProjectConfig& p, std::optional<Field>& encrypting) {
  std::optional<Field> sources, destinations, links;
  const std::vector<Key> keys = {
      {"name",
       [&](const Field& x) {
         set(p.name, r.nonEmptyString(x));
         if (p.name.empty()) return;
         if (!isSlug(p.name)) return r.error(x, kSlugRule);
         if (!reg.projectNames.insert(p.name).second) {
           r.error(x, "duplicate project name '" + p.name + "'");
         }
       },
       true},
      {"header_prefix",
       [&](const Field& x) {
         auto v = r.string(x);
         if (v && !isHeaderPrefix(*v)) return r.error(x, "must match [A-Za-z0-9-]{1,32}");
         set(p.headerPrefix, v);
       }},
      {"signing_secret",
       [&](const Field& x) { p.signingSecrets = r.secretList(x, whsecSecretError); }},
      {"retention", [&](const Field& x) { set(p.retentionMs, r.duration(x, true)); }},
      {"encrypt_payloads",
       [&](const Field& x) {
         set(p.encryptPayloads, r.boolean(x));
         if (p.encryptPayloads && !encrypting) encrypting = x;
       }},
      {"sources", [&](const Field& x) { sources = x; }},
      {"destinations", [&](const Field& x) { destinations = x; }},
      {"links", [&](const Field& x) { links = x; }},
  };
  r.readMap(f, keys);
  readProjectParts(r, baseDir, reg, sources, destinations, links, p);
}

}  // namespace

void readProjects(Reader& r, const Field& f, Config& config, std::optional<Field>& encrypting) {
  Registry reg;
  const bool isList = r.forEachItem(f, [&](const Field& x) {
    ProjectConfig p;
    readProject(r, x, config.baseDir, reg, p, encrypting);
    config.projects.push_back(std::move(p));
  });
  if (isList && config.projects.empty()) r.error(f, "at least one project is required");
}

}  // namespace dispatch::config::internal
