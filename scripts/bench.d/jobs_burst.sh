# shellcheck shell=bash
# jobs-burst — 10,000 jobs due in the same millisecond (smoke: 1,000), created through
# POST /api/v1/jobs by 16 keep-alive clients (tests/bench/sched_bench.cc). The common fireAt
# is a whole second chosen after a calibration batch so that creation ends before it
# (created_ms_before_first_due > 0 says it did). sched_bench's receiver on 127.0.0.1 records
# arrival − fireAt for each job. Rows: lateness p50 (<= 10 ms), p99 (<= 250 ms), max; early,
# lost and duplicate jobs (all must be 0); the create rate of the run.
# Peer: graphile-worker (tests/bench/peers/graphile) in its batched mode with pollInterval
# 100 ms (its default is 2 s; a job added with a future run_at is found by polling), the same
# N jobs added in bulk with one run_at 5 s ahead, the worker started before it; its task POSTs
# to sched_bench's receiver (--mode receive on PEER_PORT+7). Rows graphile_lateness_*.

# shellcheck source=tests/bench/peers/graphile/peer.sh
. "$ROOT/tests/bench/peers/graphile/peer.sh"

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

# jobs_graphile_lateness N SPREAD_MS OUTFILE: graphile-worker's lateness for N jobs due at
# at + i·SPREAD_MS/N (SPREAD_MS 0: all in one instant).
jobs_graphile_lateness() {
  local n=$1 spread=$2 out=$3 rport=$((PEER_PORT + 7)) wait=60 at rc=0 gwout=$OUT/$SCENARIO-graphile.out
  gw_install
  bench_db_reset
  at=$(( ($(date +%s%3N) + 5000) / 1000 * 1000 + 1000 ))
  "$TOOLS/sched_bench" --mode receive --receiver-port "$rport" --jobs "$n" \
    --deadline-ms $((at + spread + wait * 1000)) >"$out" &
  local recv=$!
  bench_track "$recv"
  bench_wait_port "$rport"
  gw_add "$n" "$at" "$spread" >/dev/null
  (cd "$GW_DIR" && RECV_URL="http://127.0.0.1:$rport/m" GW_MODE=batched GW_POLL_MS=100 \
    exec timeout $((wait + spread / 1000 + 30)) node run.js fire "$n" $((wait + spread / 1000 + 10))) >"$gwout" 2>&1 &
  local gw=$!
  bench_track "$gw"
  echo "graphile-worker $(gw_version): $n jobs added, due in $((at - $(date +%s%3N))) ms"
  wait "$recv" || rc=$?
  bench_untrack_kill "$recv"
  # The worker stops by itself once it ran N jobs (it prints its counts then).
  local _
  for _ in $(seq 150); do kill -0 "$gw" 2>/dev/null || break; sleep 0.1; done
  bench_untrack_kill "$gw"
  sed 's/^/graphile: /' "$gwout" "$out"
  [ "$rc" -eq 0 ] || echo "graphile: receiver exited $rc (lost jobs or an error)"
}

scenario_jobs_burst() {
  local n=10000 out=$OUT/$SCENARIO.out gout=$OUT/$SCENARIO-graphile-recv.out
  [ "$MODE" = smoke ] && n=1000
  jobs_lateness_run "$n" 0 60 "$out"
  jobs_graphile_lateness "$n" 0 "$gout"
  bench_result "$SCENARIO" lateness_p50 "$(jobs_kv "$out" lateness_p50_ms)" ms '<=' 10
  bench_result "$SCENARIO" lateness_p99 "$(jobs_kv "$out" lateness_p99_ms)" ms '<=' 250
  bench_result "$SCENARIO" lateness_max "$(jobs_kv "$out" lateness_max_ms)" ms
  bench_result "$SCENARIO" early "$(jobs_kv "$out" early)" jobs '<=' 0
  bench_result "$SCENARIO" lost "$(jobs_kv "$out" lost)" jobs '<=' 0
  bench_result "$SCENARIO" duplicates "$(jobs_kv "$out" duplicates)" jobs '<=' 0
  bench_result "$SCENARIO" creates_per_s "$(jobs_kv "$out" creates_per_s)" jobs/s
  bench_result "$SCENARIO" dispatch_rss "$((JOBS_RSS_KB / 1024))" MiB
  bench_result "$SCENARIO" created_before_due "$(jobs_kv "$out" created_ms_before_first_due)" ms '>=' 0
  bench_result "$SCENARIO" graphile_lateness_p50 "$(jobs_kv "$gout" lateness_p50_ms)" ms
  bench_result "$SCENARIO" graphile_lateness_p99 "$(jobs_kv "$gout" lateness_p99_ms)" ms
  bench_result "$SCENARIO" graphile_lateness_max "$(jobs_kv "$gout" lateness_max_ms)" ms
  bench_result "$SCENARIO" graphile_early "$(jobs_kv "$gout" early)" jobs
  bench_result "$SCENARIO" graphile_lost "$(jobs_kv "$gout" lost)" jobs
  bench_result "$SCENARIO" graphile_p99_over_dispatch_p99 \
    "$(bench_ratio "$(jobs_kv "$gout" lateness_p99_ms)" "$(jobs_kv "$out" lateness_p99_ms)")" x
}
