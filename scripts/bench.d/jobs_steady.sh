# shellcheck shell=bash
# jobs-steady — 1,000 jobs/s due continuously for 30 s, each at its own millisecond (smoke:
# 100/s for 3 s). The 30,000 jobs are created ahead through POST /api/v1/jobs by 16 clients
# (tests/bench/sched_bench.cc), due at base + i ms, base chosen so creation ends first; its
# receiver records arrival − fireAt. Rows: lateness p50, p99 (<= 10 ms), max; early, lost,
# duplicates (all 0). Peer: graphile-worker, the same jobs added in bulk (run_at spread the
# same way, 5 s ahead), batched mode, pollInterval 100 ms (see jobs_burst.sh).

# shellcheck source=scripts/bench.d/jobs_burst.sh
. "$ROOT/scripts/bench.d/jobs_burst.sh"

scenario_jobs_steady() {
  local rate=1000 secs=30 out=$OUT/$SCENARIO.out gout=$OUT/$SCENARIO-graphile-recv.out
  [ "$MODE" = smoke ] && { rate=100; secs=3; }
  jobs_lateness_run $((rate * secs)) $((secs * 1000)) 30 "$out"
  jobs_graphile_lateness $((rate * secs)) $((secs * 1000)) "$gout"
  bench_result "$SCENARIO" lateness_p50 "$(jobs_kv "$out" lateness_p50_ms)" ms
  bench_result "$SCENARIO" lateness_p99 "$(jobs_kv "$out" lateness_p99_ms)" ms '<=' 10
  bench_result "$SCENARIO" lateness_max "$(jobs_kv "$out" lateness_max_ms)" ms
  bench_result "$SCENARIO" early "$(jobs_kv "$out" early)" jobs '<=' 0
  bench_result "$SCENARIO" lost "$(jobs_kv "$out" lost)" jobs '<=' 0
  bench_result "$SCENARIO" duplicates "$(jobs_kv "$out" duplicates)" jobs '<=' 0
  bench_result "$SCENARIO" created_before_due "$(jobs_kv "$out" created_ms_before_first_due)" ms '>=' 0
  bench_result "$SCENARIO" graphile_lateness_p50 "$(jobs_kv "$gout" lateness_p50_ms)" ms
  bench_result "$SCENARIO" graphile_lateness_p99 "$(jobs_kv "$gout" lateness_p99_ms)" ms
  bench_result "$SCENARIO" graphile_lateness_max "$(jobs_kv "$gout" lateness_max_ms)" ms
  bench_result "$SCENARIO" graphile_lost "$(jobs_kv "$gout" lost)" jobs
  bench_result "$SCENARIO" graphile_p99_over_dispatch_p99 \
    "$(bench_ratio "$(jobs_kv "$gout" lateness_p99_ms)" "$(jobs_kv "$out" lateness_p99_ms)")" x
}
