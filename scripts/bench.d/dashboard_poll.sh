# shellcheck shell=bash
# dashboard-poll — what an open dashboard tab costs (issue 13). The dashboard re-fetches the
# open page's list every second with If-None-Match; an unchanged list gets a bodiless 304, but
# the server still runs the query, renders the answer and hashes it (core/http/conditional.h).
#
# Fill (through the API): 10,000 jobs made by tests/bench/sched_bench.cc (--mode lateness:
# 909 calibration jobs due in an hour stay SCHEDULED, 9,091 fire to its receiver and end
# SUCCESS with an attempt each; smoke: 200), then signed events from wrk for 3 s (smoke: 1 s)
# into one webhook destination (nginx `return 200`), waited on until nothing is open and the
# lists' ETags hold still. Then, for each list a page polls — GET /api/v1/jobs?page=1&limit=20,
# /api/v1/events?page=1&limit=20, /api/v1/destinations — with a project key as the dashboard
# sends it (Authorization: Bearer), wrk (2 threads, 32 connections, 15 s; smoke: jobs only,
# 1 s) with tests/bench/wrk/poll_get.lua, once holding the current tag (every answer a 304)
# and once without one (every answer a 200 with the list). Dispatch's and PostgreSQL's CPU
# time (/proc/<pid>/stat, PostgreSQL's backends included) over the run ÷ answers is the CPU per
# request; wrk's own CPU is not in it (it shares the two cores, so req/s is a floor).
# Rows per list L and answer A (304, 200): L_A_req_per_s, L_A_cpu_per_req (µs, both),
# L_A_dispatch_cpu_per_req (µs), L_A_bytes (one answer with its headers, from wrk's byte count),
# L_A_p99; L_304_share (answers that were 304s, from the byte count: must be 1).
# One tab on the jobs page at 1 request/s (derived from the jobs rows): tab_A_cpu (% of one
# core), tab_A_bytes_per_s (answers), tabs_per_core_A (1 s of CPU ÷ CPU per request),
# tab_request_bytes (one poll as wrk sends it; a browser adds its own headers, ~0.5–1 KiB).
# Full mode only, then: 50 tabs (50 connections, each waiting 1 s after every answer) polling
# the jobs page with its tag while `ingest`'s load (signed 1 KiB, 64 connections) runs beside
# them, 10 s, alternated twice with the same ingest load alone: per round r,
# ingest_alone_events_per_s_r, ingest_with_tabs_events_per_s_r, tabs_polls_per_s_r, tabs_p50_r,
# tabs_p99_r, tabs_304_share_r; ingest_with_tabs_vs_alone (sum ÷ sum). idle_cpu: Dispatch
# and PostgreSQL with nothing asked, 5 s.

# shellcheck source=scripts/bench.d/jobs_burst.sh
. "$ROOT/scripts/bench.d/jobs_burst.sh"

# dp_get PATH [ETAG]: one GET with curl. Sets DP_STATUS, DP_ETAG, DP_SIZE (headers + body).
dp_get() {
  local path=$1 etag=${2:-} hdr=$OUT/$SCENARIO-get.hdr inm=() out
  [ -z "$etag" ] || inm=(-H "If-None-Match: $etag")
  out=$(curl -s --max-time 10 -o /dev/null -D "$hdr" -w '%{http_code} %{size_header} %{size_download}' \
    -H "Authorization: Bearer $API_KEY" "${inm[@]}" "http://127.0.0.1:$DISPATCH_PORT$path")
  local hs bs
  read -r DP_STATUS hs bs <<<"$out"
  DP_SIZE=$((hs + bs))
  DP_ETAG=$(awk 'tolower($1) == "etag:" { sub(/\r$/, ""); print $2 }' "$hdr")
}

# dp_settle PATH LIMIT_S: waits until PATH's tag holds for 2 s (a 304 for the tag read 2 s
# before), at most LIMIT_S. Sets DP_TAG and DP_SIZE200 (a 200's size) and DP_SIZE304.
dp_settle() {
  local path=$1 limit=$2 t0 tag
  t0=$(date +%s)
  while :; do
    dp_get "$path"
    tag=$DP_ETAG
    DP_SIZE200=$DP_SIZE
    [ "$DP_STATUS" = 200 ] || { echo "dashboard-poll: GET $path answered $DP_STATUS" >&2; return 1; }
    sleep 2
    dp_get "$path" "$tag"
    [ "$DP_STATUS" = 304 ] && break
    [ $(($(date +%s) - t0)) -lt "$limit" ] || { echo "dashboard-poll: $path still changing after ${limit}s" >&2; return 1; }
  done
  DP_TAG=$tag
  DP_SIZE304=$DP_SIZE
}

# dp_load NAME PATH ETAG|"" SECS CONNS [PACE_MS]: wrk with poll_get.lua; CPU of Dispatch and
# PostgreSQL over the run. Sets DP_REQ, DP_RATE (answers/s), DP_P50, DP_P99 (ms), DP_CPU_US and
# DP_DCPU_US (per answer, µs: both, Dispatch's), DP_BYTES (per answer), DP_REQ_BYTES, DP_ERRS.
dp_load() {
  local name=$1 path=$2 etag=$3 secs=$4 conns=$5 pace=${6:-0} f="$OUT/$SCENARIO-$1.wrk"
  local pg c0d c0p c1d c1p
  pg=$(bench_pg_pid)
  c0d=$(bench_cpu_ticks "$DISPATCH_PID")
  c0p=$(bench_cpu_ticks "$pg")
  BENCH_TOKEN=$API_KEY BENCH_ETAG=$etag BENCH_PACE_MS=$pace timeout $((secs + 30)) \
    wrk -t2 -c"$conns" -d"${secs}s" --timeout 10s --latency -s "$ROOT/tests/bench/wrk/poll_get.lua" \
    "http://127.0.0.1:$DISPATCH_PORT$path" >"$f" 2>&1 || {
    echo "bench: wrk $name failed:" >&2
    cat "$f" >&2
    return 1
  }
  c1d=$(bench_cpu_ticks "$DISPATCH_PID")
  c1p=$(bench_cpu_ticks "$pg")
  local _req secs_run _non _err
  read -r _req secs_run _non _err DP_P50 DP_P99 < <(bench_wrk_summary "$f")
  DP_REQ=$(jobs_kv "$f" poll_requests)
  DP_ERRS=$(jobs_kv "$f" poll_status_errors)
  DP_REQ_BYTES=$(jobs_kv "$f" poll_request_bytes)
  DP_RATE=$(awk -v n="$DP_REQ" -v s="$secs_run" 'BEGIN{printf "%.0f", (s > 0) ? n / s : 0}')
  DP_BYTES=$(awk -v b="$(jobs_kv "$f" poll_bytes_read)" -v n="$DP_REQ" 'BEGIN{printf "%.0f", (n > 0) ? b / n : 0}')
  local hz
  hz=$(getconf CLK_TCK)
  DP_CPU_US=$(awk -v t=$((c1d - c0d + c1p - c0p)) -v n="$DP_REQ" -v hz="$hz" 'BEGIN{printf "%.0f", (n > 0) ? t / hz / n * 1e6 : 0}')
  DP_DCPU_US=$(awk -v t=$((c1d - c0d)) -v n="$DP_REQ" -v hz="$hz" 'BEGIN{printf "%.0f", (n > 0) ? t / hz / n * 1e6 : 0}')
  printf '%s: %d answers in %ss (%s/s), %s B each, p50 %s ms, p99 %s ms; CPU per answer %s µs (Dispatch %s µs, %s cores; PostgreSQL %s cores); %s status errors\n' \
    "$name" "$DP_REQ" "$secs_run" "$DP_RATE" "$DP_BYTES" "$DP_P50" "$DP_P99" "$DP_CPU_US" "$DP_DCPU_US" \
    "$(bench_cores $((c1d - c0d)) "$secs_run")" "$(bench_cores $((c1p - c0p)) "$secs_run")" "$DP_ERRS"
}

# dp_share BYTES S200 S304: the share of answers that were 304s, from the bytes per answer.
dp_share() {
  awk -v b="$1" -v a="$2" -v n="$3" 'BEGIN{ if (a == n) { print "-"; exit }
    s = (a - b) / (a - n); if (s > 1) s = 1; if (s < 0) s = 0; printf "%.3f", s }'
}

scenario_dashboard_poll() {
  local jobs=9091 spread=2000 fill_s=3 secs=15 conns=32 lists yaml out=$OUT/$SCENARIO-fill.out rc=0
  lists="jobs events destinations"
  [ "$MODE" = smoke ] && { jobs=100; spread=200; fill_s=1; secs=1; lists="jobs"; }
  bench_db_reset
  yaml=$(bench_yaml_router 1)
  bench_nginx_start "$RECV_PORT" 200
  bench_dispatch_start "$yaml"

  # --- Fill, through the API ------------------------------------------------------------
  local t0
  t0=$(bench_secs)
  timeout 300 "$TOOLS/sched_bench" --port "$DISPATCH_PORT" --key "$API_KEY" --mode lateness \
    --jobs "$jobs" --spread-ms "$spread" --clients 16 --wait-s 30 >"$out" || rc=$?
  sed 's/^/sched_bench: /' "$out"
  [ "$rc" -eq 0 ] || { echo "dashboard-poll: sched_bench exited $rc" >&2; return 1; }
  bench_signed_body
  bench_wrk fill-events "http://127.0.0.1:$DISPATCH_PORT/hooks/bench" "$fill_s" 8
  local _ open
  for _ in $(seq 120); do
    open=$(bench_psql -c "SELECT count(*) FROM deliveries WHERE status NOT IN ('SUCCESS','DEAD','CANCELLED') AND due_at < now() + interval '10 minutes'")
    [ "$open" -eq 0 ] && break
    sleep 0.5
  done
  local counts
  counts=$(bench_psql -F ' ' -c "SELECT (SELECT count(*) FROM jobs), (SELECT count(*) FROM events), (SELECT count(*) FROM deliveries), (SELECT count(*) FROM attempts), (SELECT count(*) FROM deliveries d JOIN jobs j ON j.id = d.id WHERE d.status = 'SCHEDULED')")
  local n_jobs n_events n_del n_att n_sched
  read -r n_jobs n_events n_del n_att n_sched <<<"$counts"
  echo "fill: $n_jobs jobs ($n_sched SCHEDULED), $n_events events, $n_del deliveries, $n_att attempts in" \
    "$(awk -v a="$(bench_secs)" -v b="$t0" 'BEGIN{printf "%.1f", a - b}') s; $open due deliveries still open"
  bench_result "$SCENARIO" jobs_in_store "$n_jobs" jobs
  bench_result "$SCENARIO" events_in_store "$n_events" events
  # The jobs list's total is a count over jobs joined to deliveries: every delivery row,
  # events' included, is read by it.
  bench_result "$SCENARIO" deliveries_in_store "$n_del" rows

  # --- Idle: what the node and its database spend with nobody asking ----------------------
  if [ "$MODE" != smoke ]; then
    local pg c0 c1
    pg=$(bench_pg_pid)
    c0=$(($(bench_cpu_ticks "$DISPATCH_PID") + $(bench_cpu_ticks "$pg")))
    sleep 5
    c1=$(($(bench_cpu_ticks "$DISPATCH_PID") + $(bench_cpu_ticks "$pg")))
    bench_result "$SCENARIO" idle_cpu "$(bench_cores $((c1 - c0)) 5)" cores
  fi

  # --- Each list at saturation: with its tag (304) and without (200) ----------------------
  local l path tag s200 s304 j304_cpu="" j200_cpu="" j304_bytes="" j200_bytes="" req_bytes=""
  for l in $lists; do
    case "$l" in
      jobs) path="/api/v1/jobs?page=1&limit=20" ;;
      events) path="/api/v1/events?page=1&limit=20" ;;
      destinations) path="/api/v1/destinations" ;;
    esac
    dp_settle "$path" 30
    tag=$DP_TAG s200=$DP_SIZE200 s304=$DP_SIZE304
    echo "$l: GET $path: 200 of $s200 B (headers included), 304 of $s304 B, ETag $tag"
    dp_load "$l-304" "$path" "$tag" "$secs" "$conns"
    bench_result "$SCENARIO" "${l}_304_req_per_s" "$DP_RATE" req/s
    bench_result "$SCENARIO" "${l}_304_cpu_per_req" "$DP_CPU_US" us
    bench_result "$SCENARIO" "${l}_304_dispatch_cpu_per_req" "$DP_DCPU_US" us
    bench_result "$SCENARIO" "${l}_304_bytes" "$DP_BYTES" B
    bench_result "$SCENARIO" "${l}_304_p99" "$DP_P99" ms
    bench_result "$SCENARIO" "${l}_304_share" "$(dp_share "$DP_BYTES" "$s200" "$s304")" x '>=' 0.999
    [ "$DP_ERRS" -eq 0 ] || bench_result "$SCENARIO" "${l}_304_status_errors" "$DP_ERRS" req '<=' 0
    if [ "$l" = jobs ]; then j304_cpu=$DP_CPU_US j304_bytes=$DP_BYTES req_bytes=$DP_REQ_BYTES; fi
    dp_load "$l-200" "$path" "" "$secs" "$conns"
    bench_result "$SCENARIO" "${l}_200_req_per_s" "$DP_RATE" req/s
    bench_result "$SCENARIO" "${l}_200_cpu_per_req" "$DP_CPU_US" us
    bench_result "$SCENARIO" "${l}_200_dispatch_cpu_per_req" "$DP_DCPU_US" us
    bench_result "$SCENARIO" "${l}_200_bytes" "$DP_BYTES" B
    bench_result "$SCENARIO" "${l}_200_p99" "$DP_P99" ms
    [ "$DP_ERRS" -eq 0 ] || bench_result "$SCENARIO" "${l}_200_status_errors" "$DP_ERRS" req '<=' 0
    if [ "$l" = jobs ]; then j200_cpu=$DP_CPU_US j200_bytes=$DP_BYTES; fi
  done

  # --- One tab on the jobs page, 1 request/s --------------------------------------------
  local a cpu bytes
  for a in 304 200; do
    if [ "$a" = 304 ]; then cpu=$j304_cpu bytes=$j304_bytes; else cpu=$j200_cpu bytes=$j200_bytes; fi
    bench_result "$SCENARIO" "tab_${a}_cpu" "$(awk -v c="$cpu" 'BEGIN{printf "%.3f", c / 1e4}')" '%core'
    bench_result "$SCENARIO" "tab_${a}_bytes_per_s" "$bytes" B/s
    bench_result "$SCENARIO" "tabs_per_core_${a}" "$(awk -v c="$cpu" 'BEGIN{printf "%.0f", (c > 0) ? 1e6 / c : 0}')" tabs
  done
  bench_result "$SCENARIO" tab_request_bytes "$req_bytes" B

  # --- 50 tabs beside ingest's load (full mode only) -----------------------------------
  # Alternated twice, 10 s each: ingest alone, then ingest with the tabs polling. Every
  # ingested event adds a delivery row, which the jobs list's count reads too (see the
  # deliveries_in_store rows before and after).
  if [ "$MODE" != smoke ]; then
    local tabs=50 tsecs=10 r tabs_pid jpath="/api/v1/jobs?page=1&limit=20" alone_sum=0 with_sum=0
    local f treq tsec tp50 tp99 tbytes _n _e
    dp_settle "$jpath" 30
    tag=$DP_TAG s200=$DP_SIZE200 s304=$DP_SIZE304
    for r in 1 2; do
      bench_wrk "ingest-alone-$r" "http://127.0.0.1:$DISPATCH_PORT/hooks/bench" "$tsecs" 64
      alone_sum=$((alone_sum + WRK_OK_RATE))
      bench_result "$SCENARIO" "ingest_alone_events_per_s_r$r" "$WRK_OK_RATE" ev/s
      dp_load "tabs-$r" "$jpath" "$tag" "$tsecs" "$tabs" 1000 >"$OUT/$SCENARIO-tabs-$r.line" &
      tabs_pid=$!
      bench_track "$tabs_pid"
      bench_wrk "ingest-with-tabs-$r" "http://127.0.0.1:$DISPATCH_PORT/hooks/bench" "$tsecs" 64
      wait "$tabs_pid" || { echo "dashboard-poll: the tabs' wrk failed" >&2; return 1; }
      bench_untrack_kill "$tabs_pid"
      with_sum=$((with_sum + WRK_OK_RATE))
      bench_result "$SCENARIO" "ingest_with_tabs_events_per_s_r$r" "$WRK_OK_RATE" ev/s
      f="$OUT/$SCENARIO-tabs-$r.wrk"
      read -r _n tsec _n _e tp50 tp99 < <(bench_wrk_summary "$f")
      treq=$(jobs_kv "$f" poll_requests)
      tbytes=$(awk -v b="$(jobs_kv "$f" poll_bytes_read)" -v n="$treq" 'BEGIN{printf "%.0f", (n > 0) ? b / n : 0}')
      echo "tabs-$r: $treq polls in ${tsec}s, p50 $tp50 ms, p99 $tp99 ms, $tbytes B each"
      bench_result "$SCENARIO" "tabs_polls_per_s_r$r" "$(awk -v n="$treq" -v s="$tsec" 'BEGIN{printf "%.1f", (s > 0) ? n / s : 0}')" req/s
      bench_result "$SCENARIO" "tabs_p50_r$r" "$tp50" ms
      bench_result "$SCENARIO" "tabs_p99_r$r" "$tp99" ms
      bench_result "$SCENARIO" "tabs_304_share_r$r" "$(dp_share "$tbytes" "$s200" "$s304")" x '>=' 0.999
    done
    bench_result "$SCENARIO" ingest_with_tabs_vs_alone "$(bench_ratio "$with_sum" "$alone_sum")" x
    bench_result "$SCENARIO" deliveries_in_store_after "$(bench_psql -c 'SELECT count(*) FROM deliveries')" rows
  fi

  bench_dispatch_stop
}
