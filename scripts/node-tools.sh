#!/usr/bin/env bash
# Installs the project's Node.js tools (tests/contract/package.json + package-lock.json:
# spectral, openapi-typescript, openapi-fetch, typescript) into the tools folder, once
# per lock file. Installs Node.js and npm with apt when they are missing.
#
#   scripts/node-tools.sh            ensure the tools are installed (quiet when they are)
#   scripts/node-tools.sh --bin      ensure, then print the folder of their executables
#
# SP_TOOLS_DIR (default ~/.cache/student-palace/tools) is shared with services.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

TOOLS_DIR="${SP_TOOLS_DIR:-${HOME:-/root}/.cache/student-palace/tools}"
DEST="$TOOLS_DIR/node"
SRC=tests/contract
PRINT_BIN=0
for arg in "$@"; do
  case "$arg" in
    --bin) PRINT_BIN=1 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "node-tools.sh: unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done
say() { printf '%s\n' "$*" >&2; }
die() { printf 'node-tools.sh: %s\n' "$*" >&2; exit 1; }

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || die "node and npm are missing; install Node.js 20+"
  if [[ $EUID -eq 0 ]]; then as_root=(); elif sudo -n true 2>/dev/null; then as_root=(sudo -n); else
    die "node and npm are missing; install them (apt-get install nodejs npm) or run as root"
  fi
  say "node-tools: installing nodejs and npm with apt ..."
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >/dev/null
fi

mkdir -p "$DEST"
if ! cmp -s "$SRC/package-lock.json" "$DEST/package-lock.json" || [[ ! -d $DEST/node_modules/.bin ]]; then
  say "node-tools: installing $(tr -d '\n ' <"$SRC/package.json" | grep -o '"dependencies":{[^}]*}') into $DEST ..."
  cp "$SRC/package.json" "$SRC/package-lock.json" "$DEST/"
  (cd "$DEST" && npm ci --no-audit --no-fund --loglevel=error >"$TOOLS_DIR/npm.log" 2>&1) \
    || { tail -n 20 "$TOOLS_DIR/npm.log" >&2; die "npm ci failed (log: $TOOLS_DIR/npm.log)"; }
fi
if [[ $PRINT_BIN == 1 ]]; then
  echo "$DEST/node_modules/.bin"
fi
