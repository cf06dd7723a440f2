#!/usr/bin/env bash
# make bench: search throughput and latency over HTTP against the database's own limit.
#
#  1. starts the test services (PostgreSQL), builds the release binaries;
#  2. creates the database sp_bench (dropped first), migrates it, seeds N listings
#     (default 100 000) through the real domain and repositories;
#  3. serves it (release build, logs at warn); `search-bench --prepare` writes a realistic
#     filter mix as URLs (for wrk) and as the SQL the adapter runs for each (for pgbench);
#     wrk drives HTTP at concurrency C (default 32) for S seconds (default 30) after a
#     5 s warm-up (which also fills the estimate cache, as real traffic does);
#  4. pgbench runs the same searches' SQL at the same concurrency: the database's own
#     limit. Both results and the ratio are printed.
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

echo "== database sp_bench with $LISTINGS listings"
psql "$PG" -qc "DROP DATABASE IF EXISTS sp_bench WITH (FORCE)" -c "CREATE DATABASE sp_bench"
DATABASE_URL=$DB_URL "$BIN/student-palace" migrate up >/dev/null
time (DATABASE_URL=$DB_URL AUTO_MIGRATE=false "$BIN/student-palace" seed --demo --listings "$LISTINGS")
psql "$DB_URL" -qc "VACUUM ANALYZE"

echo "== serving on :$PORT"
DATABASE_URL=$DB_URL PORT=$PORT STORAGE_URL=memory:// RUST_LOG=warn DATABASE_MAX_CONNECTIONS=${BENCH_POOL:-$CONC} \
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

echo "== pgbench: the same $(ls "$SCRIPTS"/q*.sql | wc -l) searches' SQL, concurrency $CONC, ${SECS}s"
ARGS=()
for f in "$SCRIPTS"/q*.sql; do ARGS+=(-f "$f"); done
pgbench -n -c "$CONC" -j "$(nproc)" -T "$SECS" -M prepared "${ARGS[@]}" "$DB_URL" >/tmp/sp-bench-pgbench.log 2>&1
grep -E '^(latency average|tps)' /tmp/sp-bench-pgbench.log
PGB=$(grep -E '^tps' /tmp/sp-bench-pgbench.log | head -1)
HTTP_RPS=$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$HTTP")
PG_TPS=$(sed -E 's/tps = ([0-9.]+).*/\1/' <<<"$PGB")
python3 - "$HTTP_RPS" "$PG_TPS" "$HTTP" <<'PY'
import sys
http, pg, line = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
print(f"== summary: HTTP {http:.0f} req/s vs pgbench {pg:.0f} tps -> {100*http/pg:.0f}% of the database's limit; {line}")
PY
rm -rf "$SCRIPTS"
