# shellcheck shell=bash
# Scenario latency (issue 4, #4): ingest → receiver latency at a steady 1,000 events/s for
# 30 s (smoke: 100/s for 2 s). tests/bench/ingest_bench paces signed 1 KB bodies that carry
# their send time and runs the recording receiver on RECV_PORT (one destination). 32 senders,
# one request in flight each: the schedule holds while requests take under 32 ms; the tool
# reports how late requests left (send_lag) and the rate actually sent.

scenario_latency() {
  local rate=1000 secs=30 yaml f="$OUT/latency.out" rc=0
  [ "$MODE" = smoke ] && { rate=100; secs=2; }
  bench_db_reset
  yaml=$(bench_yaml_router 1)
  bench_dispatch_start "$yaml"
  timeout $((secs + 60)) "$TOOLS/ingest_bench" --port "$DISPATCH_PORT" --slug bench \
    --secret "$HMAC_SECRET" --receiver-port "$RECV_PORT" --rate "$rate" --seconds "$secs" \
    --senders 32 >"$f" 2>&1 || rc=$?
  cat "$f"
  bench_dispatch_stop
  # Exit 1 only means "not every accepted event arrived": reported below, not an error.
  [ "$rc" -le 1 ] || { echo "ingest_bench failed (exit $rc)" >&2; return 1; }
  local accepted failed delivered p50 p99 max
  read -r accepted failed delivered < <(awk '/^e2e_accepted/{print $2, $4, $6}' "$f")
  p50=$(awk '/^e2e_latency_ms_p50/{print $2}' "$f")
  p99=$(awk '/^e2e_latency_ms_p99/{print $2}' "$f")
  max=$(awk '/^e2e_latency_ms_max/{print $2}' "$f")
  bench_result latency rate "$rate" ev/s
  bench_result latency sent_per_s "$(awk '/^e2e_sent_per_s/{print $2}' "$f")" ev/s
  bench_result latency send_lag_p99 "$(awk '/^send_lag_ms_p99/{print $2}' "$f")" ms
  bench_result latency e2e_p50 "$p50" ms '<=' 5
  bench_result latency e2e_p99 "$p99" ms '<=' 30
  bench_result latency e2e_max "$max" ms
  bench_result latency delivered_of_sent "$(bench_ratio "$delivered" "$((rate * secs))")" x '>=' 1
  [ "$failed" -eq 0 ] || bench_result latency ingest_failures "$failed" req
  [ -n "$accepted" ]
}
