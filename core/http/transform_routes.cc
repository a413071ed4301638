// The transform playground: POST /api/v1/transforms/run (contracts/transforms.md, "Writing and
// testing a transform"). Runs a script once on a given or stored event; nothing is stored or
// sent. The rules and the scoping are EventService's.
#include "core/http/api.h"
#include "core/http/envelope.h"
#include "core/util/json.h"

namespace dispatch::http {
namespace {

const char* outcomeName(transform::Output::Kind k) {
  switch (k) {
    case transform::Output::Kind::kDeliver:
      return "deliver";
    case transform::Output::Kind::kDrop:
      return "drop";
    case transform::Output::Kind::kError:
      break;
  }
  return "error";
}

// {"outcome","type","headersOut","body","error","logs","durationUs"}: the fields of another
// outcome are null (a drop has no body; only an error has `error`).
void writeTrial(json::Writer& w, const transform::TrialResult& t) {
  const transform::Output& o = t.output;
  const bool deliver = o.kind == transform::Output::Kind::kDeliver;
  w.beginObject();
  w.key("outcome").string(outcomeName(o.kind));
  w.key("type");
  deliver ? w.string(o.type) : w.null();
  w.key("headersOut");
  if (deliver) {
    w.beginObject();
    for (const auto& [name, value] : o.headersOut) w.key(name).string(value);
    w.endObject();
  } else {
    w.null();
  }
  w.key("body");
  deliver ? w.raw(transform::bodyAsJson(o.body)) : w.null();
  w.key("error");
  o.kind == transform::Output::Kind::kError ? w.string(o.error) : w.null();
  w.key("logs").beginArray();
  for (const auto& line : t.logs) w.string(line);
  w.endArray();
  w.key("durationUs").number(t.durationUs);
  w.endObject();
}

Response runTransform(Request& req, ApiContext& ctx) {
  auto caller = authenticate(req, ctx);
  if (!caller) return errorResponse(caller.status());
  if (auto r = requireJson(req)) return *r;
  auto trial = ingest::readTransformTrial(req.body);
  if (!trial) return errorResponse(trial.status());
  auto result = ctx.events.tryTransform(caller->scope(), *trial);
  if (!result) return errorResponse(result.status());
  json::Writer w;
  writeTrial(w, *result);
  return envelope(200, "Transform run", w.str());
}

}  // namespace

void addTransformRoutes(Router& router, ApiContext& ctx) {
  router.add("POST", "/api/v1/transforms/run", [&ctx](Request& r) { return runTransform(r, ctx); });
}

}  // namespace dispatch::http
