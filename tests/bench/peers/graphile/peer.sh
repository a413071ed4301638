# shellcheck shell=bash
# graphile-worker peer for scripts/bench scenarios (sourced by scripts/bench.d/deliver.sh and
# jobs_burst.sh after common.sh). graphile-worker is installed with npm, at the version pinned
# in package.json, into $OUT/peers/graphile/node_modules; its tables live in the schema
# graphile_worker of the bench database (so bench_db_reset drops them).
#   gw_install               node + npm (Debian packages if missing) and graphile-worker
#   gw_add N [RUN_AT_MS [SPREAD_MS]]   migrate its schema and bulk-add N `post` jobs
#   gw_version               the installed graphile-worker version
# The worker itself: node "$GW_DIR/run.js" drain|fire ... (see run.js).

GW_SRC=$ROOT/tests/bench/peers/graphile
GW_DIR=$OUT/peers/graphile

gw_install() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    "$ROOT/scripts/bootstrap" nodejs npm
  fi
  mkdir -p "$GW_DIR"
  cp "$GW_SRC/package.json" "$GW_SRC/run.js" "$GW_DIR/"
  local want have
  want=$(sed -n 's/.*"graphile-worker": *"\([^"]*\)".*/\1/p' "$GW_SRC/package.json")
  have=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$GW_DIR/node_modules/graphile-worker/package.json" 2>/dev/null | head -n 1 || true)
  if [ "$have" != "$want" ]; then
    echo "bench: installing graphile-worker $want with npm into $GW_DIR" >&2
    (cd "$GW_DIR" && timeout 300 npm install --no-audit --no-fund --no-package-lock --loglevel=error \
      >"$GW_DIR/npm.log" 2>&1) || { tail -n 20 "$GW_DIR/npm.log" >&2; return 1; }
  fi
}

gw_version() {
  sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$GW_DIR/node_modules/graphile-worker/package.json" | head -n 1
}

gw_add() {
  (cd "$GW_DIR" && timeout 300 node run.js add "$@")
}
