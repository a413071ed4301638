// `FILE.test.yaml`, the test cases kept beside a transform `FILE.lua` (contracts/transforms.md,
// "Writing and testing a transform"): read into plain values, bodies as JSON text, so whoever
// runs them (core/app) needs no YAML. Running them is not done here.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dispatch::config {

// The event id a case runs with unless it sets `event.id`.
inline constexpr const char* kTestEventId = "00000000-0000-0000-0000-000000000000";

struct TransformTestCase {
  std::string name;
  std::string location;  // "file:line:col" of the case
  struct Event {
    // The request body bytes: a YAML map or list as its JSON encoding, a scalar as its text,
    // `body:` left empty as no bytes. Default (no `body`): {}.
    std::string body = "{}";
    std::string type;
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
    std::vector<std::pair<std::string, std::string>> query;
    std::string source;
    std::string id = kTestEventId;
  } event;
  struct Expect {
    std::string outcome;              // "deliver", "drop" or "error"
    std::optional<std::string> type;  // deliver only
    // deliver only: JSON text, compared as a JSON value with the delivered body as
    // transform::bodyAsJson shows it (a quoted YAML scalar is a string, a plain one is typed).
    std::optional<std::string> bodyJson;
    // deliver only: the whole of event.headers_out, names compared without case.
    std::optional<std::vector<std::pair<std::string, std::string>>> headersOut;
    std::optional<std::string> error;  // error only: a part of the error text
  } expect;
};

struct TransformTestFile {
  std::vector<TransformTestCase> cases;
  // Each `file:line:col: key.path: message`, or `file: cannot read file`. Cases are only
  // meaningful when this is empty.
  std::vector<std::string> errors;
};

// The path of the test file of transform `luaPath`: its `.lua` replaced by `.test.yaml`
// (`t.lua` → `t.test.yaml`; a name without `.lua` gets `.test.yaml` added).
std::string transformTestPath(const std::string& luaPath);

// Reads and checks a test file: a list of {name, event: {body, type, headers, query, source,
// id}, expect: {outcome, type, body, headers_out, error}}. Never throws.
TransformTestFile loadTransformTests(const std::string& path);
// The same over text; `displayPath` names it in errors.
TransformTestFile parseTransformTests(const std::string& yaml, const std::string& displayPath);

}  // namespace dispatch::config
