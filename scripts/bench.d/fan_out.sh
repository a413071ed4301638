# shellcheck shell=bash
# Scenario fan-out (issue 4, #2): the ingest load (signed 1 KB JSON, 64 connections, wrk)
# routed to 4 webhook destinations (nginx `return 200`), the first link through a Lua
# reshape transform (tests/bench/wrk/transform_reshape.lua). Target: ≥ 6,000 events/s.

scenario_fan_out() {
  local secs=20 drain=60
  [ "$MODE" = smoke ] && { secs=2; drain=20; }
  bench_signed_body
  bench_router_throughput 4 "$ROOT/tests/bench/wrk/transform_reshape.lua" "$secs" "$drain"
}
