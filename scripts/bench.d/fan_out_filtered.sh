# shellcheck shell=bash
# Scenario fan-out-filtered (issue 12): `fan-out` — signed 1 KB JSON, 64 connections, wrk, four
# webhook destinations, the first link through the Lua reshape transform — with a body filter
# on the links to d2 and d3 (BENCH_FILTERED in common.sh: d2 `type` equal and `pad` matched by
# an RE2 regex over its 993 bytes, d3 `type` in a list and `pad` present). Every event passes
# both, so the deliveries are fan-out's and the difference is what the filters cost: their
# evaluation (the body is parsed once for the event type already). Rows: those of `fan-out`
# and, when `fan-out` ran earlier in the same invocation (`scripts/bench fan-out
# fan-out-filtered`), the ratios to its last run. Compare within one run.

scenario_fan_out_filtered() {
  local secs=20 drain=60
  [ "$MODE" = smoke ] && { secs=2; drain=20; }
  # shellcheck disable=SC2034  # read by common.sh (bench_yaml_router)
  BENCH_FILTERED=1
  bench_signed_body
  bench_router_throughput 4 "$ROOT/tests/bench/wrk/transform_reshape.lua" "$secs" "$drain"
  bench_ratios_to_plain "$SCENARIO" fan-out events_per_s cpu_per_event dispatch_cpu_per_event
}
