# shellcheck shell=bash
# Scenario soak (issue 4: "show the rate holding over a 5-minute run"; not part of `all`):
# the ingest setup (signed 1 KB JSON, one webhook destination on nginx `return 200`, wrk with
# 64 connections) for 5 minutes at full speed. Every 10 s it samples events inserted
# (pg_stat_user_tables.n_tup_ins), deliveries that reached nginx (stub_status) and the dead
# tuples of events and deliveries; it prints the rates per 30 s window and compares the last
# minute with the first. Smoke: 30 s, sampled every 5 s, 10 s windows and edges.

scenario_soak() {
  local secs=300 sample=10 window=30 edge=60
  [ "$MODE" = smoke ] && { secs=30; sample=5; window=10; edge=10; }
  bench_signed_body
  bench_db_reset
  local yaml r0
  yaml=$(bench_yaml_router 1)
  bench_nginx_start "$RECV_PORT" 200
  r0=$(bench_nginx_requests "$RECV_PORT")
  bench_dispatch_start "$yaml"
  local f="$OUT/soak-dispatch.wrk" samples="$OUT/soak-samples.tsv"
  timeout $((secs + 30)) wrk -t2 -c64 -d"${secs}s" --timeout 10s --latency \
    -s "$ROOT/tests/bench/wrk/signed_post.lua" "http://127.0.0.1:$DISPATCH_PORT/hooks/bench" >"$f" 2>&1 &
  local wrk_pid=$! polls=0 t0 k n ins dead_ev dead_del live_del rss
  bench_track "$wrk_pid"
  t0=$(date +%s.%N)
  printf 't_s\tevents_inserted\tdelivered\tevents_dead\tdeliveries_dead\tdeliveries_live\trss_kb\n' >"$samples"
  for k in $(seq 0 $((secs / sample))); do
    # Sleep until the k-th sample instant.
    sleep "$(awk -v t0="$t0" -v now="$(date +%s.%N)" -v at="$((k * sample))" \
      'BEGIN{d = t0 + at - now; printf "%.3f", (d > 0) ? d : 0}')"
    n=$(bench_nginx_requests "$RECV_PORT")
    polls=$((polls + 1))
    read -r ins dead_ev dead_del live_del < <(bench_psql -F' ' -c "
      SELECT coalesce(sum(n_tup_ins) FILTER (WHERE relname = 'events'), 0),
             coalesce(sum(n_dead_tup) FILTER (WHERE relname = 'events'), 0),
             coalesce(sum(n_dead_tup) FILTER (WHERE relname = 'deliveries'), 0),
             coalesce(sum(n_live_tup) FILTER (WHERE relname = 'deliveries'), 0)
      FROM pg_stat_user_tables")
    rss=$(bench_rss_kb "$DISPATCH_PID")
    printf '%d\t%d\t%d\t%d\t%d\t%d\t%d\n' $((k * sample)) "$ins" $((n - r0 - polls)) \
      "$dead_ev" "$dead_del" "$live_del" "$rss" >>"$samples"
  done
  wait "$wrk_pid" || { cat "$f" >&2; return 1; }
  bench_dispatch_stop
  local req secs_w non err p50 p99
  read -r req secs_w non err p50 p99 < <(bench_wrk_summary "$f")
  echo "wrk: $req requests in ${secs_w}s, $non non-2xx, $err socket errors, p50 $p50 ms, p99 $p99 ms"

  # Per-window rates, and the last `edge` seconds against the first.
  awk -F'\t' -v w="$window" -v e="$edge" -v end="$secs" '
    NR == 1 { next }
    { t[NR] = $1; ins[NR] = $2; del[NR] = $3; de[NR] = $4; dd[NR] = $5; live[NR] = $6; rss[NR] = $7; n = NR }
    END {
      printf "%-9s %12s %14s %12s %14s %14s %9s\n", "window_s", "ingest/s", "delivered/s", "events_dead", "deliveries_dead", "deliveries_live", "rss_MiB"
      for (i = 3; i <= n; i++) {
        if (t[i] % w != 0) continue
        for (j = i - 1; j >= 2 && t[i] - t[j] < w; j--) {}
        printf "%4d-%-4d %12.0f %14.0f %12d %14d %14d %9.0f\n", t[j], t[i], (ins[i] - ins[j]) / (t[i] - t[j]),
          (del[i] - del[j]) / (t[i] - t[j]), de[i], dd[i], live[i], rss[i] / 1024
      }
    }' "$samples"
  local first_in last_in first_del last_del
  read -r first_in last_in first_del last_del < <(awk -F'\t' -v e="$edge" -v end="$secs" '
    NR == 1 { next }
    { t = $1; if (t == 0) { i0 = $2; d0 = $3 } if (t == e) { i1 = $2; d1 = $3 }
      if (t == end - e) { i2 = $2; d2 = $3 } if (t == end) { i3 = $2; d3 = $3 } }
    END { printf "%.0f %.0f %.0f %.0f\n", (i1 - i0) / e, (i3 - i2) / e, (d1 - d0) / e, (d3 - d2) / e }' "$samples")
  bench_result soak duration "$secs" s
  bench_result soak ingest_first_${edge}s "$first_in" ev/s
  bench_result soak ingest_last_${edge}s "$last_in" ev/s
  bench_result soak ingest_last_vs_first "$(bench_ratio "$last_in" "$first_in")" x '>=' 0.9
  bench_result soak delivered_first_${edge}s "$first_del" del/s
  bench_result soak delivered_last_${edge}s "$last_del" del/s
  bench_result soak delivered_last_vs_first "$(bench_ratio "$last_del" "$first_del")" x '>=' 0.9
  bench_result soak latency_p99 "$p99" ms
  bench_result soak non_2xx "$non" req '<=' 0
  bench_result soak deliveries_dead_tup_end "$(tail -n 1 "$samples" | cut -f5)" rows
}
