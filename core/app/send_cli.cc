// `dispatch send`: its flags, the config and FILE, and the one POST (core/app/send.h).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/app/cli_util.h"
#include "core/app/send.h"
#include "core/net/http_client.h"
#include "core/net/network_policy.h"
#include "core/util/log.h"
#include "core/util/time.h"
#include "core/util/uuid.h"

namespace dispatch::app {
namespace {

struct SendArgs {
  std::vector<std::string> positional;  // after "send": SLUG [FILE]
  std::string config = "config/dispatch.yaml";
  std::optional<std::string> url, ca;
  SendInput input;
  bool help = false;
};

// Its own parser, as --header repeats. `--name value` or `--name=value`, anywhere.
bool parseSendArgs(int argc, char** argv, SendArgs& a, std::string& err) {
  static const char* kValued[] = {"--config", "--type", "--key", "--url", "--ca", "--header"};
  for (int i = 2; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "--help" || s == "-h") {
      a.help = true;
      continue;
    }
    if (s.rfind("--", 0) != 0) {
      a.positional.push_back(s);
      continue;
    }
    std::string key = s, value;
    const size_t eq = s.find('=');
    if (eq != std::string::npos) key = s.substr(0, eq);
    if (std::find(std::begin(kValued), std::end(kValued), key) == std::end(kValued)) {
      err = "unknown option " + key;
      return false;
    }
    if (eq != std::string::npos) {
      value = s.substr(eq + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      err = key + " needs a value";
      return false;
    }
    if (key == "--config") a.config = value;
    if (key == "--type") a.input.type = value;
    if (key == "--key") a.input.apiKey = value;
    if (key == "--url") a.url = value;
    if (key == "--ca") a.ca = value;
    if (key == "--header") {
      auto h = parseHeaderFlag(value);
      if (!h) {
        err = h.status().message();
        return false;
      }
      a.input.headers.push_back(std::move(h).value());
    }
  }
  return true;
}

// Where the event type travels, for the line on stderr (a type is no secret).
std::string typeNote(const config::SourceConfig& source, const SendInput& input) {
  const config::EventTypeConfig& et = source.eventType;
  if (!et.header.empty()) {
    return input.type ? "type \"" + *input.type + "\" in " + et.header : "no " + et.header;
  }
  if (!et.path.empty()) return "type from the body at '" + et.path + "'";
  return "no event_type";
}

}  // namespace

int runSend(int argc, char** argv, const char* usage) {
  SendArgs a;
  std::string err;
  if (!parseSendArgs(argc, argv, a, err)) return usageError(err, usage);
  if (a.help) {
    std::printf("%s", usage);
    return 0;
  }
  if (a.positional.empty()) return usageError("send needs a source SLUG", usage);
  if (a.positional.size() > 2) {
    return usageError("send takes SLUG and at most one FILE (got '" + a.positional[2] + "')",
                      usage);
  }
  if (a.url) {
    auto parsed = net::parseUrl(*a.url);
    if (!parsed) return usageError("--url: " + parsed.status().message(), usage);
  }
  log::setFd(2);

  // send reads no database, so a shell without DATABASE_URL (the usual `url: ${DATABASE_URL}`)
  // must not make the config invalid; every other variable, secrets included, is required.
  const config::EnvLookup env = [process = config::processEnv()](const std::string& name) {
    std::optional<std::string> value = process(name);
    if ((!value || value->empty()) && name == "DATABASE_URL") {
      value = "postgresql://unused-by-dispatch-send";
    }
    return value;
  };
  auto loaded = config::loadFile(a.config, env);
  for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.c_str());
  if (!loaded.config) return 1;
  const config::Config& cfg = *loaded.config;

  const std::string& slug = a.positional[0];
  const config::SourceConfig* source = nullptr;
  std::string known;
  for (const auto& p : cfg.projects) {
    for (const auto& s : p.sources) {
      if (s.slug == slug) source = &s;
      known += (known.empty() ? "" : ", ") + s.slug;
    }
  }
  if (source == nullptr) {
    return userError("unknown source '" + slug + "' (" +
                     (known.empty() ? std::string("the config has no sources")
                                    : "the config's sources: " + known) +
                     ")");
  }

  if (a.positional.size() == 2) {
    a.input.body = readInput(a.positional[1]);
    if (!a.input.body) return userError("cannot read " + a.positional[1]);
  }
  auto request = buildSendRequest(*source, a.input, nowMs() / 1000, newUuidV7());
  if (!request) {
    if (request.status().code() == Code::kInvalid) {
      return usageError(request.status().message(), usage);
    }
    return userError(request.status().message());
  }

  std::string base;
  if (a.url) {
    base = *a.url;
  } else {
    auto fromConfig = serverBaseUrl(cfg.server);
    if (!fromConfig) return userError(fromConfig.status().message());
    base = fromConfig.value();
  }
  net::HttpRequest http;
  http.url = hookUrl(base, slug);
  http.headers = request->headers;
  http.body = request->body;

  net::ClientOptions options;
  // The user names the server: a loopback or private address over http is the usual case.
  options.policy = {.allowHttp = true, .allowPrivateNetworks = true};
  // The server's own certificate is trusted beside the system CAs, so a self-signed one works.
  options.caFile = a.ca.value_or(cfg.server.tlsCert);
  std::unique_ptr<net::HttpClient> client;
  try {
    client = std::make_unique<net::HttpClient>(options);
  } catch (const std::exception& e) {
    return userError(e.what());
  }

  std::fprintf(stderr, "POST %s (%zu bytes, preset %s, %s)\n", http.url.c_str(), http.body.size(),
               source->verify.preset.c_str(), typeNote(*source, a.input).c_str());
  net::HttpResponse response = client->send(http);
  if (response.error != net::HttpResponse::Error::kNone) {
    return userError("POST " + http.url + ": " + response.errorText);
  }
  std::printf("HTTP %d\n", response.status);
  std::fwrite(response.body.data(), 1, response.body.size(), stdout);
  if (!response.body.empty() && response.body.back() != '\n') std::fputc('\n', stdout);
  return response.status >= 200 && response.status < 300 ? 0 : 1;
}

}  // namespace dispatch::app
