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
