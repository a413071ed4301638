# shellcheck shell=bash
# Scenario fan-out-filtered (issue 12): `fan-out` — signed 1 KB JSON, 64 connections, wrk, four
# webhook destinations, the first link through the Lua reshape transform — with a body filter
# on the links to d2 and d3 (BENCH_FILTERED in common.sh: d2 `type` equal and `pad` matched by
# an RE2 regex over its 993 bytes, d3 `type` in a list and `pad` present). Every event passes
# both, so the deliveries are fan-out's and the difference is what the filters cost: their
# evaluation (the body is parsed once for the event type already). Rows: those of `fan-out`;
# when `fan-out` ran earlier in the same invocation (`scripts/bench fan-out
# fan-out-filtered`), the ratios to its last run (compare within one run); and, timed alone by
# tests/bench/filter_bench.cc on the run's config and event (when that tool is built), the
# CPU time of each filter and of both per event, beside the body's parse.

scenario_fan_out_filtered() {
  local secs=20 drain=60 args=() out=$OUT/$SCENARIO-filters.out
  [ "$MODE" = smoke ] && { secs=2; drain=20; args=(--min-ms 20 --rounds 3); }
  # shellcheck disable=SC2034  # read by common.sh (bench_yaml_router)
  BENCH_FILTERED=1
  bench_signed_body
  bench_router_throughput 4 "$ROOT/tests/bench/wrk/transform_reshape.lua" "$secs" "$drain"
  bench_ratios_to_plain "$SCENARIO" fan-out events_per_s cpu_per_event dispatch_cpu_per_event
  if [ ! -x "$TOOLS/filter_bench" ]; then
    echo "filter_bench was not built ($TOOLS): no per-filter times" >&2
    return 0
  fi
  "$TOOLS/filter_bench" "$OUT/$SCENARIO-router.yaml" "${args[@]}" >"$out"
  sed "s/^result /filter_bench: /" "$out"
  bench_result "$SCENARIO" body_parse "$(awk '$2 == "parse" { print $3 }' "$out")" ns
  bench_result "$SCENARIO" filter_d2_regex "$(awk '$2 == "filter_d2" { print $3 }' "$out")" ns
  bench_result "$SCENARIO" filter_d3_in "$(awk '$2 == "filter_d3" { print $3 }' "$out")" ns
  bench_result "$SCENARIO" filters_per_event "$(awk '$2 ~ /^filter_/ { t += $3 } END { print t + 0 }' "$out")" ns
  bench_result "$SCENARIO" filters_passed "$(awk '$2 ~ /^filter_/ { p += $4; n++ } END { print p "/" n }' "$out")" links
}
