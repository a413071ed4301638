# shellcheck shell=bash
# Scenario json (issue 10: "measure libsimdjson-dev and rapidjson-dev against ours on the
# ingest path"; not part of `all`). No server and no database: tests/bench/json_bench.cc
# parses webhook bodies (tests/bench/fixtures/: a GitHub push, a Stripe event, a Shopify order,
# and an 800 KB generated array) with our parser, simdjson 3.0.1 (on-demand and DOM) and
# rapidjson, and prints first how each one treats the inputs where Dispatch needs one exact
# answer (raw number text, UTF-8, surrogates, NUL, depth, trailing bytes, duplicate keys),
# then ns/op and MB/s per body for: validate, extract one dot-path value, build the whole tree.
# Rows: per library, behaviour rows not as Dispatch needs them (ours judged: 0); per body
# (push stripe shopify array800k) and operation, ours and the fastest library's ns/op (od =
# simdjson on-demand, dom = simdjson DOM, rj = rapidjson) and their ratio. Smoke: 3 short
# rounds. Times are CPU time of the bench's thread, so a busy machine inflates them less.
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
  # Short names keep the table's columns: push stripe shopify array800k; od dom rj.
  local short ours best best_lib
  for body in github-push stripe-event shopify-order array-800k; do
    short=${body%%-*}
    [ "$body" = array-800k ] && short=array800k
    [ "$body" = github-push ] && short=push
    for op in validate extract tree; do
      awk -v b="$body" -v o="$op" '$1 == "result" && $2 == b && $3 == o' "$out" >"$out.rows"
      ours=$(awk '$4 == "ours" { print $5 }' "$out.rows")
      read -r best_lib best < <(awk '$4 != "ours" { print $4, $5 }' "$out.rows" | sort -k2,2n | head -n 1)
      case "$best_lib" in simdjson-od) best_lib="od" ;; simdjson-dom) best_lib="dom" ;; *) best_lib="rj" ;; esac
      bench_result "$SCENARIO" "${short}_${op}_ours" "$ours" ns/op
      bench_result "$SCENARIO" "${short}_${op}_${best_lib}" "$best" ns/op
      bench_result "$SCENARIO" "${short}_${op}_ours/${best_lib}" "$(bench_ratio "$ours" "$best")" x
    done
  done
  rm -f "$out.rows"
}
