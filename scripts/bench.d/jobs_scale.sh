# shellcheck shell=bash
# jobs-scale — 1,000,000 pending jobs spread evenly over the next 24 h (smoke: 5,000), created
# through POST /api/v1/jobs by 16 keep-alive clients (tests/bench/sched_bench.cc); then
# Dispatch's RSS with all of them pending, and 20 probe jobs due 2 s later, 50 ms apart ("in
# the middle of them"), whose arrival − fireAt sched_bench's receiver records.
# Rows: creates_per_s (>= 3000), dispatch_rss (<= 262144 KiB), probe lateness max (<= 10 ms)
# and p50, probes lost (0), pending jobs in the store. Creation is cut off after 345 s (smoke:
# 60 s) to keep `all` bounded; jobs_created then says how many of the million were made.

# shellcheck source=scripts/bench.d/jobs_burst.sh
. "$ROOT/scripts/bench.d/jobs_burst.sh"

scenario_jobs_scale() {
  local n=1000000 max=345 out=$OUT/$SCENARIO.out yaml rc=0 rss pending
  [ "$MODE" = smoke ] && { n=5000; max=60; }
  bench_db_reset
  yaml=$(bench_yaml_jobs)
  bench_dispatch_start "$yaml"
  timeout 900 "$TOOLS/sched_bench" --port "$DISPATCH_PORT" --key "$API_KEY" --mode scale \
    --jobs "$n" --clients 16 --horizon-ms 86400000 --probes 20 --wait-s 10 --max-seconds "$max" >"$out" || rc=$?
  sed 's/^/sched_bench: /' "$out"
  [ "$rc" -eq 0 ] || echo "sched_bench exited $rc (lost probes or an error)"
  rss=$(bench_rss_kb "$DISPATCH_PID")
  pending=$(bench_psql -c "SELECT count(*) FROM jobs" 2>/dev/null || echo "?")
  bench_dispatch_stop
  bench_result "$SCENARIO" creates_per_s "$(jobs_kv "$out" creates_per_s)" jobs/s '>=' 3000
  bench_result "$SCENARIO" jobs_created "$(jobs_kv "$out" created)" jobs '>=' "$n"
  bench_result "$SCENARIO" create_failures "$(jobs_kv "$out" create_failures)" req '<=' 0
  bench_result "$SCENARIO" dispatch_rss "$rss" KiB '<=' 262144
  bench_result "$SCENARIO" jobs_in_store "$pending" jobs
  bench_result "$SCENARIO" probe_lateness_max "$(jobs_kv "$out" probe_lateness_max_ms)" ms '<=' 10
  bench_result "$SCENARIO" probe_lateness_p50 "$(jobs_kv "$out" probe_lateness_p50_ms)" ms
  bench_result "$SCENARIO" probes_lost "$(jobs_kv "$out" probe_lost)" jobs '<=' 0
  bench_result "$SCENARIO" probes_early "$(jobs_kv "$out" probe_early)" jobs '<=' 0
}
