# shellcheck shell=bash
# Scenario ingest (issue 4, #1): signed 1 KB JSON (preset hmac), one webhook destination
# (nginx `return 200`), 64 connections, wrk. Then, with the same wrk settings and Dispatch
# stopped: nginx answering 202 (the ceiling of an HTTP endpoint on this machine) and
# adnanh/webhook verifying the same HMAC and running a `true`-like command per hook.
# Both Dispatch and webhook answer before the work after the answer is done, so both are
# also counted where the work lands: deliveries at the receiver, commands that ran.

# bench_webhook_start PORT: adnanh/webhook on 127.0.0.1:PORT with tests/bench/peers/webhook;
# each hook that runs appends one byte to $OUT/webhook/ran.count. Sets WEBHOOK_PID.
bench_webhook_start() {
  local port=$1 dir="$OUT/webhook"
  mkdir -p "$dir"
  cc -O2 -o "$dir/ran" "$ROOT/tests/bench/peers/webhook/ran.c"
  : >"$dir/ran.count"
  sed -e "s|@RAN@|$dir/ran|" -e "s|@RAN_FILE@|$dir/ran.count|" -e "s|@DIR@|$dir|" \
    -e "s|@SECRET@|$HMAC_SECRET|" "$ROOT/tests/bench/peers/webhook/hooks.json.in" >"$dir/hooks.json"
  webhook -hooks "$dir/hooks.json" -ip 127.0.0.1 -port "$port" -nopanic >"$dir/webhook.log" 2>&1 &
  WEBHOOK_PID=$!
  bench_track "$WEBHOOK_PID"
  bench_wait_port "$port"
}

scenario_ingest() {
  local secs=20 drain=120
  [ "$MODE" = smoke ] && { secs=2; drain=20; }
  bench_signed_body

  # Dispatch (reports events_per_s, latency, stored, delivered; sets ROUTER_RATE).
  bench_router_throughput 1 "" "$secs" "$drain"
  local dispatch_rate=$ROUTER_RATE

  # nginx answering 202: the ceiling.
  local c0 c1 nginx_cpu webhook_cpu
  bench_nginx_start "$PEER_PORT" 202 auto
  c0=$(bench_cpu_ticks "$NGINX_PID")
  bench_wrk nginx202 "http://127.0.0.1:$PEER_PORT/hooks/bench" "$secs" 64
  c1=$(bench_cpu_ticks "$NGINX_PID")
  nginx_cpu=$(bench_cores $((c1 - c0)) "$WRK_SECS")
  bench_untrack_kill "$NGINX_PID"
  local nginx_rate=$WRK_OK_RATE nginx_p99=$WRK_P99

  # adnanh/webhook.
  local wport=$((PEER_PORT + 1)) ran prev=-1
  bench_webhook_start "$wport"
  c0=$(bench_cpu_ticks "$WEBHOOK_PID")
  bench_wrk webhook "http://127.0.0.1:$wport/hooks/bench" "$secs" 64
  # Its own CPU and its commands' (those it has reaped by now).
  c1=$(bench_cpu_ticks "$WEBHOOK_PID")
  webhook_cpu=$(bench_cores $((c1 - c0)) "$WRK_SECS")
  local webhook_rate=$WRK_OK_RATE webhook_ok=$WRK_OK webhook_p99=$WRK_P99 webhook_non=$WRK_NON2XX
  local webhook_secs=$WRK_SECS
  # The commands it still runs after answering: wait until the count has not moved for 2 s
  # (at most 30 s).
  local since=0
  for _ in $(seq 60); do
    ran=$(stat -c %s "$OUT/webhook/ran.count")
    [ "$ran" -ge "$webhook_ok" ] && break
    if [ "$ran" -eq "$prev" ]; then
      since=$((since + 1))
      [ "$since" -ge 4 ] && break
    else
      since=0
    fi
    prev=$ran
    sleep 0.5
  done
  echo "webhook: $ran of $webhook_ok answered hooks ran their command (open-files limit $(ulimit -n):" \
    "webhook starts each command with pipes; past the limit the fork fails after the 200)"
  bench_untrack_kill "$WEBHOOK_PID"

  bench_result ingest nginx202_req_per_s "$nginx_rate" req/s
  bench_result ingest nginx202_p99 "$nginx_p99" ms
  bench_result ingest nginx202_cpu "$nginx_cpu" cores
  bench_result ingest webhook_req_per_s "$webhook_rate" req/s
  bench_result ingest webhook_p99 "$webhook_p99" ms
  bench_result ingest webhook_cpu "$webhook_cpu" cores
  [ "$webhook_non" -eq 0 ] || bench_result ingest webhook_non_2xx "$webhook_non" req
  bench_result ingest webhook_ran_of_answered "$(bench_ratio "$ran" "$webhook_ok")" x
  bench_result ingest webhook_ran_per_s "$(awk -v n="$ran" -v s="$webhook_secs" 'BEGIN{printf "%.0f", n / s}')" run/s
  bench_result ingest ratio_vs_webhook "$(bench_ratio "$dispatch_rate" "$webhook_rate")" x '>=' 1.25
  bench_result ingest ratio_vs_nginx "$(bench_ratio "$dispatch_rate" "$nginx_rate")" x
}
