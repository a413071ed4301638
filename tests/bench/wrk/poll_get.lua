-- wrk script: GET one list URL the way an open dashboard tab polls it (scripts/bench.d/
-- dashboard_poll.sh). The URL (path and query) is wrk's own argument.
--   BENCH_TOKEN    the bearer token (Authorization: Bearer …), as the dashboard sends it
--   BENCH_ETAG     optional: If-None-Match, the tag the tab holds (a matching one gets a 304)
--   BENCH_PACE_MS  optional: each connection waits this long after an answer before its next
--                  request (a tab polling once a second: 1000)
-- At the end it prints `key value` lines: poll_requests, poll_bytes_read (every byte of every
-- answer, headers included), poll_request_bytes (one request as sent), poll_status_errors.
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. assert(os.getenv("BENCH_TOKEN"), "BENCH_TOKEN is not set")
local etag = os.getenv("BENCH_ETAG")
if etag and etag ~= "" then
  wrk.headers["If-None-Match"] = etag
end
local pace = tonumber(os.getenv("BENCH_PACE_MS") or "")
if pace and pace > 0 then
  function delay()
    return pace
  end
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  -- A thread global, read back by done() through thread:get (Host is set by now).
  request_bytes = #wrk.format()
end

function done(summary, latency, requests)
  local rb = threads[1] and threads[1]:get("request_bytes") or 0
  io.write(string.format("poll_requests %d\npoll_bytes_read %d\npoll_request_bytes %d\npoll_status_errors %d\n",
    summary.requests, summary.bytes, rb, summary.errors.status))
end
