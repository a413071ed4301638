# shellcheck shell=bash
# Scenario soak (issue 4: "show the rate holding over a 5-minute run"; not part of `all`).
# Two shapes, chosen by BENCH_SOAK_RATE (events/s; default 3000):
#   > 0  steady: tests/bench/ingest_bench paces signed 1 KB events at that rate for 5 minutes
#        into one webhook destination (its recording receiver) and prints, per 30 s window of
#        send time, events accepted/s, deliveries arrived/s and their end-to-end p50/p99/max.
#        A rate the machine sustains shows whether anything decays with time: latency,
#        delivery rate, dead tuples, memory.
#   0    overload: wrk with 64 connections at full speed for 5 minutes, one destination on
#        nginx `return 200`; ingest/s and delivered/s per 30 s window (the backlog grows, so
#        the delivery side runs from claims on a growing queue table).
# Both sample every 10 s: events inserted (pg_stat_user_tables.n_tup_ins), dead tuples of
# events and deliveries, live deliveries, Dispatch RSS. Smoke: 30 s, samples every 5 s,
# 10 s windows and edges.

# _soak_sample_loop SECS SAMPLE FILE [NGINX_PORT]: samples every SAMPLE s until SECS into FILE
# (t_s, events inserted, delivered at nginx or 0, events dead, deliveries dead, live, rss_kb).
_soak_sample_loop() {
  local secs=$1 sample=$2 file=$3 nport=${4:-} r0=0 polls=0 t0 k n ins dead_ev dead_del live_del rss
  [ -n "$nport" ] && r0=$(bench_nginx_requests "$nport")
  t0=$(date +%s.%N)
  printf 't_s\tevents_inserted\tdelivered\tevents_dead\tdeliveries_dead\tdeliveries_live\trss_kb\n' >"$file"
  for k in $(seq 0 $((secs / sample))); do
    # Sleep until the k-th sample instant.
    sleep "$(awk -v t0="$t0" -v now="$(date +%s.%N)" -v at="$((k * sample))" \
      'BEGIN{d = t0 + at - now; printf "%.3f", (d > 0) ? d : 0}')"
    n=0
    if [ -n "$nport" ]; then
      polls=$((polls + 1))
      n=$(($(bench_nginx_requests "$nport") - r0 - polls))
    fi
    read -r ins dead_ev dead_del live_del < <(bench_psql -F' ' -c "
      SELECT coalesce(sum(n_tup_ins) FILTER (WHERE relname = 'events'), 0),
             coalesce(sum(n_dead_tup) FILTER (WHERE relname = 'events'), 0),
             coalesce(sum(n_dead_tup) FILTER (WHERE relname = 'deliveries'), 0),
             coalesce(sum(n_live_tup) FILTER (WHERE relname = 'deliveries'), 0)
      FROM pg_stat_user_tables")
    rss=$(bench_rss_kb "$DISPATCH_PID")
    printf '%d\t%d\t%d\t%d\t%d\t%d\t%d\n' $((k * sample)) "$ins" "$n" \
      "$dead_ev" "$dead_del" "$live_del" "$rss" >>"$file"
  done
}

# _soak_windows FILE WINDOW [nginx]: the samples per WINDOW s (rates from the counters; the
# table state and RSS at the window's end); delivered/s only when nginx counted deliveries.
_soak_windows() {
  awk -F'\t' -v w="$2" -v nginx="${3:-}" '
    NR == 1 { next }
    { t[NR] = $1; ins[NR] = $2; del[NR] = $3; de[NR] = $4; dd[NR] = $5; live[NR] = $6; rss[NR] = $7; n = NR }
    END {
      printf "%-9s %12s %14s %12s %14s %14s %9s\n", "window_s", "ingest/s", "delivered/s", "events_dead", "deliveries_dead", "deliveries_live", "rss_MiB"
      for (i = 3; i <= n; i++) {
        if (t[i] % w != 0) continue
        for (j = i - 1; j >= 2 && t[i] - t[j] < w; j--) {}
        d = nginx == "" ? "-" : sprintf("%.0f", (del[i] - del[j]) / (t[i] - t[j]))
        printf "%4d-%-4d %12.0f %14s %12d %14d %14d %9.0f\n", t[j], t[i], (ins[i] - ins[j]) / (t[i] - t[j]),
          d, de[i], dd[i], live[i], rss[i] / 1024
      }
    }' "$1"
}

scenario_soak() {
  local secs=300 sample=10 window=30 edge=60 rate=${BENCH_SOAK_RATE:-3000}
  [ "$MODE" = smoke ] && { secs=30; sample=5; window=10; edge=10; [ "$rate" -gt 0 ] && rate=300; }
  bench_db_reset
  local yaml samples="$OUT/soak-samples.tsv" f
  yaml=$(bench_yaml_router 1)
  if [ "$rate" -gt 0 ]; then
    bench_dispatch_start "$yaml"
    f="$OUT/soak-steady.out"
    timeout $((secs + 90)) "$TOOLS/ingest_bench" --port "$DISPATCH_PORT" --slug bench \
      --secret "$HMAC_SECRET" --receiver-port "$RECV_PORT" --rate "$rate" --seconds "$secs" \
      --senders 32 --window "$window" >"$f" 2>&1 &
    local tool_pid=$! rc=0
    bench_track "$tool_pid"
    _soak_sample_loop "$secs" "$sample" "$samples"
    wait "$tool_pid" || rc=$?
    bench_dispatch_stop
    cat "$f"
    # Exit 1 only means "not every accepted event arrived": reported below, not an error.
    [ "$rc" -le 1 ] || { echo "ingest_bench failed (exit $rc)" >&2; return 1; }
    _soak_windows "$samples" "$window"
    # First and last window of the tool's own lines: accepted/s, delivered/s, p99.
    local first last accepted failed delivered
    first=$(awk '/^window /{print; exit}' "$f")
    last=$(awk '/^window /{l = $0} END {print l}' "$f")
    read -r accepted failed delivered < <(awk '/^e2e_accepted/{print $2, $4, $6}' "$f")
    local fa la fd ld fp lp
    fa=$(awk '{print $5}' <<<"$first"); la=$(awk '{print $5}' <<<"$last")
    fd=$(awk '{print $7}' <<<"$first"); ld=$(awk '{print $7}' <<<"$last")
    fp=$(awk '{print $11}' <<<"$first"); lp=$(awk '{print $11}' <<<"$last")
    bench_result soak duration "$secs" s
    bench_result soak rate "$rate" ev/s
    bench_result soak accepted_first_window "$fa" ev/s
    bench_result soak accepted_last_window "$la" ev/s
    bench_result soak accepted_last_vs_first "$(bench_ratio "$la" "$fa")" x '>=' 0.95
    bench_result soak delivered_last_vs_first "$(bench_ratio "$ld" "$fd")" x '>=' 0.95
    bench_result soak e2e_p99_first_window "$fp" ms
    bench_result soak e2e_p99_last_window "$lp" ms '<=' 30
    bench_result soak e2e_p99 "$(awk '/^e2e_latency_ms_p99/{print $2}' "$f")" ms '<=' 30
    bench_result soak delivered_of_accepted "$(bench_ratio "$delivered" "$accepted")" x '>=' 1
    bench_result soak ingest_failures "$failed" req '<=' 0
    # Requests the senders only got out after the run's end (the schedule slipped).
    bench_result soak sent_after_end "$(awk '/^sent_after_end/{print $2}' "$f")" req
  else
    bench_signed_body
    bench_nginx_start "$RECV_PORT" 200
    bench_dispatch_start "$yaml"
    f="$OUT/soak-dispatch.wrk"
    timeout $((secs + 30)) wrk -t2 -c64 -d"${secs}s" --timeout 10s --latency \
      -s "$ROOT/tests/bench/wrk/signed_post.lua" "http://127.0.0.1:$DISPATCH_PORT/hooks/bench" >"$f" 2>&1 &
    local wrk_pid=$!
    bench_track "$wrk_pid"
    _soak_sample_loop "$secs" "$sample" "$samples" "$RECV_PORT"
    wait "$wrk_pid" || { cat "$f" >&2; return 1; }
    bench_dispatch_stop
    local req secs_w non err p50 p99
    read -r req secs_w non err p50 p99 < <(bench_wrk_summary "$f")
    echo "wrk: $req requests in ${secs_w}s, $non non-2xx, $err socket errors, p50 $p50 ms, p99 $p99 ms"
    _soak_windows "$samples" "$window" nginx
    # The last `edge` seconds against the first.
    local first_in last_in first_del last_del
    read -r first_in last_in first_del last_del < <(awk -F'\t' -v e="$edge" -v end="$secs" '
      NR == 1 { next }
      { t = $1; if (t == 0) { i0 = $2; d0 = $3 } if (t == e) { i1 = $2; d1 = $3 }
        if (t == end - e) { i2 = $2; d2 = $3 } if (t == end) { i3 = $2; d3 = $3 } }
      END { printf "%.0f %.0f %.0f %.0f\n", (i1 - i0) / e, (i3 - i2) / e, (d1 - d0) / e, (d3 - d2) / e }' "$samples")
    bench_result soak duration "$secs" s
    bench_result soak ingest_first_${edge}s "$first_in" ev/s
    bench_result soak ingest_last_${edge}s "$last_in" ev/s
    bench_result soak ingest_last_vs_first "$(bench_ratio "$last_in" "$first_in")" x
    bench_result soak delivered_first_${edge}s "$first_del" del/s
    bench_result soak delivered_last_${edge}s "$last_del" del/s
    # Under overload the backlog grows; what must hold is the delivery (claim) rate.
    bench_result soak delivered_last_vs_first "$(bench_ratio "$last_del" "$first_del")" x '>=' 0.9
    bench_result soak latency_p99 "$p99" ms
    bench_result soak non_2xx "$non" req '<=' 0
  fi
  bench_result soak deliveries_dead_tup_end "$(tail -n 1 "$samples" | cut -f5)" rows
  bench_result soak rss_end "$(($(tail -n 1 "$samples" | cut -f7) / 1024))" MiB
}
