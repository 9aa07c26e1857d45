#!/usr/bin/env bash
# test/bench/smoke.sh
#
# A smoke run of the benchmark, for test/run-all.sh: every pgbench script,
# the setup checks, the timed sweeps and the registration-during-sweeps
# analysis run once, on a few hundred keys and a few transactions, against
# the server the test runner started (PGHOST, PGPORT, PGUSER), so that the
# benchmark cannot rot unnoticed.  It asserts no figure (the machine is
# noisy): it fails when a script, a setup check or a sweep fails, or when a
# row of the results table is missing.
#
# Copyright (c) 2026, auth_keys developers
set -euo pipefail

cd "$(dirname "$0")/../.."

# the number of comparisons that run.sh makes, and of its other figures
rows_expected=27
figures_expected=13

out=$(mktemp /tmp/auth_keys_bench_smoke.XXXXXX)
trap 'rm -f "$out"' EXIT

BENCH_EXISTING=1 BENCH_VIA=test/bench/smoke.sh BENCH_TRANSACTIONS=5 BENCH_ROUNDS=1 \
BENCH_WARMUP=0 BENCH_KEYS=200 BENCH_BIG_KEYS=1000 BENCH_BIG_SAMPLE=50 BENCH_NODES=100 \
BENCH_BCRYPT_KEYS=5 BENCH_LOCK_NODES=50 BENCH_SWEEP_KEYS=500 BENCH_SWEEP_ROUNDS=1 BENCH_SWEEP_IDLE=0.5 \
BENCH_STORM_KEYS=200 BENCH_BIG_NODES=200 BENCH_BIG_EVENTS=1000 BENCH_HEARTBEAT_SECONDS=1 \
BENCH_SWEEP_BACKLOG_KEYS=2500 BENCH_SWEEP_BACKLOG_NODES=100 BENCH_SWEEP_IDLE_SECONDS=1 \
BENCH_SWEEP_PROBE_AFTER=0 BENCH_PURGE_EVENTS=1000 BENCH_SECONDS=1 \
    bash test/bench/run.sh | tee "$out"

# every comparison printed two throughputs and a ratio
rows=$(grep -cE '^\| [^|]+ \| [^|]+ \| [^|]+ \| (on|off) \| [0-9]+ \| [0-9]+ \| [0-9.]+ \|' "$out" || true)
if [ "$rows" -ne "$rows_expected" ]; then
    echo "smoke: $rows of $rows_expected comparisons in the results table" >&2
    exit 1
fi
# and every other figure, in the table after it
figures=$(awk '/^\| measure \| figure \|/ { on = 1; next } on && /^$/ { on = 0 }
               on && /^\| [^-]/ { n++ } END { print n + 0 }' "$out")
if [ "$figures" -ne "$figures_expected" ]; then
    echo "smoke: $figures of $figures_expected figures in the table of figures" >&2
    exit 1
fi
echo "smoke: all $rows comparisons and $figures figures ran"
