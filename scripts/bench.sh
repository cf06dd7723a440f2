#!/usr/bin/env bash
# make bench: every public read a results page makes, over HTTP, against the database's
# own limit and against a route that returns a constant.
#
#  1. starts the test services (PostgreSQL), builds the release binaries;
#  2. creates the database sp_bench (dropped first), migrates it, seeds N listings
#     (default 100 000) through the real domain and repositories, each with a ready
#     photo made by the image pipeline (so search cards carry their cover);
#  3. serves it (release build, logs at warn, no embedded worker: the seeded photos'
#     jobs stay queued, the default pool of 10 connections unless
#     BENCH_POOL is set); `search-bench --prepare` writes a realistic filter mix as URLs
#     (for wrk) and as the SQL the adapter runs for each (for pgbench);
#  4. wrk, concurrency C (default 32), S seconds each (default 30) after a 5 s warm-up
#     (which also fills the estimate cache, as real traffic does):
#       search (pages of 20: the target), search with page_size=50, listing detail
#       (500 random published listings), all three computed (the requests carry the
#       read-your-writes cookie, which skips the response cache); then the same first
#       pages and listing pages as anonymous visitors get them (from the response cache,
#       PUBLIC_CACHE_TTL_SECONDS), /cities, /stats, and /livez (a constant);
#  5. pgbench runs the page-20 searches' SQL at the same concurrency: the database's own
#     limit, with the values bound as parameters, exactly as the service sends them (the
#     reference for the target), and once with the values written into the SQL as
#     constants (planned once per connection: the floor). The page-20 search and the
#     bound pgbench run alternate BENCH_ROUNDS times (default 3) and the medians are
#     compared: on a shared 2-core machine one pair of runs can differ by 30%;
#  6. bytes per page: the search pages as served (cards) and what the same pages weighed
#     when items were whole listings (the sum of their detail documents);
#  7. a login storm (tests/src/bin/login_storm.rs): BENCH_STORM_CONCURRENCY (default 500)
#     clients sign in with wrong passwords for BENCH_STORM_SECONDS (default 20) while 4
#     clients search; the server's peak resident memory (target < 256 MiB), every answer's
#     status (target: only 401 and 503) and the searches' p95 (target < 100 ms).
#  8. photos (tests/src/bin/photo_bench.rs): a generated 12 MP phone JPEG (noise, ~15 MB) to every
#     variant, BENCH_PHOTOS times (default 12), one at a time (images/s per core) and one
#     per core; the peak resident memory of the process doing it.
#  9. instrumentation: the page-20 search against a second server with metrics
#     (METRICS_PORT, scraped every 5 s) and traces on (OTLP to a port where nothing
#     listens: spans are made, sampled at 10% and batched, their export fails fast) and
#     the first server (both off), BENCH_ROUNDS pairs, which one goes first alternating;
#     the medians compared (target: on within 5% of off).
# BENCH_ONLY=storm runs steps 1-3 and 7 only; BENCH_ONLY=photos runs step 8 only;
# BENCH_ONLY=telemetry runs steps 1-3 and 9.
# Results, ratios and targets are printed; record them in docs/performance.md.
# BENCH_REUSE_DB=1 keeps an existing sp_bench (skips the ~100 s seed) and only migrates it.
# Nothing here runs in CI.
set -euo pipefail
cd "$(dirname "$0")/.."

LISTINGS=${BENCH_LISTINGS:-100000}
CONC=${BENCH_CONCURRENCY:-32}
ROUNDS=${BENCH_ROUNDS:-3}
SECS=${BENCH_SECONDS:-30}
PORT=${BENCH_PORT:-8090}
PG=${TEST_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}
DB_URL="${PG%/*}/sp_bench"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
BIN=$CARGO_TARGET_DIR/release
BASE="http://127.0.0.1:$PORT"

scripts/services.sh
command -v pgbench >/dev/null || { echo "pgbench missing: apt-get install -y postgresql-contrib (or postgresql-client)"; exit 1; }
command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y -q wrk >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }; }

echo "== building release binaries"
cargo build --release --quiet -p bootstrap --bin student-palace -p sp-tests --bin search-bench --bin login-storm --bin photo-bench

photo_bench() {
  echo "== photos: a 12 MP JPEG to every variant, ${BENCH_PHOTOS:-12} times"
  "$BIN/photo-bench" "${BENCH_PHOTOS:-12}" | tee -a "${1:-/dev/null}"
}
if [ "${BENCH_ONLY:-}" = photos ]; then
  photo_bench
  exit 0
fi

if [ "${BENCH_REUSE_DB:-0}" = 1 ] && psql "$DB_URL" -qAtc "SELECT 1 FROM listings LIMIT 1" 2>/dev/null | grep -q 1; then
  echo "== database sp_bench: reused (BENCH_REUSE_DB=1), migrated to the latest schema"
  DATABASE_URL=$DB_URL "$BIN/student-palace" migrate up >/dev/null 2>&1
else
  echo "== database sp_bench with $LISTINGS listings"
  psql "$PG" -qc "DROP DATABASE IF EXISTS sp_bench WITH (FORCE)" -c "CREATE DATABASE sp_bench"
  DATABASE_URL=$DB_URL "$BIN/student-palace" migrate up >/dev/null
  # Every listing gets a ready photo (about 100 KB of files each, in a scratch folder
  # removed afterwards: the searches need the rows, not the files).
  MEDIA_DIR=$(mktemp -d /var/tmp/sp-bench-media.XXXXXX)
  time (DATABASE_URL=$DB_URL AUTO_MIGRATE=false STORAGE_URL="file://$MEDIA_DIR" "$BIN/student-palace" seed --demo --listings "$LISTINGS")
  rm -rf "$MEDIA_DIR"
fi
psql "$DB_URL" -qc "VACUUM ANALYZE"

echo "== serving on :$PORT"
# wrk and the storm all come from 127.0.0.1: the per-IP limits are lifted (the storm
# measures the server behind them).
NO_LIMITS="global=1000000000/1000000,login-ip=1000000000/1000000,login-account=1000000000/1000000,register-ip=1000000000/1000000"
env DATABASE_URL=$DB_URL PORT=$PORT STORAGE_URL=memory:// EMBEDDED_WORKER=false RATE_LIMITS=$NO_LIMITS RUST_LOG=warn ${BENCH_POOL:+DATABASE_MAX_CONNECTIONS=$BENCH_POOL} \
  "$BIN/student-palace" serve >/tmp/sp-bench-server.log 2>&1 &
SERVER=$!
SCRIPTS=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$SCRIPTS"' EXIT
for _ in $(seq 100); do curl -sf "$BASE/livez" >/dev/null && break; sleep 0.1; done

RESULTS=$SCRIPTS/results.txt
: >"$RESULTS"
if [ "${BENCH_ONLY:-}" != storm ]; then
"$BIN/search-bench" --prepare "$SCRIPTS" --cases 120   # pgbench takes at most 128 scripts
"$BIN/search-bench" --prepare "$SCRIPTS/page50" --cases 120 --page-size 50 >/dev/null
psql "$DB_URL" -qAtc "SELECT '/api/v1/listings/' || id FROM listings WHERE status = 'published' ORDER BY md5(id::text) LIMIT 500" \
  >"$SCRIPTS/detail.txt"
for p in cities stats; do echo "/api/v1/$p" >"$SCRIPTS/$p.txt"; done
echo "/livez" >"$SCRIPTS/livez.txt"

wrk_run() { # $1: label, $2: file of paths (BENCH_COOKIE: sent with every request)
  echo "== HTTP $1 (wrk): concurrency $CONC, ${SECS}s after a 5 s warm-up${BENCH_COOKIE:+, Cookie: $BENCH_COOKIE}"
  BENCH_URLS=$2 wrk -t2 -c"$CONC" -d5s -s scripts/bench-urls.lua "${WRK_BASE:-$BASE}" >/dev/null
  local line
  line=$(BENCH_URLS=$2 wrk -t2 -c"$CONC" -d"${SECS}s" -s scripts/bench-urls.lua "${WRK_BASE:-$BASE}" | grep '^RESULT')
  echo "$line"
  echo "$1 $line" >>"$RESULTS"
}
run_pgbench() { # $1: label, $2: directory of q*.sql, rest: extra pgbench arguments
  local label=$1 dir=$2; shift 2
  local args=()
  for f in "$dir"/q*.sql; do args+=(-f "$f"); done
  echo "== pgbench ($label): the same $((${#args[@]} / 2)) searches' SQL, concurrency $CONC, ${SECS}s"
  pgbench -n -c "$CONC" -j "$(nproc)" -T "$SECS" -M prepared "$@" "${args[@]}" "$DB_URL" >/tmp/sp-bench-pgbench-$label.log 2>&1
  grep -E '^(latency average|tps)' /tmp/sp-bench-pgbench-$label.log
  echo "pgbench $label tps=$(grep -E '^tps' /tmp/sp-bench-pgbench-$label.log | head -1 | sed -E 's/tps = ([0-9.]+).*/\1/') latency_ms=$(grep -E '^latency average' /tmp/sp-bench-pgbench-$label.log | head -1 | sed -E 's/.*= ([0-9.]+) ms/\1/')" >>"$RESULTS"
}
telemetry_bench() {
  local port=$((PORT + 1)) metrics=$((PORT + 2)) nowhere=$((PORT + 3))
  echo "== instrumentation on: a second server on :$port (METRICS_PORT $metrics, traces to :$nowhere at 10%)"
  env DATABASE_URL=$DB_URL PORT=$port STORAGE_URL=memory:// EMBEDDED_WORKER=false RATE_LIMITS=$NO_LIMITS RUST_LOG=warn \
    METRICS_PORT=$metrics OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$nowhere OTEL_TRACES_SAMPLER_ARG=0.1 \
    ${BENCH_POOL:+DATABASE_MAX_CONNECTIONS=$BENCH_POOL} "$BIN/student-palace" serve >/tmp/sp-bench-server-on.log 2>&1 &
  local on=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/livez" >/dev/null && break; sleep 0.1; done
  ( while kill -0 $on 2>/dev/null; do curl -sf "http://127.0.0.1:$metrics/metrics" >/dev/null; sleep 5; done ) &
  local scraper=$!
  # Alternating which goes first (off-on, on-off, ...): a machine that slows down or
  # speeds up during the runs then favours neither.
  for round in $(seq "$ROUNDS"); do
    echo "== instrumentation round $round of $ROUNDS"
    if [ $((round % 2)) = 1 ]; then
      BENCH_COOKIE=sp_fresh=1 wrk_run telemetry-off "$SCRIPTS/urls.txt"
      WRK_BASE="http://127.0.0.1:$port" BENCH_COOKIE=sp_fresh=1 wrk_run telemetry-on "$SCRIPTS/urls.txt"
    else
      WRK_BASE="http://127.0.0.1:$port" BENCH_COOKIE=sp_fresh=1 wrk_run telemetry-on "$SCRIPTS/urls.txt"
      BENCH_COOKIE=sp_fresh=1 wrk_run telemetry-off "$SCRIPTS/urls.txt"
    fi
  done
  kill $on $scraper 2>/dev/null || true
  wait $on 2>/dev/null || true
}
if [ "${BENCH_ONLY:-}" = telemetry ]; then
  telemetry_bench
else
mapfile -t DEFINES <"$SCRIPTS/vars.txt"
for round in $(seq "$ROUNDS"); do
  echo "== round $round of $ROUNDS: search (HTTP) and the same SQL (pgbench, bound)"
  BENCH_COOKIE=sp_fresh=1 wrk_run search "$SCRIPTS/urls.txt"
  # The service's sessions plan every execution for its values (sp_sql::connect::PLAN_CACHE_MODE);
  # pgbench's sessions get the same setting.
  PGOPTIONS="-c plan_cache_mode=force_custom_plan" run_pgbench bound "$SCRIPTS" "${DEFINES[@]}"
done
run_pgbench inlined "$SCRIPTS/inlined"
# The database's own latency percentiles at this concurrency (per-transaction log; the
# logging costs throughput, so this run's tps is not compared).
echo "== pgbench (bound, latency log): percentiles of the database alone"
PGOPTIONS="-c plan_cache_mode=force_custom_plan" pgbench -n -c "$CONC" -j "$(nproc)" -T "$SECS" -M prepared \
  -l --log-prefix="$SCRIPTS/pglog" "${DEFINES[@]}" $(for f in "$SCRIPTS"/q*.sql; do printf -- '-f %s ' "$f"; done) "$DB_URL" >/dev/null 2>&1
cat "$SCRIPTS"/pglog* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {printf "pgbench latency p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f\n", a[int(NR*0.5)]/1000, a[int(NR*0.95)]/1000, a[int(NR*0.99)]/1000}' \
  | tee -a "$RESULTS"
BENCH_COOKIE=sp_fresh=1 wrk_run search50 "$SCRIPTS/page50/urls.txt"
BENCH_COOKIE=sp_fresh=1 wrk_run detail "$SCRIPTS/detail.txt"
wrk_run livez "$SCRIPTS/livez.txt"
wrk_run search-cached "$SCRIPTS/urls.txt"
wrk_run detail-cached "$SCRIPTS/detail.txt"
wrk_run cities "$SCRIPTS/cities.txt"
wrk_run stats "$SCRIPTS/stats.txt"

echo "== bytes per search page"
python3 - "$BASE" "$SCRIPTS/urls.txt" "$SCRIPTS/page50/urls.txt" >>"$RESULTS" <<'PY'
import json, sys, urllib.request
base = sys.argv[1]
def get(path):
    with urllib.request.urlopen(base + path) as r:
        return r.read()
for label, file in (("page20", sys.argv[2]), ("page50", sys.argv[3])):
    paths = [l.strip() for l in open(file) if l.strip()][:40]
    cards = whole = items = 0
    for p in paths:
        body = get(p)
        cards += len(body)
        page = json.loads(body)
        items += len(page["items"])
        # The same page when items were whole listings: their detail documents.
        whole += len(body) - sum(len(json.dumps(i, separators=(",", ":")).encode()) for i in page["items"])
        whole += sum(len(get("/api/v1/listings/" + i["id"])) for i in page["items"])
    n = len(paths)
    print(f"bytes {label} cards={cards / n:.0f} whole={whole / n:.0f} items={items / n:.1f}")
PY
grep '^bytes' "$RESULTS"
telemetry_bench
fi
fi

if [ "${BENCH_ONLY:-}" != telemetry ]; then
STORM_C=${BENCH_STORM_CONCURRENCY:-500}
STORM_S=${BENCH_STORM_SECONDS:-20}
echo "== login storm: $STORM_C concurrent wrong-password sign-ins for ${STORM_S}s, 4 clients searching meanwhile"
ulimit -n 65536 2>/dev/null || true
"$BIN/login-storm" "$BASE" "$SERVER" "$STORM_C" "$STORM_S" | tee -a "$RESULTS"
kill $SERVER; wait $SERVER 2>/dev/null || true
photo_bench "$RESULTS"
fi

python3 - "$RESULTS" <<'PY'
import re, statistics, sys
http, pg, size, pg_lat, storm = {}, {}, {}, {}, {}
for line in open(sys.argv[1]):
    w = line.split()
    if w[:2] == ["pgbench", "latency"]:
        pg_lat = {k: float(v) for k, v in re.findall(r"(\w+)=([0-9.]+)", line)}
    elif w[0] == "pgbench":
        pg.setdefault(w[1], []).append({k: float(v) for k, v in re.findall(r"(\w+)=([0-9.]+)", line)})
    elif w[0] == "RESULT":
        storm[w[1]] = {k: float(v) if v.replace(".", "").isdigit() else v for k, v in re.findall(r"(\w+)=(\S+)", line)}
    elif w[0] == "bytes":
        size[w[1]] = dict(kv.split("=") for kv in w[2:])
    else:
        http.setdefault(w[0], []).append({k: float(v) for k, v in re.findall(r"(\w+)=([0-9.]+)", line)})
med = lambda runs, k: statistics.median(r[k] for r in runs)
ok = lambda c: "met" if c else "MISSED"
print("== summary (raw lines above)")
if "search" in http:
    s_rps, s_p95, b_tps = med(http["search"], "rps"), med(http["search"], "p95_ms"), med(pg["bound"], "tps")
    pairs = ", ".join(f"{h['rps']:.0f}/{p['tps']:.0f}" for h, p in zip(http["search"], pg["bound"]))
    print(f"search, pages of 20, median of {len(http['search'])} rounds: {s_rps:.0f} req/s, p95 {s_p95:.1f} ms; "
          f"pgbench bound {b_tps:.0f} tps (avg latency {med(pg['bound'], 'latency_ms'):.1f} ms) -> {100 * s_rps / b_tps:.0f}% "
          f"(target >= 85%: {ok(s_rps >= 0.85 * b_tps)}); p95 target < 25 ms: {ok(s_p95 < 25)}; rounds (HTTP/pgbench): {pairs}")
    print(f"inlined floor {med(pg['inlined'], 'tps'):.0f} tps -> {100 * s_rps / med(pg['inlined'], 'tps'):.0f}%")
    print(f"the database alone at the same concurrency (pgbench, bound): p50 {pg_lat['p50_ms']:.1f} ms, "
          f"p95 {pg_lat['p95_ms']:.1f} ms, p99 {pg_lat['p99_ms']:.1f} ms (HTTP p95 {s_p95:.1f} ms)")
    for k in ("search50", "detail"):
        h = http[k][0]
        print(f"{k}: {h['rps']:.0f} req/s, p50 {h['p50_ms']:.1f} ms, p95 {h['p95_ms']:.1f} ms, errors {h['errors']:.0f}")
    c = http["livez"][0]["rps"]
    for k in ("cities", "stats", "search-cached", "detail-cached"):
        h = http[k][0]
        print(f"{k}: {h['rps']:.0f} req/s (p95 {h['p95_ms']:.1f} ms) = {100 * h['rps'] / c:.0f}% of the constant route's "
              f"{c:.0f} req/s (target >= 50%: {ok(h['rps'] >= 0.5 * c)})")
    for k, v in size.items():
        print(f"bytes per {k}: {float(v['cards']):.0f} as cards, {float(v['whole']):.0f} as whole listings "
              f"({float(v['whole']) / float(v['cards']):.1f}x), {v['items']} items")
    errors = sum(r["errors"] for runs in http.values() for r in runs)
    print(f"HTTP errors in all runs: {errors:.0f}")

if "telemetry-on" in http:
    off, on = med(http["telemetry-off"], "rps"), med(http["telemetry-on"], "rps")
    p95_off, p95_on = med(http["telemetry-off"], "p95_ms"), med(http["telemetry-on"], "p95_ms")
    pairs = ", ".join(f"{a['rps']:.0f}/{b['rps']:.0f}" for a, b in zip(http["telemetry-off"], http["telemetry-on"]))
    print(f"instrumentation: search with metrics + traces (10%) {on:.0f} req/s (p95 {p95_on:.1f} ms) vs off {off:.0f} req/s "
          f"(p95 {p95_off:.1f} ms) -> {100 * on / off:.0f}% (target >= 95%: {ok(on >= 0.95 * off)}); rounds (off/on): {pairs}")
if storm:
    st, rss, se = storm["login-storm"], storm["login-storm-rss"], storm["login-storm-search"]
    answers = {k[1:]: int(v) for k, v in st.items() if re.fullmatch(r"s[0-9]{3}", k)}
    others = {k: int(v) for k, v in st.items() if k in ("client_timeout", "connection_error")}
    only_ok = set(answers) <= {"401", "503"} and not others
    print(f"login storm: {int(st['concurrency'])} concurrent for {int(st['seconds'])} s, {int(st['attempts'])} attempts "
          f"({st['per_s']:.0f}/s), answers {answers} {others or ''} (target only 401/503: {ok(only_ok)})")
    print(f"login storm resident memory: {rss['before_mib']:.0f} MiB before, peak {rss['peak_mib']:.0f} MiB "
          f"(target < 256 MiB: {ok(rss['peak_mib'] < 256)})")
    print(f"searches during the storm: {int(se['requests'])} ({int(se['failures'])} failed), p50 {se['p50_ms']:.1f} ms, "
          f"p95 {se['p95_ms']:.1f} ms, p99 {se['p99_ms']:.1f} ms (target p95 < 100 ms: {ok(se['p95_ms'] < 100)})")
if "photo-bench" in storm:
    p1, pn, pr = storm["photo-bench"], storm["photo-bench-cores"], storm["photo-bench-rss"]
    print(f"photos: {p1['per_s']:.2f} images/s per core ({p1['ms_each']:.0f} ms each, 12 MP JPEG to 3 WebP + 1 JPEG), "
          f"{pn['per_s']:.2f}/s on {int(pn['workers'])} cores; peak memory {pr['peak_mib']:.0f} MiB")
PY
