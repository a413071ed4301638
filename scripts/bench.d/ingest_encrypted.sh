# shellcheck shell=bash
# Scenario ingest-encrypted (issue 11): the Dispatch half of `ingest` — signed 1 KB JSON
# (preset hmac), one webhook destination (nginx `return 200`), 64 connections, wrk — with
# encryption at rest on (project bench `encrypt_payloads: true`, DISPATCH_MASTER_KEYS set; see
# BENCH_ENCRYPT in common.sh): every event's body and headers are sealed on ingest and opened
# again when its delivery is claimed. The peers (nginx 202, webhook) are not run again. Rows:
# those of `ingest`'s Dispatch half, the check that every stored row is sealed
# (bench_sealed_check), and, when `ingest` ran earlier in the same invocation, the ratios to
# its last run (events_per_s_vs_plain, cpu_per_event_vs_plain). Compare within one run: on a
# shared machine the absolute figures move more between runs than encryption moves them.

scenario_ingest_encrypted() {
  local secs=20 drain=120
  [ "$MODE" = smoke ] && { secs=2; drain=20; }
  # shellcheck disable=SC2034  # read by common.sh (the config and the environment)
  BENCH_ENCRYPT=1
  bench_signed_body
  bench_router_throughput 1 "" "$secs" "$drain"
  bench_sealed_check
  bench_ratios_to_plain "$SCENARIO" ingest events_per_s cpu_per_event
}
