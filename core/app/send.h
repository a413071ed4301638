// `dispatch send SLUG [FILE.json]` (contracts/transforms.md, cli.md): a sample event signed as
// the source's sender would sign it, with the source's own preset and first secret from the
// config, POSTed to a running server's /hooks/SLUG. The request is built by pure functions
// (here, tested alone); runSend() adds the files, the clock and the network.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config/config.h"
#include "core/util/status.h"

namespace dispatch::app {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// What the command line asks for, beside the source.
struct SendInput {
  std::optional<std::string> body;    // FILE's bytes; nullopt: the default body
  std::optional<std::string> type;    // --type
  std::optional<std::string> apiKey;  // --key
  HeaderList headers;                 // --header, in order
};

struct SendRequest {
  std::string body;
  HeaderList headers;  // in sending order
};

// The request the source's sender would make: Content-Type: application/json; `--type` in the
// header the source's `event_type` names (or, for a body path, in the default body, or
// checked against FILE's value there); a fresh `messageId` in the source's
// `idempotency_header`; the preset's signature headers over the exact body, signed with the
// first non-empty secret, or `Authorization: Bearer <key>` for api-key; then each --header,
// replacing a header of the same name (any case) or added. Without FILE the body is `{}`,
// holding the type at its path when the type is read from the body. Errors: kInvalid for bad
// usage (a flag the source cannot take, a missing --key), never quoting a secret; kConflict when
// the config's secret cannot sign.
Result<SendRequest> buildSendRequest(const config::SourceConfig& source, const SendInput& input,
                                     int64_t nowSec, std::string_view messageId);

// `Name: value` of a --header flag: the name an HTTP token, the value without CR, LF or NUL,
// blanks around both trimmed. kInvalid otherwise.
Result<std::pair<std::string, std::string>> parseHeaderFlag(std::string_view text);

// The base URL of the server `server` configures: https when it has `tls`, else http, and the
// `listen` address with a wildcard host (0.0.0.0, ::) replaced by loopback. kInvalid when the
// port is 0 (any free port: only --url can say which).
Result<std::string> serverBaseUrl(const config::ServerConfig& server);

// `<base>/hooks/<slug>`, with one slash between base and path however `base` ends.
std::string hookUrl(std::string_view base, std::string_view slug);

// Runs `dispatch send …` (`argv` as main got it, argv[1] being "send") and returns the exit
// code: 0 on a 2xx answer, 1 on another answer or a user error, 2 on bad usage (then `usage`
// follows the message on stderr; `--help` prints it on stdout).
int runSend(int argc, char** argv, const char* usage);

}  // namespace dispatch::app
