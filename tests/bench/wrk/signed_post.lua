-- wrk script: POST one signed body on every request.
-- The body and its signature come from the environment (scripts/bench.d/ingest.sh makes
-- them): preset hmac signs the body alone, with no timestamp, so one signature stays valid
-- for the whole run and wrk does no per-request Lua work.
--   BENCH_BODY        the JSON body
--   BENCH_SIG_HEADER  header name (default X-Hub-Signature-256)
--   BENCH_SIG         header value, "sha256=<hex>"
wrk.method = "POST"
wrk.body = assert(os.getenv("BENCH_BODY"), "BENCH_BODY is not set")
wrk.headers["Content-Type"] = "application/json"
wrk.headers[os.getenv("BENCH_SIG_HEADER") or "X-Hub-Signature-256"] =
  assert(os.getenv("BENCH_SIG"), "BENCH_SIG is not set")
