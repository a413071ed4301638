# shellcheck shell=bash
# slow-receivers — 10 % of destinations answer after 5 s, the rest at once: do the fast ones
# keep their rate? One source (preset hmac) linked to 20 webhook destinations; 2 point to a
# "slow" port, 18 to a fast one, both served by tests/bench/slow_bench.cc on 127.0.0.1 (one
# thread per connection, up to 2,048 on the slow port). The same Dispatch gets the same
# paced load twice — 50 signed 1 KB events/s (1,000 deliveries/s) for 15 s (smoke: 20/s for
# 3 s): first with the slow port answering at once (baseline), then after 5 s. For each
# phase, fast deliveries/s = deliveries to the 18 fast destinations of that phase's events
# that reached the receiver by the end of the phase + 1 s, per second of the phase.
# Rows: fast deliveries/s in both phases, the drop (< 20 %), fast-delivery latency p99.

# shellcheck source=scripts/bench.d/jobs_burst.sh
. "$ROOT/scripts/bench.d/jobs_burst.sh"

# slow_yaml NDEST NSLOW FAST_PORT SLOW_PORT: a router config, destination k at
# http://127.0.0.1:<port>/d/<k> (k < NSLOW on SLOW_PORT).
slow_yaml() {
  local n=$1 nslow=$2 fast=$3 slow=$4 f="$OUT/$SCENARIO-router.yaml" k port
  {
    _bench_yaml_router_head
    for k in $(seq 0 $((n - 1))); do
      port=$fast
      [ "$k" -lt "$nslow" ] && port=$slow
      printf '      - { name: d%d, type: webhook, url: "http://127.0.0.1:%s/d/%d" }\n' "$k" "$port" "$k"
    done
    echo "    links:"
    for k in $(seq 0 $((n - 1))); do
      printf '      - { source: bench, destination: d%d }\n' "$k"
    done
  } >"$f"
  echo "$f"
}

scenario_slow_receivers() {
  local rate=50 secs=15 dests=20 nslow=2 out=$OUT/$SCENARIO.out yaml rc=0
  local slow_port=$((PEER_PORT + 8))
  [ "$MODE" = smoke ] && { rate=20; secs=3; }
  bench_db_reset
  yaml=$(slow_yaml "$dests" "$nslow" "$RECV_PORT" "$slow_port")
  bench_dispatch_start "$yaml"
  timeout $((2 * secs + 60)) "$TOOLS/slow_bench" --port "$DISPATCH_PORT" --slug bench \
    --secret "$HMAC_SECRET" --fast-port "$RECV_PORT" --slow-port "$slow_port" --dests "$dests" \
    --slow-dests "$nslow" --rate "$rate" --seconds "$secs" --slow-ms 5000 >"$out" || rc=$?
  sed 's/^/slow_bench: /' "$out"
  [ "$rc" -eq 0 ] || echo "slow_bench exited $rc"
  bench_dispatch_stop
  bench_result "$SCENARIO" baseline_fast_per_s "$(jobs_kv "$out" baseline_fast_per_s)" del/s
  bench_result "$SCENARIO" slow_fast_per_s "$(jobs_kv "$out" slow_fast_per_s)" del/s
  bench_result "$SCENARIO" fast_drop "$(jobs_kv "$out" fast_drop_pct)" % '<=' 20
  bench_result "$SCENARIO" baseline_fast_p99 "$(jobs_kv "$out" baseline_fast_latency_p99_ms)" ms
  bench_result "$SCENARIO" slow_fast_p99 "$(jobs_kv "$out" slow_fast_latency_p99_ms)" ms
}
