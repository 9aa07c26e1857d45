#!/usr/bin/env bash
# test/race/run.sh
#
# Runs the race driver against the cluster in PGHOST/PGPORT/PGUSER (a
# superuser; the extension installed in the server's library directory).
#
# Copyright (c) 2026, auth_keys developers
#
# Usage: run.sh DRIVER [driver arguments...]
#
# The races need a database of their own and a login role for the
# node-facing clients: this script makes both, runs the driver, and drops
# them again whatever the outcome, so that it leaves the cluster as it found
# it.  The driver's exit status is the script's.
set -euo pipefail

driver=$1
shift
db=auth_keys_race
role=auth_keys_race_node

psql_admin() {
    psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"
}

cleanup() {
    psql_admin -c "DROP DATABASE IF EXISTS $db" -c "DROP ROLE IF EXISTS $role" \
        >/dev/null 2>&1 || true
}
trap cleanup EXIT

cleanup
psql_admin -c "CREATE ROLE $role LOGIN" -c "CREATE DATABASE $db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c 'CREATE EXTENSION auth_keys'

status=0
"$driver" -d "dbname=$db" -r "$role" "$@" || status=$?
exit "$status"
