#!/usr/bin/env bash
# test/race/racecheck.sh
#
# The full race run ("make racecheck"): N clients race for one key, for
# N = 2, 8, 32 and 64 on one-off keys and for keys of max_uses 3 (8 clients)
# and 10 (32 clients), 1,000 trials each, on a throwaway cluster of its own.
#
# Copyright (c) 2026, auth_keys developers
#
# The extension must be installed in the PostgreSQL 15 tree first
# ("make install").  The cluster is removed afterwards, whatever the
# outcome.  Settings, from the environment:
#   RACE_TRIALS   trials per configuration (1000)
#   RACE_CONFIGS  configurations, N or N:M (2 8 32 64 8:3 32:10)
#   RACE_PORT     port of the throwaway cluster (55410)
#   RACE_PG_BINDIR  another PostgreSQL 15 installation's bin directory
#   RACE_DRIVER   the driver binary (built with "make race-driver")
# It exits non-zero when any race broke an invariant.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. test/lib/common.sh

PG_BINDIR=${RACE_PG_BINDIR:-$PG_BINDIR}
trials=${RACE_TRIALS:-1000}
configs=${RACE_CONFIGS:-2 8 32 64 8:3 32:10}
port=${RACE_PORT:-55410}
driver=${RACE_DRIVER:-test/race/build/race}

install_packages libpq-dev
if [ ! -x "$driver" ]; then
    make -s race-driver PG_CONFIG="$PG_CONFIG"
fi
sharedir=$("$PG_BINDIR/pg_config" --sharedir)
if [ ! -f "$sharedir/extension/auth_keys.control" ]; then
    say "auth_keys is not installed in $sharedir: run make install first"
    exit 2
fi

work=$(mktemp -d /tmp/auth_keys_race.XXXXXX)
cleanup() {
    stop_cluster "$work"
    rm -rf "$work"
}
trap cleanup EXIT

# start_cluster allows 120 connections: the largest race needs 65.
start_cluster "$work" "$port" postgres
say "racing: $trials trials for each of $configs"
# shellcheck disable=SC2086 # one word per configuration
bash test/race/run.sh "$driver" -t "$trials" $configs
