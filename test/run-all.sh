#!/usr/bin/env bash
# test/run-all.sh
#
# Runs every test suite of auth_keys against a throwaway PostgreSQL 15
# cluster and ends with one line "N passed, N failed".
#
# Copyright (c) 2026, auth_keys developers
#
# As root on a fresh Debian 12 machine it first installs what it needs from
# Debian's packages.  Each pg_regress test, isolation spec and TAP script
# counts as one test.  The exit status is non-zero when anything failed.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. test/lib/common.sh

install_packages
build_and_install

work=$(mktemp -d /tmp/auth_keys_test.XXXXXX)
passed=0
failed=0
failures=()

cleanup() {
    stop_cluster "$work"
    rm -rf "$work"
}
trap cleanup EXIT

# count_results LOG SUITE: add the "... ok" and "... FAILED" lines that
# pg_regress and pg_isolation_regress print to the totals.
count_results() {
    local log=$1 suite=$2 ok bad line
    ok=$(grep -cE '^(test| +) *[^ ]+ +\.\.\. ok' "$log" || true)
    bad=$(grep -cE '\.\.\. FAILED' "$log" || true)
    passed=$((passed + ok))
    failed=$((failed + bad))
    while read -r line; do
        failures+=("$suite: $line")
    done < <(grep -E '\.\.\. FAILED' "$log" | sed -E 's/^(test)? *([^ ]+).*/\2/' || true)
}

start_cluster "$work" 54321 postgres

say "pg_regress"
if ! make -s installcheck PG_CONFIG="$PG_CONFIG" >"$work/regress.log" 2>&1; then
    [ -f regression.diffs ] && cat regression.diffs
fi
cat "$work/regress.log"
count_results "$work/regress.log" regress

if [ -n "$(make -s -f Makefile print-isolation-tests PG_CONFIG="$PG_CONFIG" 2>/dev/null)" ]; then
    say "isolation specs"
    if ! make -s installcheck-isolation PG_CONFIG="$PG_CONFIG" >"$work/isolation.log" 2>&1; then
        [ -f test/output_iso/regression.diffs ] && cat test/output_iso/regression.diffs
    fi
    cat "$work/isolation.log"
    count_results "$work/isolation.log" isolation
fi

# Smoke runs of the other test areas (test/<area>/smoke.sh): each is one
# test, passed when it exits 0.  They get the running cluster in PGHOST,
# PGPORT and PGUSER, and the PG_CONFIG that built the extension.
for smoke in test/*/smoke.sh; do
    [ -f "$smoke" ] || continue
    area=$(basename "$(dirname "$smoke")")
    say "smoke: $area"
    if bash "$smoke" >"$work/smoke-$area.log" 2>&1; then
        cat "$work/smoke-$area.log"
        echo "smoke $area ... ok"
        passed=$((passed + 1))
    else
        cat "$work/smoke-$area.log"
        echo "smoke $area ... FAILED"
        failed=$((failed + 1))
        failures+=("smoke: $area")
    fi
done

stop_cluster "$work"

# TAP tests start clusters of their own through PostgreSQL::Test::Cluster,
# which runs initdb and so cannot run as root: run_tap runs them as the
# postgres user from a copy of test/t.
if ls test/t/*.pl >/dev/null 2>&1; then
    say "TAP tests"
    run_tap "$work" >"$work/tap.log" 2>&1 || true
    cat "$work/tap.log"
    ok=$(grep -cE '^\[[0-9:]+\] t/.*\.\. ok' "$work/tap.log" || true)
    bad=$(grep -cE '^\[[0-9:]+\] t/.*\.\. (Dubious|Failed|not ok)' "$work/tap.log" || true)
    passed=$((passed + ok))
    failed=$((failed + bad))
    if [ "$bad" -gt 0 ]; then
        failures+=("tap: see the log above")
    fi
fi

echo
for f in "${failures[@]+"${failures[@]}"}"; do
    echo "failed: $f"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
