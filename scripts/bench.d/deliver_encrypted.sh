# shellcheck shell=bash
# Scenario deliver-encrypted (issue 11): the Dispatch half of `deliver` — a backlog of 200,000
# due job deliveries (smoke: 2,000) drained to nginx `return 200` — with encryption at rest on
# (project bench `encrypt_payloads: true`, DISPATCH_MASTER_KEYS set; see BENCH_ENCRYPT in
# common.sh): each claim opens the job's sealed payload and headers, each completion seals the
# attempt's response body. graphile-worker is not run again. Rows: those of `deliver`'s
# Dispatch half, the check that every stored row is sealed (bench_sealed_check), and, when
# `deliver` ran earlier in the same invocation, the ratios to its last run.

# shellcheck source=scripts/bench.d/deliver.sh
. "$ROOT/scripts/bench.d/deliver.sh"

scenario_deliver_encrypted() {
  local n=200000 limit=240
  [ "$MODE" = smoke ] && { n=2000; limit=60; }
  # shellcheck disable=SC2034  # read by common.sh (the config and the environment)
  BENCH_ENCRYPT=1
  deliver_dispatch "$n" "$limit"
  bench_result "$SCENARIO" dispatch_deliveries_per_s "$D_RATE" del/s
  deliver_dispatch_results "$n"
  bench_sealed_check
  bench_ratios_to_plain "$SCENARIO" deliver dispatch_deliveries_per_s cpu_per_delivery
}
