# shellcheck shell=bash
# jobs-steady — 1,000 jobs/s due continuously for 30 s, each at its own millisecond (smoke:
# 100/s for 3 s). The 30,000 jobs are created ahead through POST /api/v1/jobs by 16 clients
# (tests/bench/sched_bench.cc), due at base + i ms, base chosen so creation ends first; its
# receiver records arrival − fireAt. Rows: lateness p50, p99 (<= 10 ms), max; early, lost,
# duplicates (all 0).

# shellcheck source=scripts/bench.d/jobs_burst.sh
. "$ROOT/scripts/bench.d/jobs_burst.sh"

scenario_jobs_steady() {
  local rate=1000 secs=30 out=$OUT/$SCENARIO.out
  [ "$MODE" = smoke ] && { rate=100; secs=3; }
  jobs_lateness_run $((rate * secs)) $((secs * 1000)) 30 "$out"
  bench_result "$SCENARIO" lateness_p50 "$(jobs_kv "$out" lateness_p50_ms)" ms
  bench_result "$SCENARIO" lateness_p99 "$(jobs_kv "$out" lateness_p99_ms)" ms '<=' 10
  bench_result "$SCENARIO" lateness_max "$(jobs_kv "$out" lateness_max_ms)" ms
  bench_result "$SCENARIO" early "$(jobs_kv "$out" early)" jobs '<=' 0
  bench_result "$SCENARIO" lost "$(jobs_kv "$out" lost)" jobs '<=' 0
  bench_result "$SCENARIO" duplicates "$(jobs_kv "$out" duplicates)" jobs '<=' 0
  bench_result "$SCENARIO" created_before_due "$(jobs_kv "$out" created_ms_before_first_due)" ms '>=' 0
}
