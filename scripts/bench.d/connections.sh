# shellcheck shell=bash
# Scenario connections: does ingest keep its latency while many connections are held open?
# tests/bench/conn_bench (one thread, epoll, 127.0.0.1) holds 10,000 idle keep-alive
# connections (each had one GET /healthz answered) and 1,000 slowloris connections (a header
# trickled one byte per second, never ended; reopened when the server times it out) on
# Dispatch (smoke: 200 and 20). Once all are established (bounded wait: 30 s, smoke 15 s; the
# load runs anyway after it), tests/bench/ingest_bench paces 1,000 signed events/s for 30 s
# from 32 senders (smoke: 100/s for 2 s), as in `latency`. Dispatch's RSS is sampled every
# second from its start to the end of the load.
# Rows: e2e p50, p99 (<= 10 ms), ingest failures (0), delivered of sent, Dispatch's max RSS
# (<= 256 MiB), idle and slowloris connections still open at the end (all of them).
# The server section gets max_connections: 20000 (10,000 + 1,000 + the load exceed the 10,000
# default) when the binary knows the key (check-config says so). The scenario's subshell
# raises its soft open-files limit to the hard one: Dispatch and conn_bench inherit it.

# conn_kv FILE KEY: the value of a `key value` line of a tool's output ("?" if absent).
conn_kv() { awk -v k="$2" '$1 == k { v = $2 } END { print (v == "" ? "?" : v) }' "$1"; }
# conn_ms FILE KEY: a latency figure of ingest_bench ("-" when it measured none: it prints -1,
# which must not pass a `<=` bar).
conn_ms() { awk -v k="$2" '$1 == k { v = $2 } END { print (v == "" || v < 0 ? "-" : v) }' "$1"; }

# conn_yaml: prints the path of bench_yaml_router 1 with max_connections: 20000 added to its
# server section (left out, with a note, when this binary's check-config rejects the key).
conn_yaml() {
  local yaml
  yaml=$(bench_yaml_router 1)
  sed -i 's/^\(server: {.*\) }$/\1, max_connections: 20000 }/' "$yaml"
  if ! "$BIN" check-config --config "$yaml" >/dev/null 2>&1; then
    sed -i 's/, max_connections: 20000 }$/ }/' "$yaml"
    echo "connections: this dispatch does not take server.max_connections; run without it" >&2
  fi
  echo "$yaml"
}

scenario_connections() {
  local rate=1000 secs=30 idle=10000 slow=1000 wait=30 yaml rc=0
  local f="$OUT/connections.out" cf="$OUT/connections-conn.out" rf="$OUT/connections-rss.txt"
  [ "$MODE" = smoke ] && { rate=100; secs=2; idle=200; slow=20; wait=15; }
  # One descriptor per connection on each side (plus Dispatch's pool and deliveries).
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  local nofile need=$((idle + slow + 1000))
  nofile=$(ulimit -n)
  if [ "$nofile" != unlimited ] && [ "$nofile" -lt "$need" ]; then
    echo "connections: the open-files limit is $nofile (hard $(ulimit -Hn)); $need are needed" >&2
    return 1
  fi
  echo "connections: open-files limit $nofile for Dispatch and conn_bench"
  bench_db_reset
  yaml=$(conn_yaml)
  bench_dispatch_start "$yaml"
  local rss0
  rss0=$(bench_rss_kb "$DISPATCH_PID")
  (
    while kill -0 "$DISPATCH_PID" 2>/dev/null; do
      bench_rss_kb "$DISPATCH_PID" 2>/dev/null || true
      sleep 1
    done
  ) >"$rf" &
  local sampler=$!
  bench_track "$sampler"
  # Bounded by itself; stopped (TERM: it prints its figures) when the load is done.
  "$TOOLS/conn_bench" --port "$DISPATCH_PORT" --idle "$idle" --slowloris "$slow" \
    --seconds $((wait + secs + 90)) >"$cf" 2>&1 &
  local cb=$!
  bench_track "$cb"
  local t0 established=0
  t0=$(date +%s)
  while [ $(($(date +%s) - t0)) -lt "$wait" ]; do
    if grep -q '^established_after_ms' "$cf"; then established=1; break; fi
    kill -0 "$cb" 2>/dev/null || break
    sleep 0.2
  done
  if ! kill -0 "$cb" 2>/dev/null; then
    sed 's/^/conn_bench: /' "$cf"
    echo "conn_bench ended before the load" >&2
    return 1
  fi
  if [ "$established" = 1 ]; then
    echo "conn_bench: $idle idle + $slow slowloris connections established after $(conn_kv "$cf" established_after_ms) ms"
  else
    echo "conn_bench: not all $idle idle + $slow slowloris connections established within ${wait}s" \
      "($(grep '^progress' "$cf" | tail -n 1)); the load runs anyway"
  fi
  timeout $((secs + 60)) "$TOOLS/ingest_bench" --port "$DISPATCH_PORT" --slug bench \
    --secret "$HMAC_SECRET" --receiver-port "$RECV_PORT" --rate "$rate" --seconds "$secs" \
    --senders 32 >"$f" 2>&1 || rc=$?
  cat "$f"
  bench_untrack_kill "$cb"
  sed 's/^/conn_bench: /' "$cf"
  bench_untrack_kill "$sampler"
  bench_dispatch_stop
  # Exit 1 only means "not every accepted event arrived", 124 that the load did not finish in
  # time (its requests hung): both are results, reported below; anything else is an error.
  [ "$rc" -le 1 ] || [ "$rc" -eq 124 ] || { echo "ingest_bench failed (exit $rc)" >&2; return 1; }
  [ "$rc" -ne 124 ] || echo "ingest_bench did not finish within $((secs + 60))s (stopped): no latency figures"
  local failed='?' delivered='?' p50 p99 max rss_max
  if [ "$rc" -ne 124 ]; then
    read -r failed delivered < <(awk '/^e2e_accepted/{print $4, $6}' "$f") || true
  fi
  failed=${failed:-?}
  delivered=${delivered:-?}
  p50=$(conn_ms "$f" e2e_latency_ms_p50)
  p99=$(conn_ms "$f" e2e_latency_ms_p99)
  max=$(conn_ms "$f" e2e_latency_ms_max)
  rss_max=$(sort -n "$rf" | tail -n 1)
  bench_result connections rate "$rate" ev/s
  bench_result connections sent_per_s "$(conn_kv "$f" e2e_sent_per_s)" ev/s
  bench_result connections send_lag_p99 "$(conn_ms "$f" send_lag_ms_p99)" ms
  bench_result connections e2e_p50 "$p50" ms
  bench_result connections e2e_p99 "$p99" ms '<=' 10
  bench_result connections e2e_max "$max" ms
  bench_result connections ingest_failures "$failed" req '<=' 0
  if [ "$delivered" = "?" ]; then
    bench_result connections delivered_of_sent "?" x '>=' 1
  else
    bench_result connections delivered_of_sent "$(bench_ratio "$delivered" "$((rate * secs))")" x '>=' 1
  fi
  bench_result connections dispatch_rss_start_mib "$((rss0 / 1024))" MiB
  bench_result connections dispatch_rss_max_mib "$(((${rss_max:-$rss0}) / 1024))" MiB '<=' 256
  bench_result connections established_after "$(conn_kv "$cf" established_after_ms)" ms
  bench_result connections idle_open "$(conn_kv "$cf" idle_open)" conn '>=' "$idle"
  bench_result connections slowloris_open "$(conn_kv "$cf" slowloris_open)" conn '>=' "$slow"
  bench_result connections idle_closed_by_server "$(conn_kv "$cf" idle_closed_by_server)" conn
  bench_result connections slowloris_408 "$(conn_kv "$cf" slowloris_408)" resp
  bench_result connections slowloris_closed "$(conn_kv "$cf" slowloris_closed_by_server)" conn
  bench_result connections connect_errors "$(conn_kv "$cf" connect_errors)" conn
}
