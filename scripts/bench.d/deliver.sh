# shellcheck shell=bash
# deliver — sustained deliveries/s draining a backlog of 200,000 due deliveries (smoke: 2,000)
# to nginx (`return 200` on RECV_PORT), Dispatch side by side with graphile-worker.
#
# Dispatch: one job is created through the API (due in an hour), Dispatch is stopped, and the
# backlog is made in SQL by cloning that job and its delivery row N times (new ids, due one
# second ago) — whatever columns the schema has, so the rows are the ones the API would write.
# Each clone's payload is {"bench":"deliver","i":<n>}; when the project encrypts
# (deliver-encrypted) the template's sealed payload is kept as it is (a sealed value opens in
# any row of its project and field), so every clone sends {"bench":"deliver","i":0}.
# Then VACUUM ANALYZE and CHECKPOINT, and Dispatch is started on the backlog.
# graphile-worker (version pinned in tests/bench/peers/graphile/package.json): a fresh
# database, N `post` jobs added with graphile_worker.add_jobs (5,000 per call), VACUUM ANALYZE
# and CHECKPOINT, then one worker in its batched mode (localQueue 500, completeJobBatchDelay 0,
# failJobBatchDelay 0, concurrentJobs 24, maxPoolSize 25) whose task POSTs the same kind of
# JSON body to the same nginx with a keep-alive http.Agent.
# Both are timed the same way, at the receiver: from the first request nginx counts to the
# N-th (stub_status polled every 0.1 s), so start-up is left out for both.
# Rows: dispatch_deliveries_per_s (>= 12000), graphile_jobs_per_s, dispatch_vs_graphile
# (>= 1.25), the counts that show nothing was lost or sent twice, and CPU (cores while
# draining; cpu_per_delivery: Dispatch's and PostgreSQL's together per delivery, µs).
# deliver-encrypted (deliver_encrypted.sh) runs the Dispatch half again with encryption on.

# shellcheck source=tests/bench/peers/graphile/peer.sh
. "$ROOT/tests/bench/peers/graphile/peer.sh"

# deliver_wait_drain PORT BASE N LIMIT_S: waits until nginx on PORT counted N requests beyond
# BASE (its own status polls subtracted), for at most LIMIT_S seconds or 15 s without progress.
# Sets DRAIN_RECEIVED, DRAIN_SECS (first request → N-th, 0.1 s resolution), DRAIN_WAIT (s).
deliver_wait_drain() {
  local port=$1 base=$2 n=$3 limit=$4 polls=0 got t0 now first="" last=-1 since
  t0=$(bench_secs)
  since=$t0
  while :; do
    got=$(bench_nginx_requests "$port")
    polls=$((polls + 1))
    got=$((got - base - polls))
    now=$(bench_secs)
    if [ -z "$first" ] && [ "$got" -gt 0 ]; then first=$now; fi
    [ "$got" -ge "$n" ] && break
    if [ "$got" -ne "$last" ]; then last=$got; since=$now; fi
    awk -v a="$now" -v b="$t0" -v l="$limit" -v s="$since" 'BEGIN{exit !((a - b) >= l || (a - s) >= 15)}' && break
    sleep 0.1
  done
  DRAIN_RECEIVED=$got
  DRAIN_SECS=$(awk -v a="$now" -v b="${first:-$now}" 'BEGIN{printf "%.2f", a - b}')
  DRAIN_WAIT=$(awk -v a="$now" -v b="$t0" 'BEGIN{printf "%.1f", a - b}')
}

# deliver_q SQL: one figure from the bench database, "?" if the query fails (schema changed).
deliver_q() { bench_psql -c "$1" 2>/dev/null || echo "?"; }

deliver_rate() { awk -v n="$1" -v s="$2" 'BEGIN{ if (s + 0 <= 0) print 0; else printf "%.0f", n / s }'; }

# deliver_backlog N: the Dispatch backlog, N due job deliveries cloned from one API-made job.
deliver_backlog() {
  local n=$1 at tpl
  at=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%S.000Z)
  tpl=$(curl -s --max-time 10 -X POST "http://127.0.0.1:$DISPATCH_PORT/api/v1/jobs" \
    -H 'Content-Type: application/json' -H "x-api-key: $API_KEY" \
    -d "{\"title\":\"deliver\",\"webhookUrl\":\"http://127.0.0.1:$RECV_PORT/deliver\",\"fireAt\":\"$at\",\"payload\":{\"bench\":\"deliver\",\"i\":0}}" |
    sed -n 's/.*"id":"\([0-9a-f-]*\)".*/\1/p' | head -n 1)
  [ -n "$tpl" ] || { echo "deliver: could not create the template job" >&2; return 1; }
  bench_dispatch_stop
  # Time-ordered ids (like Dispatch's UUIDv7): 48-bit ms, version 7, variant 10.
  bench_psql -v tpl="$tpl" -v n="$n" >/dev/null <<'SQL'
CREATE TEMP TABLE ids AS
  SELECT i, (lpad(to_hex(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint - 60000 + i / 64), 12, '0')
             || '7' || substr(h, 1, 3) || '8' || substr(h, 4, 15))::uuid AS id
  FROM (SELECT i, md5(i::text || ':' || random()::text) AS h FROM generate_series(1, :n) i) s;
BEGIN;
INSERT INTO jobs
  SELECT r.* FROM jobs t, ids, LATERAL jsonb_populate_record(NULL::jobs, to_jsonb(t) || jsonb_build_object(
            'id', ids.id, 'fire_at', now() - interval '1 second')
            || CASE WHEN t.key_id IS NULL
                    THEN jsonb_build_object('payload', '{"bench":"deliver","i":' || ids.i || '}')
                    ELSE '{}'::jsonb END) r
  WHERE t.id = :'tpl';
INSERT INTO deliveries
  SELECT r.* FROM deliveries d, ids, LATERAL jsonb_populate_record(NULL::deliveries, to_jsonb(d) || jsonb_build_object(
            'id', ids.id, 'job_id', ids.id, 'message_id', ids.id::text,
            'due_at', now() - interval '1 second')) r
  WHERE d.job_id = :'tpl';
DELETE FROM deliveries WHERE job_id = :'tpl';
DELETE FROM jobs WHERE id = :'tpl';
COMMIT;
SQL
  bench_psql -c "VACUUM ANALYZE jobs" -c "VACUUM ANALYZE deliveries" -c "CHECKPOINT" >/dev/null
}

# deliver_dispatch N LIMIT_S: the Dispatch half — an empty database, nginx `return 200` on
# RECV_PORT, a backlog of N due deliveries (deliver_backlog), Dispatch started on it and timed
# at the receiver until N arrived (at most LIMIT_S). Sets D_RATE (del/s), D_SECS, D_RECV,
# D_SUCCESS and D_OPEN (rows after), D_RSS (KiB), D_CPU and D_PGCPU (cores while draining) and
# D_CPU_US (Dispatch and PostgreSQL CPU per delivery received, µs).
deliver_dispatch() {
  local n=$1 limit=$2 yaml due base t0
  bench_db_reset
  bench_nginx_start "$RECV_PORT" 200
  local recv=$NGINX_PID
  yaml=$(bench_yaml_jobs)
  bench_dispatch_start "$yaml"
  t0=$(bench_secs)
  deliver_backlog "$n"
  due=$(deliver_q "SELECT count(*) FROM deliveries WHERE due_at <= now()")
  echo "dispatch: backlog of $due due deliveries made in $(awk -v a="$(bench_secs)" -v b="$t0" 'BEGIN{printf "%.1f", a - b}') s"
  base=$(bench_nginx_requests "$RECV_PORT")
  bench_dispatch_start "$yaml"
  local pg c0a c0p ta tp
  pg=$(bench_pg_pid)
  c0a=$(bench_cpu_ticks "$DISPATCH_PID")
  c0p=$(bench_cpu_ticks "$pg")
  deliver_wait_drain "$RECV_PORT" "$base" "$n" "$limit"
  ta=$(($(bench_cpu_ticks "$DISPATCH_PID") - c0a))
  tp=$(($(bench_cpu_ticks "$pg") - c0p))
  D_CPU=$(bench_cores "$ta" "$DRAIN_WAIT")
  D_PGCPU=$(bench_cores "$tp" "$DRAIN_WAIT")
  D_SECS=$DRAIN_SECS
  D_RECV=$DRAIN_RECEIVED
  D_RATE=$(deliver_rate "$D_RECV" "$D_SECS")
  D_CPU_US=$(awk -v t=$((ta + tp)) -v n="$D_RECV" -v hz="$(getconf CLK_TCK)" \
    'BEGIN{printf "%.0f", (n > 0) ? t / hz / n * 1e6 : 0}')
  echo "dispatch: $D_RECV of $n deliveries reached nginx in $D_SECS s (first to last; waited $DRAIN_WAIT s)"
  sleep 0.5  # completions are group-committed after the answer
  D_SUCCESS=$(deliver_q "SELECT count(*) FROM deliveries WHERE status = 'SUCCESS'")
  D_OPEN=$(deliver_q "SELECT count(*) FROM deliveries WHERE status NOT IN ('SUCCESS','DEAD','CANCELLED')")
  D_RSS=$(bench_rss_kb "$DISPATCH_PID")
  bench_dispatch_stop
  bench_untrack_kill "$recv"
}

scenario_deliver() {
  local n=200000 limit=240 base gwout t0 pg c0p recv
  [ "$MODE" = smoke ] && { n=2000; limit=60; }
  gw_install

  # --- Dispatch ---------------------------------------------------------------------------
  deliver_dispatch "$n" "$limit"

  # --- graphile-worker --------------------------------------------------------------------
  bench_db_reset
  bench_nginx_start "$RECV_PORT" 200
  recv=$NGINX_PID
  t0=$(bench_secs)
  gw_add "$n" >/dev/null
  bench_psql -c "VACUUM ANALYZE graphile_worker._private_jobs" -c "CHECKPOINT" >/dev/null
  echo "graphile-worker $(gw_version): $(bench_psql -c 'SELECT count(*) FROM graphile_worker._private_jobs') jobs added in $(awk -v a="$(bench_secs)" -v b="$t0" 'BEGIN{printf "%.1f", a - b}') s"
  base=$(bench_nginx_requests "$RECV_PORT")
  gwout=$OUT/$SCENARIO-graphile.out
  (cd "$GW_DIR" && RECV_URL="http://127.0.0.1:$RECV_PORT/deliver" GW_MODE=batched \
    GW_LIMIT_MS=$((limit * 1000)) exec timeout $((limit + 30)) node run.js drain "$n") >"$gwout" 2>&1 &
  local gw=$!
  bench_track "$gw"
  pg=$(bench_pg_pid)
  c0p=$(bench_cpu_ticks "$pg")
  deliver_wait_drain "$RECV_PORT" "$base" "$n" "$limit"
  local g_cpu g_pgcpu
  g_pgcpu=$(bench_cores $(($(bench_cpu_ticks "$pg") - c0p)) "$DRAIN_WAIT")
  local g_secs=$DRAIN_SECS g_recv=$DRAIN_RECEIVED g_rate
  g_rate=$(deliver_rate "$g_recv" "$g_secs")
  wait "$gw" 2>/dev/null || echo "graphile-worker runner failed:" >&2
  bench_untrack_kill "$gw"
  sed 's/^/graphile: /' "$gwout"
  # node's own CPU use (process.cpuUsage) over its run, in cores.
  g_cpu=$(awk '$1 == "graphile_node_cores" { print $2 }' "$gwout")
  echo "graphile: $g_recv of $n requests reached nginx in $g_secs s (first to last; waited $DRAIN_WAIT s)"
  local g_left
  g_left=$(deliver_q "SELECT count(*) FROM graphile_worker._private_jobs")
  bench_untrack_kill "$recv"

  bench_result "$SCENARIO" dispatch_deliveries_per_s "$D_RATE" del/s '>=' 12000
  bench_result "$SCENARIO" graphile_jobs_per_s "$g_rate" jobs/s
  bench_result "$SCENARIO" dispatch_vs_graphile "$(bench_ratio "$D_RATE" "$g_rate")" x '>=' 1.25
  deliver_dispatch_results "$n"
  bench_result "$SCENARIO" graphile_node_cpu "${g_cpu:-?}" cores
  bench_result "$SCENARIO" graphile_postgres_cpu "$g_pgcpu" cores
  bench_result "$SCENARIO" graphile_received "$g_recv" req
  bench_result "$SCENARIO" graphile_jobs_left "$g_left" jobs
}

# deliver_dispatch_results N: the rows of deliver_dispatch after the rate (counts, RSS, CPU).
deliver_dispatch_results() {
  local n=$1
  bench_result "$SCENARIO" dispatch_received "$D_RECV" req '>=' "$n"
  bench_result "$SCENARIO" dispatch_success_rows "$D_SUCCESS" rows '>=' "$n"
  bench_result "$SCENARIO" dispatch_open_after "$D_OPEN" rows '<=' 0
  bench_result "$SCENARIO" dispatch_rss "$((D_RSS / 1024))" MiB
  # CPU while draining (from start to the last delivery), cores, and per delivery (µs, both).
  bench_result "$SCENARIO" dispatch_cpu "$D_CPU" cores
  bench_result "$SCENARIO" dispatch_postgres_cpu "$D_PGCPU" cores
  bench_result "$SCENARIO" cpu_per_delivery "$D_CPU_US" us
}
