# shellcheck shell=bash
# Shared helpers for scripts/bench scenarios. Sourced by scripts/bench (never run on its own)
# before the scenario files; every name below is part of the scenario interface.
#
# Variables: ROOT OUT BIN TOOLS MODE DISPATCH_PORT RECV_PORT PEER_PORT HMAC_SECRET
#            SCENARIO (the scenario being run) BENCH_ADMIN_URL (the bench cluster's
#            `postgres` database) and, after bench_db_reset, DATABASE_URL.
# Functions: bench_db_reset bench_dispatch_start bench_dispatch_stop bench_track
#            bench_untrack_kill bench_kill_tracked bench_nginx_start bench_nginx_requests
#            bench_result bench_ratio bench_rss_kb bench_cpu_ticks bench_pg_pid bench_cores
#            bench_yaml_router bench_yaml_jobs bench_psql bench_secs bench_wait_port
#            bench_last_result
#            encryption at rest (ingest-encrypted, deliver-encrypted): BENCH_ENCRYPT
#            bench_sealed_check
#            filters (fan-out-filtered): BENCH_FILTERED
#            router load: bench_signed_body bench_wrk bench_wrk_summary bench_wait_received
#            bench_router_throughput
#
# Everything listens on 127.0.0.1 only. Every PID a helper starts is tracked and killed on exit.

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
OUT=$ROOT/var/bench
MODE=${MODE:-full}
BUILD_DIR=${BENCH_BUILD_DIR:-$ROOT/build-bench}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
BIN=$BUILD_DIR/dispatch
TOOLS=$BUILD_DIR
# Ports (overridable, e.g. to run two checkouts' benchmarks side by side).
DISPATCH_PORT=${BENCH_DISPATCH_PORT:-18181}
RECV_PORT=${BENCH_RECV_PORT:-18182}
PEER_PORT=${BENCH_PEER_PORT:-18190}
BENCH_PG_PORT=${BENCH_PG_PORT:-54331}
HMAC_SECRET=bench-hmac-secret
BENCH_ADMIN_URL="postgresql://postgres@127.0.0.1:$BENCH_PG_PORT/postgres"
SCENARIO=${SCENARIO:-bench}
# BENCH_ENCRYPT=1 (set by the *-encrypted scenarios, not read from the caller's environment):
# project bench has `encrypt_payloads: true` and every dispatch command gets
# DISPATCH_MASTER_KEYS, one key id `bench1` with a key made once per run (so the restarts
# within a scenario open what it sealed). The key is never printed.
BENCH_ENCRYPT=0
BENCH_MASTER_KEYS="bench1:$(openssl rand -base64 32)"
# BENCH_FILTERED=1 (set by fan-out-filtered, not read from the caller's environment): the router
# config's links to d2 and d3 carry a body filter (bench_yaml_router) that every bench event
# passes, so the deliveries stay those of the unfiltered run.
BENCH_FILTERED=0
export ROOT OUT MODE BIN TOOLS DISPATCH_PORT RECV_PORT PEER_PORT HMAC_SECRET BENCH_ADMIN_URL
# PIDs to kill at cleanup: in this shell's array and, so the driver can also stop what a
# scenario subshell left behind, one per line in $OUT/pids.
BENCH_PIDS=()

bench_track() {
  BENCH_PIDS+=("$1")
  echo "$1" >>"$OUT/pids"
}

# Kills (TERM, then KILL after 5 s) and reaps one PID now.
bench_untrack_kill() {
  local pid=$1 i
  kill "$pid" 2>/dev/null || true
  for i in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
  local keep=() p
  for p in "${BENCH_PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  BENCH_PIDS=("${keep[@]}")
}

# Kills every PID tracked in this shell (a scenario subshell's EXIT trap; the driver's too).
bench_kill_tracked() {
  local p
  for p in "${BENCH_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${BENCH_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  BENCH_PIDS=()
}

bench_psql() { psql "${DATABASE_URL:-$BENCH_ADMIN_URL}" -X -q -tA -v ON_ERROR_STOP=1 "$@"; }

# Seconds since the epoch with decimals (for durations).
bench_secs() { date +%s.%N; }

# Waits up to 10 s for something to listen on 127.0.0.1:PORT.
bench_wait_port() {
  local i
  for i in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench: nothing listens on 127.0.0.1:$1 after 10 s" >&2
  return 1
}

# Drops and recreates the database `bench` (graphile's schema lives in it and goes with it).
bench_db_reset() {
  psql "$BENCH_ADMIN_URL" -X -q -tA -v ON_ERROR_STOP=1 \
    -c "DROP DATABASE IF EXISTS bench WITH (FORCE)" -c "CREATE DATABASE bench" >/dev/null
  export DATABASE_URL="postgresql://postgres@127.0.0.1:$BENCH_PG_PORT/bench"
}

# bench_dispatch_start YAML_FILE: migrate, an API key for project bench (API_KEY), serve in
# the background (DISPATCH_PID), waits for its "listening" line. Log: $OUT/<scenario>-serve.log.
bench_dispatch_start() {
  local yaml=$1 log="$OUT/$SCENARIO-serve.log" i keys=()
  [ "$BENCH_ENCRYPT" = 1 ] && keys=(DISPATCH_MASTER_KEYS="$BENCH_MASTER_KEYS")
  env "${keys[@]}" "$BIN" migrate --config "$yaml" >/dev/null
  API_KEY=$(env "${keys[@]}" "$BIN" keys create --project bench --config "$yaml" | tail -n 1)
  export API_KEY
  : >"$log"
  env "${keys[@]}" "$BIN" serve --config "$yaml" >>"$log" 2>&1 &
  DISPATCH_PID=$!
  export DISPATCH_PID
  bench_track "$DISPATCH_PID"
  for i in $(seq 200); do
    grep -q '"listening"' "$log" && return 0
    kill -0 "$DISPATCH_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "bench: dispatch serve did not start (see $log):" >&2
  tail -n 5 "$log" >&2
  return 1
}

bench_dispatch_stop() {
  [ -n "${DISPATCH_PID:-}" ] || return 0
  bench_untrack_kill "$DISPATCH_PID"
  DISPATCH_PID=
}

# bench_nginx_start PORT STATUS [WORKERS]: nginx answering `return STATUS` on 127.0.0.1:PORT
# (any path), and its request counter on /nginx_status (stub_status); sets NGINX_PID. Own
# prefix under $OUT, no daemon, no access log, long keep-alive. WORKERS defaults to 1, right
# for a receiver: one worker answers ~140k req/s here, far above what it is sent, and a second
# one only takes CPU from the process under test. The 202 ceiling peer passes `auto` (2
# workers: ~210k req/s with wrk on the same 2 cores).
bench_nginx_start() {
  local port=$1 status=$2 workers=${3:-1} dir="$OUT/nginx-$1"
  mkdir -p "$dir/logs" "$dir/tmp"
  cat >"$dir/nginx.conf" <<CONF
worker_processes $workers;
daemon off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 4096; multi_accept on; }
http {
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  client_body_buffer_size 64k;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  server {
    listen 127.0.0.1:$port backlog=4096;
    location = /nginx_status { stub_status; }
    location / { return $status; }
  }
}
CONF
  nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log" >"$dir/logs/stdout.log" 2>&1 &
  NGINX_PID=$!
  bench_track "$NGINX_PID"
  bench_wait_port "$port"
}

# bench_nginx_requests PORT: requests nginx on PORT has handled so far (stub_status; the
# status request itself included, which callers subtract by taking differences).
bench_nginx_requests() {
  curl -s --max-time 5 "http://127.0.0.1:$1/nginx_status" | awk 'NR==3{print $3}'
}

# bench_result SCENARIO METRIC VALUE UNIT [OP TARGET]: one row of results.tsv, printed too.
# OP is >= or <=. In smoke mode there is no verdict.
bench_result() {
  local sc=$1 metric=$2 value=$3 unit=$4 op=${5:-} target=${6:-} verdict=""
  if [ -n "$op" ]; then
    if [ "$MODE" = smoke ]; then
      verdict="-"
    elif awk -v v="$value" -v t="$target" -v op="$op" \
        'BEGIN{ if (v !~ /^-?[0-9.]+(e[-+]?[0-9]+)?$/) exit 1; exit !((op==">=") ? (v+0 >= t+0) : (v+0 <= t+0)) }'; then
      verdict=PASS
    else
      verdict=MISS
    fi
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$sc" "$metric" "$value" "$unit" "$op" "$target" "$verdict" \
    >>"$OUT/results.tsv"
  printf 'result %-15s %-28s %12s %-8s %s\n' "$sc" "$metric" "$value" "$unit" \
    "${op:+$op $target $verdict}"
}

# bench_rss_kb PID: resident set size in KiB.
bench_rss_kb() { awk '/^VmRSS:/{print $2}' "/proc/$1/status"; }

# bench_cpu_ticks PID...: CPU time (clock ticks: user + system, own threads and reaped
# children) of each PID and of its direct children, summed. Differences over a load window
# give CPU use; `bench_pg_pid` names the PostgreSQL postmaster (its backends are children).
bench_cpu_ticks() {
  local p c total=0 t
  for p in "$@"; do
    for c in "$p" $(pgrep -P "$p" || true); do
      t=$(sed 's/^.*) //' "/proc/$c/stat" 2>/dev/null | awk '{print $12 + $13 + $14 + $15}') || t=0
      total=$((total + ${t:-0}))
    done
  done
  echo "$total"
}
bench_pg_pid() { head -n 1 "$OUT/pg/postmaster.pid"; }
# bench_cores TICKS SECONDS: CPU cores used, two decimals.
bench_cores() { awk -v t="$1" -v s="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", (s > 0) ? t / hz / s : 0}'; }

# Common YAML head: Dispatch on DISPATCH_PORT, sized for the benchmark.
_bench_yaml_head() {
  cat <<YAML
server: { listen: 127.0.0.1:$DISPATCH_PORT, threads: 96 }
database: { url: "\${DATABASE_URL}", pool: 16 }
delivery: { workers: 64, allow_http: true, allow_private_networks: true }
projects:
  - name: bench
    signing_secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
YAML
  if [ "$BENCH_ENCRYPT" = 1 ]; then echo "    encrypt_payloads: true"; fi
}

# _bench_yaml_router_head: the YAML head plus the signed source `bench` (preset hmac, secret
# HMAC_SECRET, event type at `type`), up to the `destinations:` key.
_bench_yaml_router_head() {
  _bench_yaml_head
  cat <<YAML
    sources:
      - slug: bench
        verify: { preset: hmac, secret: $HMAC_SECRET }
        event_type: { path: type }
    destinations:
YAML
}

# bench_yaml_router NDEST [TRANSFORM_FILE]: prints the path of a router config: source `bench`
# (preset hmac, secret HMAC_SECRET, event type at `type`), NDEST webhook destinations
# http://127.0.0.1:RECV_PORT/d<i>, one link to each (the transform on the first). With
# BENCH_FILTERED=1 the links to d2 and d3 carry a body filter every bench event passes: d2
# `type` equal and `pad` matched by an RE2 regex over its 993 bytes, d3 `type` in a list and
# `pad` present.
bench_yaml_router() {
  local n=$1 transform=${2:-} f="$OUT/$SCENARIO-router.yaml" i filter
  [ -z "$transform" ] || transform=$(cd "$(dirname "$transform")" && pwd)/$(basename "$transform")
  {
    _bench_yaml_router_head
    for i in $(seq "$n"); do
      printf '      - { name: d%d, type: webhook, url: "http://127.0.0.1:%s/d%d" }\n' "$i" "$RECV_PORT" "$i"
    done
    echo "    links:"
    for i in $(seq "$n"); do
      filter=""
      if [ "$BENCH_FILTERED" = 1 ] && [ "$i" -eq 2 ]; then
        filter=", filter: { body: { type: bench.event, pad: { \$regex: '^0+\$' } } }"
      elif [ "$BENCH_FILTERED" = 1 ] && [ "$i" -eq 3 ]; then
        filter=", filter: { body: { type: { \$in: [bench.event, bench.other] }, pad: { \$exists: true } } }"
      fi
      if [ "$i" -eq 1 ] && [ -n "$transform" ]; then
        printf '      - { source: bench, destination: d%d, transform: "%s"%s }\n' "$i" "$transform" "$filter"
      else
        printf '      - { source: bench, destination: d%d%s }\n' "$i" "$filter"
      fi
    done
  } >"$f"
  echo "$f"
}

# bench_yaml_jobs: prints the path of a config with project bench only (job scenarios).
bench_yaml_jobs() {
  local f="$OUT/$SCENARIO-jobs.yaml"
  _bench_yaml_head >"$f"
  echo "$f"
}

# bench_wrk_summary FILE: from `wrk --latency` output, prints
#   "<requests> <seconds> <non2xx> <socket_errors> <p50_ms> <p99_ms>"
bench_wrk_summary() {
  awk '
    function ms(s) {
      if (s ~ /us$/) return substr(s, 1, length(s) - 2) / 1000
      if (s ~ /ms$/) return substr(s, 1, length(s) - 2) + 0
      if (s ~ /m$/) return substr(s, 1, length(s) - 1) * 60000
      if (s ~ /s$/) return substr(s, 1, length(s) - 1) * 1000
      return s + 0
    }
    / requests in / { req = $1; d = $4; sub(/,$/, "", d)
      if (d ~ /ms$/) secs = substr(d, 1, length(d) - 2) / 1000
      else if (d ~ /m$/) secs = substr(d, 1, length(d) - 1) * 60
      else if (d ~ /h$/) secs = substr(d, 1, length(d) - 1) * 3600
      else { sub(/s$/, "", d); secs = d + 0 } }
    /Non-2xx or 3xx responses:/ { non = $NF }
    /Socket errors:/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) { v = $i; sub(/,/, "", v); err += v } }
    /^ +50% / { p50 = ms($2) }
    /^ +99% / { p99 = ms($2) }
    END { printf "%d %s %d %d %.2f %.2f\n", req, secs, non, err, p50, p99 }
  ' "$1"
}

# --- Router load (ingest, fan-out, soak) -------------------------------------------------

# bench_signed_body: exports BENCH_BODY (1,024 bytes of JSON, event type bench.event) and
# BENCH_SIG ("sha256=<hex>", preset hmac over the body with HMAC_SECRET) for
# tests/bench/wrk/signed_post.lua.
bench_signed_body() {
  BENCH_BODY=$(printf '{"type":"bench.event","pad":"%0993d"}' 0)
  BENCH_SIG="sha256=$(printf '%s' "$BENCH_BODY" | openssl dgst -sha256 -hmac "$HMAC_SECRET" | awk '{print $NF}')"
  export BENCH_BODY BENCH_SIG
}

# bench_wrk NAME URL SECONDS CONNS: wrk (2 threads, --latency, 10 s timeout) posting the signed
# body; output in $OUT/<scenario>-NAME.wrk. Sets WRK_REQ (completed requests), WRK_SECS,
# WRK_NON2XX, WRK_ERR (socket errors), WRK_P50 and WRK_P99 (ms), WRK_OK (2xx answers) and
# WRK_OK_RATE (2xx answers per second).
bench_wrk() {
  local name=$1 url=$2 secs=$3 conns=$4 f="$OUT/$SCENARIO-$1.wrk"
  [ -n "${BENCH_BODY:-}" ] || bench_signed_body
  timeout $((secs + 30)) wrk -t2 -c"$conns" -d"${secs}s" --timeout 10s --latency \
    -s "$ROOT/tests/bench/wrk/signed_post.lua" "$url" >"$f" 2>&1 || {
    echo "bench: wrk $name failed:" >&2
    cat "$f" >&2
    return 1
  }
  read -r WRK_REQ WRK_SECS WRK_NON2XX WRK_ERR WRK_P50 WRK_P99 < <(bench_wrk_summary "$f")
  WRK_OK=$((WRK_REQ - WRK_NON2XX))
  WRK_OK_RATE=$(awk -v n="$WRK_OK" -v s="$WRK_SECS" 'BEGIN{printf "%.0f", (s > 0) ? n / s : 0}')
  printf '%s: %d requests in %ss, %d non-2xx, %d socket errors: %s 2xx/s, p50 %s ms, p99 %s ms\n' \
    "$name" "$WRK_REQ" "$WRK_SECS" "$WRK_NON2XX" "$WRK_ERR" "$WRK_OK_RATE" "$WRK_P50" "$WRK_P99"
}

# bench_last_result SCENARIO METRIC: the value of the last such row in results.tsv, empty when
# there is none (e.g. the plain scenario was not run before its encrypted twin).
bench_last_result() {
  awk -F'\t' -v s="$1" -v m="$2" '$1 == s && $2 == m { v = $3 } END { print v }' "$OUT/results.tsv"
}

# bench_sealed_check: after an encrypted scenario (BENCH_ENCRYPT=1), what the bench database
# holds. Rows of events, jobs, deliveries and attempts: all of them, and those with key_id
# NULL (plaintext); stored values of the sealed fields (core/store/sealer.h) that are not an
# envelope under this run's key (`dx1.bench1.`). Rows plaintext_rows (<= 0) and
# unsealed_values (<= 0), so a figure labelled encrypted is one of sealed rows.
bench_sealed_check() {
  local counts
  counts=$(bench_psql -F ' ' <<'SQL'
SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM jobs)
     + (SELECT count(*) FROM deliveries) + (SELECT count(*) FROM attempts),
       (SELECT count(*) FROM events WHERE key_id IS NULL) + (SELECT count(*) FROM jobs WHERE key_id IS NULL)
     + (SELECT count(*) FROM deliveries WHERE key_id IS NULL)
     + (SELECT count(*) FROM attempts WHERE key_id IS NULL),
       (SELECT count(*) FROM events WHERE substring(body FROM 1 FOR 11) <> 'dx1.bench1.'::bytea
                                       OR headers NOT LIKE 'dx1.bench1.%')
     + (SELECT count(*) FROM jobs WHERE payload NOT LIKE 'dx1.bench1.%' OR headers NOT LIKE 'dx1.bench1.%')
     + (SELECT count(*) FROM deliveries WHERE substring(body FROM 1 FOR 11) <> 'dx1.bench1.'::bytea
                                           OR headers NOT LIKE 'dx1.bench1.%')
     + (SELECT count(*) FROM attempts WHERE response_body NOT LIKE 'dx1.bench1.%'),
       (SELECT count(*) FROM events), (SELECT count(*) FROM jobs), (SELECT count(*) FROM deliveries),
       (SELECT count(*) FROM attempts)
SQL
)
  local rows plain unsealed ev jobs dl at
  read -r rows plain unsealed ev jobs dl at <<<"$counts"
  echo "stored: $ev events, $jobs jobs, $dl deliveries, $at attempts; $plain rows with key_id NULL," \
    "$unsealed sealed-field values not under key bench1"
  bench_result "$SCENARIO" sealed_rows "$((rows - plain))" rows
  bench_result "$SCENARIO" plaintext_rows "$plain" rows '<=' 0
  bench_result "$SCENARIO" unsealed_values "$unsealed" values '<=' 0
}

# bench_ratio A B: A / B with two decimals ("-" when B is 0).
bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }

# bench_ratios_to_plain SCENARIO PLAIN METRIC...: for each metric the plain scenario reported
# earlier in this run, records SCENARIO's <metric>_vs_plain (SCENARIO's figure ÷ PLAIN's).
bench_ratios_to_plain() {
  local scenario=$1 plain_scenario=$2 m plain
  shift 2
  for m in "$@"; do
    plain=$(bench_last_result "$plain_scenario" "$m")
    [ -z "$plain" ] || bench_result "$scenario" "${m}_vs_plain" \
      "$(bench_ratio "$(bench_last_result "$scenario" "$m")" "$plain")" x
  done
}

# bench_wait_received PORT BASE EXPECTED LIMIT_S: waits until the nginx on PORT has answered
# EXPECTED requests since its counter read BASE, for at most LIMIT_S seconds (or 15 s without
# progress). Sets RECEIVED (requests since BASE) and RECEIVE_SECS (time waited).
bench_wait_received() {
  local port=$1 base=$2 expected=$3 limit=$4 t0 now last=-1 since n polls=0
  t0=$(date +%s)
  since=$t0
  while :; do
    n=$(bench_nginx_requests "$port")
    # Each status poll is a request too (the one that read BASE is already in BASE).
    polls=$((polls + 1))
    RECEIVED=$((n - base - polls))
    now=$(date +%s)
    [ "$RECEIVED" -ge "$expected" ] && break
    [ $((now - t0)) -ge "$limit" ] && break
    if [ "$RECEIVED" -ne "$last" ]; then last=$RECEIVED; since=$now; fi
    [ $((now - since)) -ge 15 ] && break
    sleep 0.5
  done
  RECEIVE_SECS=$((now - t0))
}

# bench_router_throughput NDEST TRANSFORM_FILE|"" SECONDS DRAIN_LIMIT_S: an empty database,
# nginx `return 200` on RECV_PORT, Dispatch routing source `bench` to NDEST destinations
# there, wrk with 64 connections for SECONDS; then waits (at most DRAIN_LIMIT_S) for the
# deliveries to reach nginx and stops Dispatch and nginx. Reports <scenario> rows
# events_per_s, latency, non-2xx, events stored, deliveries received; sets ROUTER_RATE.
bench_router_throughput() {
  local ndest=$1 transform=$2 secs=$3 drain=$4 yaml r0 stored rss expected
  bench_db_reset
  yaml=$(bench_yaml_router "$ndest" "$transform")
  bench_nginx_start "$RECV_PORT" 200
  local recv=$NGINX_PID
  r0=$(bench_nginx_requests "$RECV_PORT")
  bench_dispatch_start "$yaml"
  local pg c0d c0p c1d c1p
  pg=$(bench_pg_pid)
  c0d=$(bench_cpu_ticks "$DISPATCH_PID")
  c0p=$(bench_cpu_ticks "$pg")
  bench_wrk dispatch "http://127.0.0.1:$DISPATCH_PORT/hooks/bench" "$secs" 64
  c1d=$(bench_cpu_ticks "$DISPATCH_PID")
  c1p=$(bench_cpu_ticks "$pg")
  rss=$(bench_rss_kb "$DISPATCH_PID")
  local ok=$WRK_OK p50=$WRK_P50 p99=$WRK_P99 non=$WRK_NON2XX err=$WRK_ERR
  ROUTER_RATE=$WRK_OK_RATE
  stored=$(bench_psql -c "SELECT count(*) FROM events")
  expected=$((stored * ndest))
  bench_wait_received "$RECV_PORT" "$r0" "$expected" "$drain"
  # Deliveries still to make when the wait ended (measured before Dispatch stops).
  local open
  open=$(bench_psql -c "SELECT count(*) FROM deliveries WHERE status NOT IN ('SUCCESS','DEAD','CANCELLED')")
  echo "deliveries: $RECEIVED of $expected reached the receiver within ${RECEIVE_SECS}s after the load; $open still open"
  bench_dispatch_stop
  bench_untrack_kill "$recv"
  local target_rate=10000
  [ "$ndest" -gt 1 ] && target_rate=6000
  bench_result "$SCENARIO" events_per_s "$ROUTER_RATE" ev/s '>=' "$target_rate"
  if [ "$ndest" -gt 1 ]; then
    bench_result "$SCENARIO" latency_p50 "$p50" ms
    bench_result "$SCENARIO" latency_p99 "$p99" ms
  else
    bench_result "$SCENARIO" latency_p50 "$p50" ms
    bench_result "$SCENARIO" latency_p99 "$p99" ms '<=' 25
  fi
  bench_result "$SCENARIO" non_2xx "$non" req '<=' 0
  [ "$err" -eq 0 ] || bench_result "$SCENARIO" socket_errors "$err" req
  bench_result "$SCENARIO" stored_of_accepted "$(bench_ratio "$stored" "$ok")" x '>=' 1
  bench_result "$SCENARIO" delivered_of_stored "$(bench_ratio "$RECEIVED" "$expected")" x
  bench_result "$SCENARIO" delivery_wait "$RECEIVE_SECS" s
  bench_result "$SCENARIO" dispatch_rss "$((rss / 1024))" MiB
  # CPU during the load (ingest and the deliveries made meanwhile), and per accepted event.
  bench_result "$SCENARIO" dispatch_cpu "$(bench_cores $((c1d - c0d)) "$WRK_SECS")" cores
  bench_result "$SCENARIO" postgres_cpu "$(bench_cores $((c1p - c0p)) "$WRK_SECS")" cores
  bench_result "$SCENARIO" cpu_per_event "$(awk -v t=$((c1d - c0d + c1p - c0p)) -v n="$ok" \
    -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.0f", (n > 0) ? t / hz / n * 1e6 : 0}')" us
  # Dispatch's share alone: where routing work (filters, transforms) shows.
  bench_result "$SCENARIO" dispatch_cpu_per_event "$(awk -v t=$((c1d - c0d)) -v n="$ok" \
    -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.0f", (n > 0) ? t / hz / n * 1e6 : 0}')" us
}
