#!/usr/bin/env bash
# make bench: search throughput and latency over HTTP against the database's own limit.
#
#  1. starts the test services (PostgreSQL), builds the release binaries;
#  2. creates the database sp_bench (dropped first), migrates it, seeds N listings
#     (default 100 000) through the real domain and repositories;
#  3. serves it (release build, logs at warn, the default pool of 10 connections unless
#     BENCH_POOL is set); `search-bench --prepare` writes a realistic
#     filter mix as URLs (for wrk) and as the SQL the adapter runs for each (for pgbench);
#     wrk drives HTTP at concurrency C (default 32) for S seconds (default 30) after a
#     5 s warm-up (which also fills the estimate cache, as real traffic does);
#  4. pgbench runs the same searches' SQL at the same concurrency: the database's own
#     limit. Twice: with the values bound as parameters, exactly as the service sends
#     them (the reference for the target), and with the values written into the SQL
#     as constants (planned once per connection: the floor). Results and ratios are
#     printed.
# BENCH_REUSE_DB=1 keeps an existing sp_bench (skips the ~100 s seed) and only migrates it.
# Record the numbers in docs/performance.md. Nothing here runs in CI.
set -euo pipefail
cd "$(dirname "$0")/.."

LISTINGS=${BENCH_LISTINGS:-100000}
CONC=${BENCH_CONCURRENCY:-32}
SECS=${BENCH_SECONDS:-30}
PORT=${BENCH_PORT:-8090}
PG=${TEST_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}
DB_URL="${PG%/*}/sp_bench"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
BIN=$CARGO_TARGET_DIR/release

scripts/services.sh
command -v pgbench >/dev/null || { echo "pgbench missing: apt-get install -y postgresql-contrib (or postgresql-client)"; exit 1; }
command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y -q wrk >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }; }

echo "== building release binaries"
cargo build --release --quiet -p bootstrap --bin student-palace -p sp-tests --bin search-bench

if [ "${BENCH_REUSE_DB:-0}" = 1 ] && psql "$DB_URL" -qAtc "SELECT 1 FROM listings LIMIT 1" 2>/dev/null | grep -q 1; then
  echo "== database sp_bench: reused (BENCH_REUSE_DB=1), migrated to the latest schema"
  DATABASE_URL=$DB_URL "$BIN/student-palace" migrate up >/dev/null 2>&1
else
  echo "== database sp_bench with $LISTINGS listings"
  psql "$PG" -qc "DROP DATABASE IF EXISTS sp_bench WITH (FORCE)" -c "CREATE DATABASE sp_bench"
  DATABASE_URL=$DB_URL "$BIN/student-palace" migrate up >/dev/null
  time (DATABASE_URL=$DB_URL AUTO_MIGRATE=false "$BIN/student-palace" seed --demo --listings "$LISTINGS")
fi
psql "$DB_URL" -qc "VACUUM ANALYZE"

echo "== serving on :$PORT"
env DATABASE_URL=$DB_URL PORT=$PORT STORAGE_URL=memory:// RUST_LOG=warn ${BENCH_POOL:+DATABASE_MAX_CONNECTIONS=$BENCH_POOL} \
  "$BIN/student-palace" serve >/tmp/sp-bench-server.log 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/livez" >/dev/null && break; sleep 0.1; done

SCRIPTS=$(mktemp -d)
"$BIN/search-bench" --prepare "$SCRIPTS" --cases 120   # pgbench takes at most 128 scripts
echo "== HTTP (wrk): concurrency $CONC, ${SECS}s after a 5 s warm-up"
BENCH_URLS=$SCRIPTS/urls.txt wrk -t2 -c"$CONC" -d5s -s scripts/bench-urls.lua "http://127.0.0.1:$PORT" >/dev/null
HTTP=$(BENCH_URLS=$SCRIPTS/urls.txt wrk -t2 -c"$CONC" -d"${SECS}s" -s scripts/bench-urls.lua "http://127.0.0.1:$PORT" | grep '^RESULT')
echo "$HTTP"
kill $SERVER; wait $SERVER 2>/dev/null || true

run_pgbench() { # $1: label, $2: directory of q*.sql, rest: extra pgbench arguments
  local label=$1 dir=$2; shift 2
  local args=()
  for f in "$dir"/q*.sql; do args+=(-f "$f"); done
  echo "== pgbench ($label): the same $((${#args[@]} / 2)) searches' SQL, concurrency $CONC, ${SECS}s"
  pgbench -n -c "$CONC" -j "$(nproc)" -T "$SECS" -M prepared "$@" "${args[@]}" "$DB_URL" >/tmp/sp-bench-pgbench-$label.log 2>&1
  grep -E '^(latency average|tps)' /tmp/sp-bench-pgbench-$label.log
}
mapfile -t DEFINES <"$SCRIPTS/vars.txt"
# The service's sessions plan every execution for its values (sp_sql::connect::PLAN_CACHE_MODE);
# pgbench's sessions get the same setting.
PGOPTIONS="-c plan_cache_mode=force_custom_plan" run_pgbench bound "$SCRIPTS" "${DEFINES[@]}"
run_pgbench inlined "$SCRIPTS/inlined"
tps() { grep -E '^tps' "/tmp/sp-bench-pgbench-$1.log" | head -1 | sed -E 's/tps = ([0-9.]+).*/\1/'; }
HTTP_RPS=$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$HTTP")
python3 - "$HTTP_RPS" "$(tps bound)" "$(tps inlined)" "$HTTP" <<'PY'
import sys
http, bound, inlined, line = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
print(f"== summary: HTTP {http:.0f} req/s; pgbench {bound:.0f} tps with bound values -> {100*http/bound:.0f}% "
      f"of the database's limit (target >= 70%); {inlined:.0f} tps with inlined constants -> {100*http/inlined:.0f}%; {line}")
PY
rm -rf "$SCRIPTS"
