# shellcheck shell=bash
# jobs-burst — 10,000 jobs due in the same millisecond (smoke: 1,000), created through
# POST /api/v1/jobs by 16 keep-alive clients (tests/bench/sched_bench.cc). The common fireAt
# is a whole second chosen after a calibration batch so that creation ends before it
# (created_ms_before_first_due > 0 says it did). sched_bench's receiver on 127.0.0.1 records
# arrival − fireAt for each job. Rows: lateness p50 (<= 10 ms), p99 (<= 250 ms), max; early,
# lost and duplicate jobs (all must be 0); the create rate of the run.

# jobs_kv FILE KEY: the value of a `key value` line of a tool's output ("?" if absent).
jobs_kv() { awk -v k="$2" '$1 == k { v = $2 } END { print (v == "" ? "?" : v) }' "$1"; }

# jobs_lateness_run N SPREAD_MS WAIT_S OUTFILE: an empty database, Dispatch, sched_bench.
jobs_lateness_run() {
  local n=$1 spread=$2 wait=$3 out=$4 yaml rc=0
  bench_db_reset
  yaml=$(bench_yaml_jobs)
  bench_dispatch_start "$yaml"
  timeout $((wait + 300)) "$TOOLS/sched_bench" --port "$DISPATCH_PORT" --key "$API_KEY" \
    --mode lateness --jobs "$n" --spread-ms "$spread" --clients 16 --wait-s "$wait" >"$out" || rc=$?
  sed 's/^/sched_bench: /' "$out"
  [ "$rc" -eq 0 ] || echo "sched_bench exited $rc (lost jobs or an error)"
  JOBS_RSS_KB=$(bench_rss_kb "$DISPATCH_PID")
  bench_dispatch_stop
}

scenario_jobs_burst() {
  local n=10000 out=$OUT/$SCENARIO.out
  [ "$MODE" = smoke ] && n=1000
  jobs_lateness_run "$n" 0 60 "$out"
  bench_result "$SCENARIO" lateness_p50 "$(jobs_kv "$out" lateness_p50_ms)" ms '<=' 10
  bench_result "$SCENARIO" lateness_p99 "$(jobs_kv "$out" lateness_p99_ms)" ms '<=' 250
  bench_result "$SCENARIO" lateness_max "$(jobs_kv "$out" lateness_max_ms)" ms
  bench_result "$SCENARIO" early "$(jobs_kv "$out" early)" jobs '<=' 0
  bench_result "$SCENARIO" lost "$(jobs_kv "$out" lost)" jobs '<=' 0
  bench_result "$SCENARIO" duplicates "$(jobs_kv "$out" duplicates)" jobs '<=' 0
  bench_result "$SCENARIO" creates_per_s "$(jobs_kv "$out" creates_per_s)" jobs/s
  bench_result "$SCENARIO" created_before_due "$(jobs_kv "$out" created_ms_before_first_due)" ms '>=' 0
}
