-- A Dispatch link transform (not a wrk script) for the fan-out scenario: reshapes the bench
-- event the way a real integration does (pick fields, rename, drop the bulk, add headers),
-- so the measured cost includes decoding the body, running Lua and encoding the result.
function transform(event)
  local b = event.body
  if type(b) ~= "table" then return nil end
  local pad = type(b.pad) == "string" and b.pad or ""
  event.body = {
    kind = event.type,
    source = event.source,
    size = #pad,
    digest = pad:sub(1, 16),
    tags = { "bench", "fan-out" },
  }
  event.type = "bench.reshaped"
  event.headers_out = { ["X-Bench"] = "fan-out" }
  return event
end
