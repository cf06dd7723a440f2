#!/usr/bin/env bash
# Enforces the hexagonal dependency rule of the workspace
# (bootstrap -> adapters -> application -> domain). See
# docs/adr/0001-hexagonal-workspace.md. Run by `make lint` and CI.
#
#   1. `domain` and `application`, built alone with their default features,
#      must not depend (normal/build deps, directly or transitively, on any
#      platform) on a technology crate: tokio, sea-orm, sea-query, sqlx, poem,
#      poem-openapi, object_store, redis, hyper, reqwest, moka,
#      tracing-subscriber, aws-*, google-cloud-* (and each one's `NAME-*`
#      family, e.g. sqlx-core, hyper-util, tokio-util).
#   2. `domain` depends on no other workspace crate; `application` on no
#      workspace crate but `domain` (so on no adapter, bootstrap, migrations).
#   3. No adapter crate (a member whose manifest is under adapters/) depends
#      (normal/build deps) on another adapter, on `bootstrap` or on `sp-tests`.
#   4. Nothing but `bootstrap` and `sp-tests` depends on `bootstrap`
#      (the crate's own dev-dependencies count too: black-box tests of the
#      assembled binary belong in sp-tests).
#   5. `bootstrap` (the production binary) does not depend on `sp-memory`: the
#      in-memory adapters are for tests and demos, never wired into production.
#
# Rules 2-4 walk the graph of workspace members only: the edges of
# `cargo metadata`'s resolve (normal/build by `dep_kinds`), plus members that
# are declared as optional dependencies but not enabled, so that a dependency
# hidden behind a feature still counts. Rule 1 cannot use that resolve: it is
# one resolve for the whole workspace with every member's features unified
# (e.g. a uuid/chrono feature that an adapter turns on shows up under domain
# too), so it uses `cargo tree -p CRATE -e normal,build --target all`, which
# resolves features for that crate alone, as `cargo build -p CRATE` would.
#
# Exit status: 0 ok, 1 violations, 2 the check itself could not run.
# Cargo.lock: `--locked` is used whenever Cargo.lock exists, so a stale lock
# file is an error (exit 2). ARCH_CHECK_UNLOCKED=1 drops `--locked` (cargo
# then updates Cargo.lock, as any cargo build would).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
CARGO="${CARGO:-cargo}"

locked=()
if [[ -f Cargo.lock && "${ARCH_CHECK_UNLOCKED:-0}" != 1 ]]; then
    locked=(--locked)
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if ! "$CARGO" metadata --format-version 1 "${locked[@]}" >"$tmp/metadata.json" 2>"$tmp/stderr"; then
    echo "architecture: cannot run cargo metadata ${locked[*]}:" >&2
    cat "$tmp/stderr" >&2
    if [[ ${#locked[@]} -gt 0 ]] && grep -q 'lock file' "$tmp/stderr"; then
        echo "hint: Cargo.lock is out of date; update it (any cargo build does)" \
            "or rerun with ARCH_CHECK_UNLOCKED=1" >&2
    fi
    exit 2
fi

read -r -d '' PROGRAM <<'PY' || true
import json
import os
import subprocess
import sys

FORBIDDEN = [
    "tokio", "sea-orm", "sea-query", "sqlx", "poem", "poem-openapi",
    "object_store", "redis", "hyper", "reqwest", "moka", "tracing-subscriber",
]
FORBIDDEN_PREFIXES = ["aws-", "google-cloud-"]
PURE = ["domain", "application"]


def forbidden(name):
    return (any(name == f or name.startswith(f + "-") for f in FORBIDDEN)
            or any(name.startswith(p) for p in FORBIDDEN_PREFIXES))


def fail(msg):
    print(f"architecture: {msg}", file=sys.stderr)
    sys.exit(2)


meta = json.load(sys.stdin)
root = meta["workspace_root"]
cargo = os.environ.get("CARGO", "cargo")
locked = os.environ.get("ARCH_CHECK_LOCKED_FLAG", "").split()

packages = {p["id"]: p for p in meta["packages"]}
members = meta["workspace_members"]
name_of = {m: packages[m]["name"] for m in members}
by_name = {n: m for m, n in name_of.items()}
by_dir = {os.path.dirname(packages[m]["manifest_path"]): m for m in members}
for required in ["domain", "application", "bootstrap", "sp-tests"]:
    if required not in by_name:
        fail(f"workspace member `{required}` not found; update this script")
adapters_dir = os.path.join(root, "adapters") + os.sep
adapters = {m for m in members if packages[m]["manifest_path"].startswith(adapters_dir)}
if not adapters:
    fail("no workspace member under adapters/; update this script")

# --- member graph: (member, member) -> set of kinds ("normal"/"build"/"dev")
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
edges = {m: {} for m in members}
for m in members:
    for dep in nodes[m]["deps"]:
        if dep["pkg"] in edges:
            kinds = {k["kind"] or "normal" for k in dep.get("dep_kinds", [])} or {"normal"}
            edges[m].setdefault(dep["pkg"], set()).update(kinds)
    for dep in packages[m]["dependencies"]:  # optional members not enabled
        target = by_dir.get(dep.get("path") or "")
        if target and dep.get("optional"):
            edges[m].setdefault(target, set()).add(
                (dep["kind"] or "normal") + " optional")


def member_paths(start, with_dev=False):
    """Shortest path from `start` to each member it depends on over normal/build
    edges; with_dev also follows `start`'s own dev-dependencies (dev-deps are
    not transitive: those of a dependency do not count)."""
    paths = {start: [start]}
    queue = [start]
    while queue:
        cur = queue.pop(0)
        kinds = {"normal", "build", "dev"} if with_dev and cur == start else {"normal", "build"}
        for nxt, ks in sorted(edges[cur].items(), key=lambda kv: name_of[kv[0]]):
            if nxt not in paths and any(k.split()[0] in kinds for k in ks):
                paths[nxt] = paths[cur] + [nxt]
                queue.append(nxt)
    return paths


def show(path):
    out = [name_of[path[0]]]
    for a, b in zip(path, path[1:]):
        ks = sorted(edges[a][b])
        label = "" if ks == ["normal"] else f" [{', '.join(ks)}]"
        out.append(f"{name_of[b]}{label}")
    return " -> ".join(out)


violations = []

# --- rule 1: technology crates under domain / application (cargo tree)
for crate in PURE:
    cmd = [cargo, "tree", *locked, "-p", by_name[crate], "-e", "normal,build",
           "--target", "all", "--prefix", "depth", "--format", "{p}"]
    res = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    if res.returncode != 0:
        fail(f"`{' '.join(cmd)}` failed:\n{res.stderr}")
    stack, reported = [], set()
    for line in res.stdout.splitlines():
        digits = len(line) - len(line.lstrip("0123456789"))
        if not digits:
            continue
        depth = int(line[:digits])
        name, version = (line[digits:].split() + [""])[:2]
        del stack[depth:]
        stack.append(name)
        # report the first technology crate on a path, not what it pulls in
        if (forbidden(name) and name not in reported
                and not any(forbidden(n) for n in stack[:-1])):
            reported.add(name)
            violations.append(
                f"rule 1: `{crate}` depends on technology crate `{name} {version}`: "
                + " -> ".join(stack))

# --- rule 2: domain depends on no member, application only on domain
allowed = {"domain": set(), "application": {by_name["domain"]}}
for crate in PURE:
    start = by_name[crate]
    for target, path in member_paths(start).items():
        if target != start and target not in allowed[crate]:
            violations.append(
                f"rule 2: `{crate}` must not depend on `{name_of[target]}`: {show(path)}")

# --- rule 3: adapters depend on no other adapter, bootstrap or sp-tests
outer = adapters | {by_name["bootstrap"], by_name["sp-tests"]}
for a in sorted(adapters, key=name_of.get):
    for target, path in member_paths(a).items():
        if target != a and target in outer:
            violations.append(
                f"rule 3: adapter `{name_of[a]}` must not depend on `{name_of[target]}`: {show(path)}")

# --- rule 4: only bootstrap and sp-tests depend on bootstrap (own dev-deps too)
boot = by_name["bootstrap"]
for m in sorted(members, key=name_of.get):
    if name_of[m] in ("bootstrap", "sp-tests"):
        continue
    if m in adapters and boot in member_paths(m):
        continue  # already reported by rule 3
    path = member_paths(m, with_dev=True).get(boot)
    if path:
        violations.append(f"rule 4: `{name_of[m]}` must not depend on `bootstrap`: {show(path)}")

# --- rule 5: the production binary never links the in-memory adapters
if "sp-memory" in by_name:
    path = member_paths(boot).get(by_name["sp-memory"])
    if path:
        violations.append(f"rule 5: `bootstrap` must not depend on `sp-memory` (tests and demos only): {show(path)}")

if violations:
    print(f"architecture: {len(violations)} violation(s) "
          "(see docs/adr/0001-hexagonal-workspace.md)")
    for v in violations:
        print(f"  {v}")
    sys.exit(1)
print(f"architecture: ok ({len(members)} crates checked)")
PY

ARCH_CHECK_LOCKED_FLAG="${locked[*]}" CARGO="$CARGO" python3 -c "$PROGRAM" <"$tmp/metadata.json"
