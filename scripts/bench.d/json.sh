# shellcheck shell=bash
# Scenario json (issue 10: "measure libsimdjson-dev and rapidjson-dev against ours on the
# ingest path"; not part of `all`). No server and no database: tests/bench/json_bench.cc
# parses webhook bodies (tests/bench/fixtures/: a GitHub push, a Stripe event, a Shopify order,
# and an 800 KB generated array) with our parser, simdjson 3.0.1 (on-demand and DOM) and
# rapidjson, and prints first how each one treats the inputs where Dispatch needs one exact
# answer (raw number text, UTF-8, surrogates, NUL, depth, trailing bytes, duplicate keys),
# then ns/op and MB/s per body for: validate, extract one dot-path value, build the whole tree.
# Rows: per body and operation, ours and the fastest library's ns/op and their ratio; per
# library, behaviour rows not as Dispatch needs them (ours: 0). Smoke: 3 short rounds.
# The whole printout (both tables in Markdown, as docs/benchmarks.md quotes them) is in
# $OUT/json.out.

scenario_json() {
  local out=$OUT/$SCENARIO.out args=(--fixtures "$ROOT/tests/bench/fixtures") lib body op
  [ "$MODE" = smoke ] && args+=(--quick)
  [ -x "$TOOLS/json_bench" ] || {
    echo "json_bench was not built (needs libsimdjson-dev and rapidjson-dev)" >&2
    return 1
  }
  "$TOOLS/json_bench" "${args[@]}" >"$out"
  grep -v '^result ' "$out"
  for lib in ours "simdjson on-demand" "simdjson DOM" rapidjson; do
    local target=()
    [ "$lib" = ours ] && target=('<=' 0)
    bench_result "$SCENARIO" "misses_${lib// /_}" "$(awk -v l="misses $lib" \
      'index($0, l " ") == 1 { print $NF }' "$out")" rows "${target[@]}"
  done
  for body in github-push stripe-event shopify-order array-800k; do
    for op in validate extract tree; do
      awk -v b="$body" -v o="$op" '$1 == "result" && $2 == b && $3 == o' "$out" >"$out.rows"
      local ours best best_lib
      ours=$(awk '$4 == "ours" { print $5 }' "$out.rows")
      read -r best_lib best < <(awk '$4 != "ours" { print $4, $5 }' "$out.rows" | sort -k2,2n | head -n 1)
      bench_result "$SCENARIO" "${body}_${op}_ours" "$ours" ns/op
      bench_result "$SCENARIO" "${body}_${op}_${best_lib}" "$best" ns/op
      bench_result "$SCENARIO" "${body}_${op}_ours/best" "$(bench_ratio "$ours" "$best")" x
    done
  done
  rm -f "$out.rows"
}
