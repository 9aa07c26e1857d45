#!/usr/bin/env bash
# test/tap/run.sh
#
# Runs the TAP scripts of test/t (all of them, or the ones named) with
# prove and PostgreSQL::Test::Cluster, against the auth_keys that is
# installed in the system PostgreSQL 15 ("make install" first).
#
# Copyright (c) 2026, auth_keys developers
#
# Usage: test/tap/run.sh [t/NNN_name.pl ...]
#
# PostgreSQL::Test::Cluster runs initdb, which refuses to run as root, so the
# scripts run as the postgres operating system user from a copy of test/t
# in a scratch directory that user owns.  Environment variables named
# AUTH_KEYS_* (AUTH_KEYS_CRASH_CYCLES, AUTH_KEYS_CRASH_SEED) reach the
# scripts.  The exit status is prove's.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. test/lib/common.sh

# run_tap WORKDIR [SCRIPT...]: run TAP scripts of test/t (every t/*.pl, or
# the ones named as t/NNN_name.pl) with prove, as the postgres user, from a
# copy of test/t in WORKDIR/tap.  Passes AUTH_KEYS_* variables through.
# Prints prove's output; when a script fails, also the last lines of each
# server log.  Returns prove's exit status.
run_tap() {
    local work=$1 tap pgxs status=0 log
    shift
    tap=$work/tap
    rm -rf "$tap"
    mkdir -p "$tap"
    cp -r test/t "$tap/t"
    chmod 755 "$work"
    is_root && chown -R postgres:postgres "$tap"
    pgxs=$(dirname "$("$PG_CONFIG" --pgxs)")/../..
    local pass=()
    while IFS= read -r var; do
        pass+=("$var")
    done < <(env | grep -E '^AUTH_KEYS_[A-Z0-9_]*=' || true)
    [ $# -gt 0 ] || set -- t/
    (cd "$tap" && as_postgres env \
        PATH="$PG_BINDIR:$PATH" \
        PERL5LIB="$pgxs/src/test/perl" \
        PG_REGRESS="$pgxs/src/test/regress/pg_regress" \
        TESTDIR="$tap" \
        "${pass[@]+"${pass[@]}"}" \
        prove --timer --ext .pl "$@") || status=$?
    if [ "$status" -ne 0 ]; then
        for log in "$tap"/tmp_check/log/*; do
            [ -f "$log" ] || continue
            printf '\n--- %s (last 40 lines)\n' "$(basename "$log")"
            tail -n 40 "$log"
        done
    fi
    return "$status"
}

install_packages
if [ ! -f "$("$PG_CONFIG" --sharedir)/extension/auth_keys.control" ]; then
    say "auth_keys is not installed: run \"make install\" first"
    exit 1
fi

work=$(mktemp -d /tmp/auth_keys_tap.XXXXXX)
status=0
run_tap "$work" "$@" || status=$?
if [ "$status" -eq 0 ]; then
    rm -rf "$work"
else
    say "logs kept in $work/tap/tmp_check"
fi
exit "$status"
