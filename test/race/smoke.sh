#!/usr/bin/env bash
# test/race/smoke.sh
#
# A short run of the race driver for the test runner: N = 2, 8, 32 and 64
# clients race for one-off keys, 8 for keys of max_uses 3 and 32 for keys of
# max_uses 10, 90 trials each (30 per barrier), well under a minute.
#
# Copyright (c) 2026, auth_keys developers
#
# Runs against the cluster in PGHOST/PGPORT/PGUSER (a superuser, the
# extension installed, max_connections of at least 70), in a database of
# its own that it drops afterwards.  "make racecheck" is the full run.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. test/lib/common.sh

trials=${RACE_TRIALS:-90}
install_packages libpq-dev

# The driver goes to a directory of this run's own: "make clean" elsewhere
# cannot pull it away mid-run.
build=$(mktemp -d /tmp/auth_keys_race_smoke.XXXXXX)
trap 'rm -rf "$build"' EXIT
make -s race-driver RACE_BUILD="$build" PG_CONFIG="$PG_CONFIG"

max_connections=$(psql -X -A -t -d postgres -c 'SHOW max_connections')
if [ "$max_connections" -lt 70 ]; then
    say "max_connections is $max_connections; the races need 70"
    exit 1
fi

bash test/race/run.sh "$build/race" -t "$trials" 2 8 32 64 8:3 32:10
