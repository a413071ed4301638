# shellcheck shell=bash
# schedules — cron schedules (issue 11), in two parts.
# Ticks: 10,000 schedules `* * * * *` created through POST /api/v1/schedules by 16 keep-alive
#   clients (tests/bench/sched_bench.cc --mode ticks), then three whole-minute ticks seen by
#   sched_bench's receiver: per tick, lateness = arrival − the tick's minute (p50, p99, max),
#   schedules received, missing (0) and duplicates (0: none twice in a tick, by
#   X-Dispatch-Schedule-ID); the store's jobs per tick beside it. Targets: each tick's p50 and
#   p99 no worse than jobs-burst's (10,000 jobs due in one instant) when jobs-burst ran earlier
#   in the same invocation (`all` runs it first; or `scripts/bench jobs-burst schedules`).
# Scale: 1,000,000 schedules stored by one INSERT … SELECT (volume only: the API's create path
#   is the ticks part's): 500,000 paused `* * * * *` and 500,000 daily `M H * * *` at minutes
#   spread over the day (~347 ticks a minute, their jobs to nginx on RECV_PORT). Dispatch is
#   restarted over them; then its RSS (<= 262144 KiB, the jobs-scale bound), 5 probe schedules
#   `* * * * *` created through the API and timed at their next whole minute (none missing,
#   doubled or early), Dispatch's and PostgreSQL's CPU meanwhile, and the ticker's due query
#   with them stored (EXPLAIN ANALYZE, without its FOR UPDATE SKIP LOCKED).
# Smoke: 200 schedules and 10,000 stored, cron @yearly, one tick each forced 4 s ahead by
#   moving next_fire_at (the integration tests' hook); no verdicts. Full: ~4 minutes (the ticks
#   wait for whole minutes).

# shellcheck source=scripts/bench.d/jobs_burst.sh
. "$ROOT/scripts/bench.d/jobs_burst.sh"

# _sched_ticks N TICKS CRON OUTFILE: sched_bench --mode ticks against the running Dispatch. In
# smoke mode the tick is forced: when the tool names its instant (arm_at_ms), the schedules it
# made (title "tick …") are moved there.
_sched_ticks() {
  local n=$1 ticks=$2 cron=$3 out=$4 tick=minute rc=0 at="" _ clients=16
  [ "$MODE" = smoke ] && tick=forced
  [ "$n" -lt "$clients" ] && clients=1
  timeout 600 "$TOOLS/sched_bench" --port "$DISPATCH_PORT" --key "$API_KEY" --mode ticks \
    --jobs "$n" --ticks "$ticks" --cron "$cron" --tick "$tick" --clients "$clients" --wait-s 30 >"$out" &
  local tool=$!
  bench_track "$tool"
  if [ "$tick" = forced ]; then
    for _ in $(seq 600); do
      at=$(jobs_kv "$out" arm_at_ms)
      [ "$at" != "?" ] && break
      kill -0 "$tool" 2>/dev/null || break
      sleep 0.1
    done
    [ "$at" != "?" ] && bench_psql -c "UPDATE schedules SET next_fire_at = ms_to_ts($at) WHERE title LIKE 'tick %'" >/dev/null
  fi
  wait "$tool" || rc=$?
  bench_untrack_kill "$tool"
  sed 's/^/sched_bench: /' "$out"
  [ "$rc" -eq 0 ] || echo "sched_bench exited $rc (missing or doubled ticks, or an error)"
}

# _sched_store_ticks: the store's view, jobs per tick and distinct schedules among them.
_sched_store_ticks() {
  bench_psql -F' ' -c "
    SELECT to_char(ms_to_ts(schedule_tick) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
           count(*), count(DISTINCT schedule_id)
    FROM jobs WHERE schedule_tick IS NOT NULL GROUP BY schedule_tick ORDER BY schedule_tick" |
    awk '{ printf "store: tick %s jobs %d schedules %d\n", $1, $2, $3 }'
  echo "store: schedule jobs attempted more than once: $(bench_psql -c "
    SELECT count(*) FROM jobs j JOIN deliveries d ON d.id = j.id
    WHERE j.schedule_id IS NOT NULL AND d.attempts > 1")"
}

# _sched_burst METRIC: jobs-burst's value of METRIC in this invocation ("" if it did not run).
_sched_burst() { awk -F'\t' -v m="$1" '$1 == "jobs-burst" && $2 == m { v = $3 } END { print v }' "$OUT/results.tsv"; }

_sched_part_ticks() {
  local n=10000 ticks=3 cron='* * * * *' out=$OUT/$SCENARIO-ticks.out yaml k
  [ "$MODE" = smoke ] && { n=200; ticks=1; cron=@yearly; }
  bench_db_reset
  yaml=$(bench_yaml_jobs)
  bench_dispatch_start "$yaml"
  _sched_ticks "$n" "$ticks" "$cron" "$out"
  _sched_store_ticks
  local rss
  rss=$(bench_rss_kb "$DISPATCH_PID")
  bench_dispatch_stop
  # The scale part starts Dispatch again, on the same log file.
  cp "$OUT/$SCENARIO-serve.log" "$OUT/$SCENARIO-ticks-serve.log"
  local b50 b99 op=""
  b50=$(_sched_burst lateness_p50)
  b99=$(_sched_burst lateness_p99)
  [[ "$b99" =~ ^[0-9.]+$ && "$b50" =~ ^[0-9.]+$ ]] && op='<='
  bench_result "$SCENARIO" schedules_created "$(jobs_kv "$out" schedules_created)" sched '>=' "$n"
  bench_result "$SCENARIO" creates_per_s "$(jobs_kv "$out" creates_per_s)" sched/s
  bench_result "$SCENARIO" create_failures "$(jobs_kv "$out" create_failures)" req '<=' 0
  for k in $(seq "$ticks"); do
    bench_result "$SCENARIO" "tick${k}_received" "$(jobs_kv "$out" "tick${k}_received")" jobs '>=' "$n"
    bench_result "$SCENARIO" "tick${k}_missing" "$(jobs_kv "$out" "tick${k}_missing")" jobs '<=' 0
    bench_result "$SCENARIO" "tick${k}_duplicates" "$(jobs_kv "$out" "tick${k}_duplicates")" jobs '<=' 0
    bench_result "$SCENARIO" "tick${k}_early" "$(jobs_kv "$out" "tick${k}_early")" jobs '<=' 0
    bench_result "$SCENARIO" "tick${k}_lateness_p50" "$(jobs_kv "$out" "tick${k}_lateness_p50_ms")" ms ${op:+"$op" "$b50"}
    bench_result "$SCENARIO" "tick${k}_lateness_p99" "$(jobs_kv "$out" "tick${k}_lateness_p99_ms")" ms ${op:+"$op" "$b99"}
    bench_result "$SCENARIO" "tick${k}_lateness_max" "$(jobs_kv "$out" "tick${k}_lateness_max_ms")" ms
  done
  if [ -n "$op" ]; then
    bench_result "$SCENARIO" burst_lateness_p50 "$b50" ms
    bench_result "$SCENARIO" burst_lateness_p99 "$b99" ms
    bench_result "$SCENARIO" worst_tick_p99_over_burst_p99 "$(bench_ratio "$(jobs_kv "$out" ticks_worst_p99_ms)" "$b99")" x
  fi
  bench_result "$SCENARIO" ticks_dispatch_rss "$((rss / 1024))" MiB
}

_sched_part_scale() {
  local n=1000000 out=$OUT/$SCENARIO-probes.out yaml cron='* * * * *'
  [ "$MODE" = smoke ] && { n=10000; cron=@yearly; }
  bench_db_reset
  yaml=$(bench_yaml_jobs)
  bench_nginx_start "$RECV_PORT" 200
  local recv=$NGINX_PID r0
  # Migrated, with the project and a key, before the rows go in; then restarted over them.
  bench_dispatch_start "$yaml"
  local rss_empty
  rss_empty=$(bench_rss_kb "$DISPATCH_PID")
  bench_dispatch_stop
  local t0 t1
  t0=$(bench_secs)
  # Even i: paused every minute (next_fire_at NULL). Odd i: daily at minute k of the day (UTC),
  # next_fire_at its next occurrence after now.
  bench_psql -c "
    INSERT INTO schedules (id, project_id, title, webhook_url, payload, cron, timezone, paused,
                           next_fire_at, created_at, updated_at)
    SELECT gen_random_uuid(), p.id, 'scale ' || i, 'http://127.0.0.1:$RECV_PORT/bg',
           '{\"i\":' || i || '}',
           CASE WHEN i % 2 = 0 THEN '* * * * *' ELSE (k % 60) || ' ' || (k / 60) || ' * * *' END,
           'UTC', i % 2 = 0,
           CASE WHEN i % 2 = 0 THEN NULL
                WHEN day + k * interval '1 minute' > now() THEN day + k * interval '1 minute'
                ELSE day + interval '1 day' + k * interval '1 minute' END,
           now(), now()
    FROM projects p,
         generate_series(0, $n - 1) AS i,
         LATERAL (SELECT (i / 2) % 1440 AS k) kk,
         LATERAL (SELECT date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day) dd
    WHERE p.name = 'bench'" >/dev/null
  t1=$(bench_secs)
  bench_psql -c "ANALYZE schedules" >/dev/null
  local stored paused armed insert_s
  read -r stored paused armed < <(bench_psql -F' ' -c "
    SELECT count(*), count(*) FILTER (WHERE paused), count(next_fire_at) FROM schedules")
  insert_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b - a}')
  echo "stored: $stored schedules ($paused paused, $armed armed) in ${insert_s}s; table $(bench_psql -c \
    "SELECT pg_size_pretty(pg_total_relation_size('schedules'))") with its indexes"
  r0=$(bench_nginx_requests "$RECV_PORT")
  bench_dispatch_start "$yaml"
  local pg c0d c0p s0 s1 c1d c1p rss_start rss
  pg=$(bench_pg_pid)
  s0=$(bench_secs)
  c0d=$(bench_cpu_ticks "$DISPATCH_PID")
  c0p=$(bench_cpu_ticks "$pg")
  rss_start=$(bench_rss_kb "$DISPATCH_PID")
  _sched_ticks 5 1 "$cron" "$out"
  s1=$(bench_secs)
  c1d=$(bench_cpu_ticks "$DISPATCH_PID")
  c1p=$(bench_cpu_ticks "$pg")
  rss=$(bench_rss_kb "$DISPATCH_PID")
  local window daily probe_tick cofired
  window=$(awk -v a="$s0" -v b="$s1" 'BEGIN{printf "%.1f", b - a}')
  daily=$(($(bench_nginx_requests "$RECV_PORT") - r0 - 1))
  probe_tick=$(jobs_kv "$out" tick1_at)
  cofired=$(bench_psql -c "SELECT count(*) FROM jobs WHERE schedule_tick = ts_to_ms('$probe_tick'::timestamptz)
    AND schedule_id NOT IN (SELECT id FROM schedules WHERE title LIKE 'tick %')" 2>/dev/null || echo "?")
  echo "window: ${window}s from Dispatch's start over them to the probes' report;" \
    "$daily daily ticks reached nginx meanwhile; $cofired daily jobs share the probes' tick $probe_tick"
  # The ticker's query as it runs every second, without the row locks (they would make the
  # running ticker skip those rows).
  local plan ms
  plan=$(bench_psql -c "
    EXPLAIN (ANALYZE, BUFFERS) SELECT s.id FROM schedules s
    WHERE s.next_fire_at <= ms_to_ts(ts_to_ms(now()) + 30000) ORDER BY s.next_fire_at LIMIT 500")
  awk '{ print "ticker query: " $0 }' <<<"$plan"
  ms=$(awk '/Execution Time/ { print $3 }' <<<"$plan")
  bench_dispatch_stop
  bench_untrack_kill "$recv"
  bench_result "$SCENARIO" schedules_stored "$stored" sched '>=' "$n"
  bench_result "$SCENARIO" schedules_paused "$paused" sched
  bench_result "$SCENARIO" insert_per_s "$(awk -v n="$stored" -v s="$insert_s" 'BEGIN{printf "%.0f", (s > 0) ? n / s : 0}')" sched/s
  bench_result "$SCENARIO" scale_rss_empty "$rss_empty" KiB
  bench_result "$SCENARIO" scale_rss_start "$rss_start" KiB
  bench_result "$SCENARIO" scale_dispatch_rss "$rss" KiB '<=' 262144
  bench_result "$SCENARIO" probe_missing "$(jobs_kv "$out" tick1_missing)" jobs '<=' 0
  bench_result "$SCENARIO" probe_duplicates "$(jobs_kv "$out" tick1_duplicates)" jobs '<=' 0
  bench_result "$SCENARIO" probe_early "$(jobs_kv "$out" tick1_early)" jobs '<=' 0
  bench_result "$SCENARIO" probe_lateness_p50 "$(jobs_kv "$out" tick1_lateness_p50_ms)" ms
  bench_result "$SCENARIO" probe_lateness_max "$(jobs_kv "$out" tick1_lateness_max_ms)" ms
  bench_result "$SCENARIO" probe_tick_cofired "$cofired" jobs
  bench_result "$SCENARIO" daily_ticks_delivered "$daily" jobs
  bench_result "$SCENARIO" scale_dispatch_cpu "$(bench_cores $((c1d - c0d)) "$window")" cores
  bench_result "$SCENARIO" scale_postgres_cpu "$(bench_cores $((c1p - c0p)) "$window")" cores
  bench_result "$SCENARIO" ticker_query "${ms:-?}" ms
}

scenario_schedules() {
  _sched_part_ticks
  _sched_part_scale
}
