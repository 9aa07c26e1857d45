#!/usr/bin/env bash
# test/run-all.sh
#
# Runs every test suite of auth_keys and ends with one line
# "N passed, N failed".
#
# Copyright (c) 2026, auth_keys developers
#
# It wraps PGXS's "make installcheck" (pg_regress, isolation specs, TAP)
# and adds what PGXS does not: the packages, a private installation,
# throwaway clusters, the smoke runs of the other test areas and the
# closing count.
#
# - As root (a fresh Debian 12 machine) it installs what it needs from
#   Debian's packages, copies the sources into a scratch directory owned by
#   the "postgres" operating system user and runs the rest as that user:
#   initdb, and with it every TAP script, refuses to run as root.
# - As an ordinary user it needs the packages installed already, and
#   writes nothing outside the scratch directory but the build products of
#   this checkout.
#
# The extension is installed into a private copy of PostgreSQL's
# installation, never into the system's.  Every cluster is made with an
# explicit encoding and locale, so the caller's locale (or none at all, as
# under "env -i") decides nothing.  The pg_regress suite runs three times:
# in a UTF8 database on a cluster with pg_cron preloaded, and in LATIN1 and
# SQL_ASCII databases on a cluster without pg_cron.  Each pg_regress file
# (per encoding), isolation spec, smoke run and TAP script counts as one
# test.  The exit status is non-zero when anything failed.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. test/lib/common.sh

if is_root; then
    install_packages "${AK_TEST_PACKAGES[@]}"
    work=$(mktemp -d /tmp/auth_keys_test.XXXXXX)
    copy_sources "$work/tree"
    chown -R postgres:postgres "$work"
    chmod 755 "$work"
    say "running the suites as the postgres user from $work/tree"
    exec runuser -u postgres -- env AUTH_KEYS_TEST_WORK="$work" \
        bash "$work/tree/test/run-all.sh"
fi

install_packages "${AK_TEST_PACKAGES[@]}"
work=${AUTH_KEYS_TEST_WORK:-$(mktemp -d /tmp/auth_keys_test.XXXXXX)}
passed=0
failed=0
failures=()

cleanup() {
    stop_cluster "$work/utf8"
    stop_cluster "$work/plain"
    rm -rf "$work"
}
trap cleanup EXIT

build
private_install "$work/pg"

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

# installcheck SUITE LOG MAKE-ARGUMENTS...: one part of PGXS's installcheck
# (the others switched off on the command line), its output shown, its
# diffs too when it failed.
installcheck() {
    local suite=$1 log=$2
    shift 2
    say "$suite"
    if ! make -s installcheck PG_CONFIG="$PG_RUN_CONFIG" "$@" >"$log" 2>&1; then
        for diffs in regression.diffs output_iso/regression.diffs; do
            [ -f "$diffs" ] && cat "$diffs"
        done
    fi
    cat "$log"
}

# 1. A UTF8 cluster with pg_cron preloaded: pg_regress, isolation, smokes.
start_cluster "$work/utf8" 54321 postgres UTF8 C.UTF-8

installcheck "pg_regress (UTF8)" "$work/regress-utf8.log" ISOLATION= TAP_TESTS=
count_results "$work/regress-utf8.log" "regress (UTF8)"

installcheck "isolation specs" "$work/isolation.log" REGRESS= TAP_TESTS=
count_results "$work/isolation.log" isolation

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
stop_cluster "$work/utf8"

# 2. A cluster with locale C and no pg_cron: pg_regress in LATIN1 and in
# SQL_ASCII databases (pg_regress creates them from template0).
start_cluster "$work/plain" 54322 "" SQL_ASCII C
for encoding in LATIN1 SQL_ASCII; do
    installcheck "pg_regress ($encoding)" "$work/regress-$encoding.log" \
        ISOLATION= TAP_TESTS= ENCODING="$encoding" NO_LOCALE=1
    count_results "$work/regress-$encoding.log" "regress ($encoding)"
done
stop_cluster "$work/plain"

# 3. TAP scripts, each with clusters of its own.
say "TAP tests"
status=0
make -s installcheck PG_CONFIG="$PG_RUN_CONFIG" REGRESS= ISOLATION= \
    >"$work/tap.log" 2>&1 || status=$?
cat "$work/tap.log"
ok=$(grep -cE '^\[[0-9:]+\] test/t/.*\.\. ok' "$work/tap.log" || true)
bad=$(grep -cE '^\[[0-9:]+\] test/t/.*\.\. (Dubious|Failed|not ok)' "$work/tap.log" || true)
if [ "$status" -ne 0 ] && [ "$bad" -eq 0 ]; then
    bad=1        # prove itself failed, or a script was never reported
fi
passed=$((passed + ok))
failed=$((failed + bad))
if [ "$bad" -gt 0 ]; then
    failures+=("tap: see the log above")
    for log in tmp_check/log/*; do
        [ -f "$log" ] || continue
        printf '\n--- %s (last 40 lines)\n' "$(basename "$log")"
        tail -n 40 "$log"
    done
fi

echo
for f in "${failures[@]+"${failures[@]}"}"; do
    echo "failed: $f"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
