#!/usr/bin/env bash
# Query plans of listing search on a 100k-listing PostgreSQL database.
#
# Creates a scratch database, migrates it with the real binary, bulk-inserts synthetic
# data (scripts/search-plan-seed.sql), VACUUM ANALYZEs, then runs EXPLAIN (ANALYZE,
# BUFFERS) on the SQL the repository generates for each search shape
# (sp_sql::search::plan_shapes, printed by `cargo run -p sp-sql --example search_sql`).
# Exits 1 when any page query plan contains `Seq Scan on listings`. The estimate query
# (count of at most ESTIMATE_CAP = 1 000 matches) is shown too, but not checked: see docs/search.md.
#
#   scripts/explain-search.sh                 # 100 000 listings, scratch DB dropped at the end
#   LISTINGS=500000 scripts/explain-search.sh
#   KEEP_DB=1 scripts/explain-search.sh       # keep the database to experiment with
#
# Needs psql and a PostgreSQL server; the admin URL comes from EXPLAIN_ADMIN_URL, else
# TEST_DATABASE_URL, else postgres://postgres:postgres@127.0.0.1:5432/postgres
# (what scripts/services.sh starts).
set -euo pipefail

cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/student-palace/target}"

ADMIN_URL="${EXPLAIN_ADMIN_URL:-${TEST_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}}"
LISTINGS="${LISTINGS:-100000}"
TODAY="${TODAY:-2026-11-25}"
DB="sp_explain_$(date +%s)_$$"
DB_URL="${ADMIN_URL%/*}/$DB"

command -v psql >/dev/null || { echo "psql not found (apt-get install postgresql-client)" >&2; exit 2; }
[[ "$LISTINGS" =~ ^[0-9]+$ ]] || { echo "LISTINGS must be a number" >&2; exit 2; }

say() { printf '\n\033[1m%s\033[0m\n' "$*" >&2; }
admin() { psql -X -q -v ON_ERROR_STOP=1 "$ADMIN_URL" "$@"; }
db() { psql -X -q -v ON_ERROR_STOP=1 "$DB_URL" "$@"; }

cleanup() {
    if [[ "${KEEP_DB:-}" == 1 ]]; then
        echo "kept database: $DB_URL" >&2
    else
        admin -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || true
    fi
}

say "Creating $DB"
admin -c "CREATE DATABASE \"$DB\""
trap cleanup EXIT

say "Migrating (student-palace migrate up)"
DATABASE_URL="$DB_URL" RUST_LOG=warn cargo run -q -p bootstrap --bin student-palace -- migrate up >/dev/null

say "Seeding $LISTINGS listings"
start=$(date +%s)
sed "s/{{LISTINGS}}/$LISTINGS/" scripts/search-plan-seed.sql | db -1 -f -
db -c "VACUUM ANALYZE"
echo "seeded and analysed in $(( $(date +%s) - start ))s" >&2
db -At -F' ' -c "SELECT status, count(*) FROM listings GROUP BY 1 ORDER BY 1" | sed 's/^/  /' >&2

say "Generating the repository's SQL"
# The second-page shape continues after the 20th row of the first page of `newest`.
first_page=$(cargo run -q -p sp-sql --example search_sql -- --today "$TODAY" | sed -n '2p')
cursor=$(db -At -c "SELECT (extract(epoch FROM published_at) * 1000000)::bigint || ':' || id
                    FROM (${first_page%;}) AS p ORDER BY published_at DESC, id DESC OFFSET 19 LIMIT 1")
shapes=$(cargo run -q -p sp-sql --example search_sql -- --today "$TODAY" --after "$cursor")

failed=()
summary=()
while IFS= read -r header && IFS= read -r sql; do
    kind=${header#-- }; kind=${kind%%:*}     # shape | estimate
    name=${header#*: }
    plan=$(db -c "EXPLAIN (ANALYZE, BUFFERS) $sql")
    if [[ "$kind" == shape ]]; then
        say "shape: $name"
    else
        say "estimate: $name (count of at most 1000 matches; not checked)"
    fi
    echo "$sql"
    echo "$plan"
    ms=$(grep -o 'Execution Time: [0-9.]* ms' <<<"$plan" | grep -o '[0-9.]*' || echo '?')
    if [[ "$kind" == shape ]]; then
        index=$(grep -o 'using ix_[a-z_]* on listings' <<<"$plan" | head -1 | awk '{print $2}')
        if grep -q 'Seq Scan on listings' <<<"$plan"; then
            failed+=("$name")
            summary+=("$(printf '%-26s %-30s %8s ms  SEQ SCAN' "$name" "${index:--}" "$ms")")
        else
            summary+=("$(printf '%-26s %-30s %8s ms' "$name" "${index:--}" "$ms")")
        fi
    else
        scan=$(grep -oE '(Parallel )?Seq Scan on listings|Bitmap Index Scan on ix_[a-z_]*|Index (Only )?Scan( Backward)? using ix_[a-z_]*' <<<"$plan" | head -1)
        summary+=("$(printf '  estimate                 %-30s %8s ms' "${scan:--}" "$ms")")
    fi
done <<<"$shapes"

say "Summary ($LISTINGS listings; page query: first index on listings, execution time)"
printf '%s\n' "${summary[@]}"
if (( ${#failed[@]} )); then
    echo "FAIL: sequential scan of listings in: ${failed[*]}" >&2
    exit 1
fi
echo "OK: every search shape uses an index on listings" >&2
