#!/usr/bin/env bash
# test/bench/run.sh
#
# The benchmark of auth_keys ("make bench"): pgbench in prepared mode with
# two clients measures each function of the extension against the bare SQL
# that does the same work and against PL/pgSQL peers, and prints a markdown
# table of throughputs and ratios with the machine and the command.
#
# Copyright (c) 2026, auth_keys developers
#
# Why it is built this way:
# - The two sides of a comparison run alternately (A B A B ...) in one
#   invocation, so that a noisy machine slows both alike; the table gives
#   the median throughput of each side and the median of the per-round
#   ratios.
# - It starts a throwaway cluster of its own (as the test runner does) with
#   fsync on, since the synchronous_commit = on figures mean nothing without
#   it, and shared_buffers a quarter of the memory; each comparison sets
#   synchronous_commit for its clients through PGOPTIONS.  The tables are
#   read into shared buffers (pg_prewarm) before any measurement, so that
#   the first runs do not pay for a cold cache that the later ones do not.
# - Keys are made with plain INSERT ... SELECT (setup.sql), so that ten
#   million keys take minutes; a sample of them carries the full key text,
#   which the pgbench scripts present.
#
# Settings, from the environment or as make variables (make bench VAR=...):
#   BENCH_SECONDS        length of one pgbench run (10)
#   BENCH_ROUNDS         runs of each side of a comparison (3)
#   BENCH_WARMUP         seconds of each script before measuring (2; 0: none)
#   BENCH_CLIENTS        pgbench clients (2)
#   BENCH_KEYS           keys in the main database (10000)
#   BENCH_BIG_KEYS       keys in the large database (10000000)
#   BENCH_BIG_SAMPLE     keys of the large database presented (100000)
#   BENCH_NODES          enrolled nodes for node_seen (10000)
#   BENCH_BCRYPT_KEYS    keys with a bcrypt hash for the bcrypt peer (1000)
#   BENCH_SWEEP_KEYS     expired keys per sweep (100000)
#   BENCH_SWEEP_ROUNDS   sweeps during registration (3)
#   BENCH_SWEEP_IDLE     seconds of registration between two sweeps (3; may be 0.5)
#   BENCH_LOCK_NODES     node keys with a node key signature, for the signed
#                        registrations in a locked tailnet (200000; more are
#                        taken again, as re-authentications)
#   BENCH_STORM_CLIENTS  clients of an enrolment storm (16)
#   BENCH_STORM_KEYS     one-off keys for the storm with a key each (200000;
#                        a run that takes more fails and says so)
#   BENCH_BIG_NODES      enrolled nodes in the large database (1000000)
#   BENCH_BIG_EVENTS     audit events in the large database (10000000)
#   BENCH_HEARTBEAT_SECONDS  length of the heartbeats of the large
#                        database's nodes (300; part heartbeat)
#   BENCH_SWEEP_BACKLOG_KEYS, BENCH_SWEEP_BACKLOG_NODES  the backlog of one
#                        sweep_in_steps: expired keys (1000000) and idle
#                        ephemeral nodes (100000)
#   BENCH_SWEEP_IDLE_SECONDS  registration before and after that sweep (10)
#   BENCH_SWEEP_PROBE_AFTER   seconds into that sweep when another table's
#                        dead rows are made and vacuumed (5)
#   BENCH_PURGE_EVENTS   events of the larger week that a sweep removes
#                        (1000000; the smaller has a tenth)
#   BENCH_ONLY           the parts to run, of: validate register lock
#                        node_seen create_key sweep storm heartbeat backlog
#                        purge notify lean scale (all); what no part asks
#                        for is not set up
#   BENCH_PORT           port of the throwaway cluster (54330)
#   BENCH_SHARED_BUFFERS shared_buffers of the throwaway cluster (a quarter
#                        of the memory)
#   BENCH_OUT            also write the results table to this file
#   BENCH_BUILD          0: use the extension as installed, do not build it (1)
# For the smoke run (test/bench/smoke.sh):
#   BENCH_EXISTING=1     use the running server in PGHOST/PGPORT/PGUSER:
#                        no build, no cluster; databases dropped at the end
#   BENCH_TRANSACTIONS   transactions per client instead of BENCH_SECONDS
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. test/lib/common.sh

# the command, as given, for the report
command="${BENCH_VIA:-test/bench/run.sh}"
for var in $(compgen -e | grep '^BENCH_' | grep -v '^BENCH_VIA$' | sort); do
    [ -n "${!var}" ] && command+=" $var=${!var}"
done

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_WARMUP=${BENCH_WARMUP:-2}
BENCH_CLIENTS=${BENCH_CLIENTS:-2}
BENCH_KEYS=${BENCH_KEYS:-10000}
BENCH_BIG_KEYS=${BENCH_BIG_KEYS:-10000000}
BENCH_BIG_SAMPLE=${BENCH_BIG_SAMPLE:-100000}
BENCH_NODES=${BENCH_NODES:-10000}
BENCH_BCRYPT_KEYS=${BENCH_BCRYPT_KEYS:-1000}
BENCH_SWEEP_KEYS=${BENCH_SWEEP_KEYS:-100000}
BENCH_SWEEP_ROUNDS=${BENCH_SWEEP_ROUNDS:-3}
BENCH_SWEEP_IDLE=${BENCH_SWEEP_IDLE:-3}
BENCH_LOCK_NODES=${BENCH_LOCK_NODES:-200000}
BENCH_STORM_CLIENTS=${BENCH_STORM_CLIENTS:-16}
BENCH_STORM_KEYS=${BENCH_STORM_KEYS:-200000}
BENCH_BIG_NODES=${BENCH_BIG_NODES:-1000000}
BENCH_BIG_EVENTS=${BENCH_BIG_EVENTS:-10000000}
BENCH_HEARTBEAT_SECONDS=${BENCH_HEARTBEAT_SECONDS:-300}
BENCH_SWEEP_BACKLOG_KEYS=${BENCH_SWEEP_BACKLOG_KEYS:-1000000}
BENCH_SWEEP_BACKLOG_NODES=${BENCH_SWEEP_BACKLOG_NODES:-100000}
BENCH_SWEEP_IDLE_SECONDS=${BENCH_SWEEP_IDLE_SECONDS:-10}
BENCH_SWEEP_PROBE_AFTER=${BENCH_SWEEP_PROBE_AFTER:-5}
BENCH_PURGE_EVENTS=${BENCH_PURGE_EVENTS:-1000000}
BENCH_ONLY=${BENCH_ONLY:-}
BENCH_PORT=${BENCH_PORT:-54330}
# a quarter of the memory, the usual advice for a dedicated server
BENCH_SHARED_BUFFERS=${BENCH_SHARED_BUFFERS:-$(awk '/^MemTotal/ { printf "%dMB", $2 / 4096 }' /proc/meminfo)}
BENCH_EXISTING=${BENCH_EXISTING:-0}
BENCH_TRANSACTIONS=${BENCH_TRANSACTIONS:-}
BENCH_OUT=${BENCH_OUT:-}
BENCH_BUILD=${BENCH_BUILD:-1}

[ "$BENCH_BIG_SAMPLE" -le "$BENCH_BIG_KEYS" ] || BENCH_BIG_SAMPLE=$BENCH_BIG_KEYS
[ "$BENCH_BCRYPT_KEYS" -le "$BENCH_KEYS" ] || BENCH_BCRYPT_KEYS=$BENCH_KEYS

small=bench_keys
big=bench_big_keys

# wants PART...: whether BENCH_ONLY asks for any of these parts
wants() {
    local part
    [ -z "$BENCH_ONLY" ] && return 0
    for part in "$@"; do
        [[ " ${BENCH_ONLY//,/ } " == *" $part "* ]] && return 0
    done
    return 1
}

die() {
    say "FAILED: $*"
    exit 1
}

# q DB SQL: one value (or rows, unaligned) from a query.
q() {
    "$PG_BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}

# psql_file DB FILE VAR=VALUE...
psql_file() {
    local db=$1 file=$2 vars=() v
    shift 2
    for v in "$@"; do vars+=(-v "$v"); done
    "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 "${vars[@]}" -d "$db" -f "$file" >/dev/null
}

work=$(mktemp -d /tmp/auth_keys_bench.XXXXXX)
is_root && chown postgres:postgres "$work"

cleanup() {
    if [ "$BENCH_EXISTING" = 1 ]; then
        for db in "$small" "$big"; do
            "$PG_BINDIR/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" \
                >/dev/null 2>&1 || true
        done
    else
        stop_cluster "$work/cluster"
    fi
    rm -rf "$work"
}
trap cleanup EXIT

if [ "$BENCH_EXISTING" = 1 ]; then
    : "${PGHOST:?BENCH_EXISTING=1 needs PGHOST}" "${PGPORT:?}"
    export PGUSER=${PGUSER:-postgres}
else
    # the Tailnet Lock part signs node keys with the oracle's Ed25519
    install_packages python3 python3-cryptography
    [ "$BENCH_BUILD" = 0 ] || build_and_install
    mkdir -p "$work/cluster"
    start_cluster "$work/cluster" "$BENCH_PORT" postgres
    # start_cluster turns fsync off for tests; the benchmark needs it on
    cat >>"$work/cluster/data/postgresql.conf" <<CONF
# benchmark settings (test/bench/run.sh)
fsync = on
synchronous_commit = on
shared_buffers = $BENCH_SHARED_BUFFERS
max_wal_size = 8GB
CONF
    as_postgres "$PG_BINDIR/pg_ctl" -D "$work/cluster/data" -l "$work/cluster/server.log" \
        -w -s restart
fi

for db in "$small" "$big"; do
    "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" \
        -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
done

(( BENCH_NODES >= 100 )) || die "BENCH_NODES must be at least 100 (a batch of nodes_seen)"
say "filling $small: $BENCH_KEYS keys, $BENCH_NODES nodes"
psql_file "$small" test/bench/setup.sql nkeys="$BENCH_KEYS" nsample="$BENCH_KEYS" \
    nnodes="$BENCH_NODES"
# refused keys, in hundreds (validate_unknown_id, validate_wrong_secret)
nrefused=$(( BENCH_KEYS < 1000 ? BENCH_KEYS / 100 * 100 : 1000 ))
(( nrefused >= 100 )) || die "BENCH_KEYS must be at least 100"
if wants validate register; then
    say "the peers in $small"
    psql_file "$small" test/bench/peers.sql nbcrypt="$BENCH_BCRYPT_KEYS"
    psql_file "$small" test/bench/refused.sql nrefused="$nrefused"
fi
if wants lock; then
    say "locking a second tailnet of $small: $BENCH_LOCK_NODES node key signatures"
    /usr/bin/python3 test/bench/lock_signatures.py "$BENCH_LOCK_NODES" "$work"
    is_root && chown postgres:postgres "$work/signatures.tsv" "$work/genesis.hex"
    psql_file "$small" test/bench/lock_setup.sql genesis="$(cat "$work/genesis.hex")" \
        signatures="$work/signatures.tsv"
fi
if wants storm; then
    say "the storms' keys in $small: $BENCH_STORM_KEYS one-off keys"
    psql_file "$small" test/bench/storm_setup.sql nkeys="$BENCH_KEYS" noneoff="$BENCH_STORM_KEYS"
fi
if wants lean; then
    psql_file "$small" test/bench/lean_setup.sql
fi
# the large database: its keys for validate, its nodes and events for the
# scale run and the heartbeats of many nodes
big_nodes=1
big_events=0
wants scale heartbeat && big_nodes=$BENCH_BIG_NODES
wants scale && big_events=$BENCH_BIG_EVENTS
(( big_nodes == 1 || big_nodes >= 100 )) || die "BENCH_BIG_NODES must be at least 100"
if wants validate scale heartbeat; then
    say "filling $big: $BENCH_BIG_KEYS keys, $big_nodes nodes (a few minutes for ten million keys)"
    psql_file "$big" test/bench/setup.sql nkeys="$BENCH_BIG_KEYS" nsample="$BENCH_BIG_SAMPLE" \
        nnodes="$big_nodes"
    if (( big_events > 0 )); then
        say "filling $big: $big_events audit events over a year"
        psql_file "$big" test/bench/events_setup.sql n="$big_events" weeks=52
    fi
fi

for db in "$small" "$big"; do
    q "$db" "CREATE EXTENSION IF NOT EXISTS pg_prewarm;
             SELECT sum(pg_prewarm(c.oid)) FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname IN ('auth_keys', 'bench', 'peer') AND c.relkind IN ('r', 'i')" \
        >/dev/null
done

# pgbench variables of each database
declare -A dbvars
dbvars[$small]="-D nsample=$BENCH_KEYS -D nnodes=$BENCH_NODES -D nbcrypt=$BENCH_BCRYPT_KEYS
    -D nbatches=$((BENCH_NODES / 100))
    -D nrefused=$nrefused
    -D nlock=$BENCH_LOCK_NODES
    -D tailnet_id=$(q "$small" "SELECT min(tailnet_id) FROM auth_keys.tailnets")"
if wants validate scale heartbeat; then
    dbvars[$big]="-D nsample=$BENCH_BIG_SAMPLE -D nnodes=$big_nodes -D nbcrypt=1 -D nlock=1
        -D nbatches=$((big_nodes / 100 > 0 ? big_nodes / 100 : 1))
        -D tailnet_id=$(q "$big" "SELECT min(tailnet_id) FROM auth_keys.tailnets")"
fi

results=()      # rows of the results table
declare -A warm

# run_pgbench DB SCRIPT SYNC [PGBENCH ARGS...]: transactions per second.
# SIDE_OPTIONS: more settings for the clients (PGOPTIONS).
run_pgbench() {
    local db=$1 script=$2 sync=$3 out tps
    shift 3
    local length=(-T "$BENCH_SECONDS")
    [ -n "$BENCH_TRANSACTIONS" ] && length=(-t "$BENCH_TRANSACTIONS")
    # shellcheck disable=SC2086
    if ! out=$(PGOPTIONS="-c synchronous_commit=$sync ${SIDE_OPTIONS:-}" \
            "$PG_BINDIR/pgbench" -n -M prepared \
            -c "$BENCH_CLIENTS" -j "$BENCH_CLIENTS" "${length[@]}" ${dbvars[$db]} "$@" \
            -f "test/bench/scripts/$script.sql" "$db" 2>&1); then
        printf '%s\n' "$out" >&2
        die "pgbench $script on $db"
    fi
    if grep -qE '^number of failed transactions: [1-9]' <<<"$out"; then
        printf '%s\n' "$out" >&2
        die "pgbench $script on $db: failed transactions"
    fi
    tps=$(awk '/^tps = / { print $3; exit }' <<<"$out")
    [ -n "$tps" ] || { printf '%s\n' "$out" >&2; die "no tps from pgbench $script"; }
    echo "$tps"
}

warm_up() {
    local db=$1 script=$2 sync=$3
    [ -n "${warm[$db/$script/${SIDE_OPTIONS:-}]:-}" ] && return 0
    warm[$db/$script/${SIDE_OPTIONS:-}]=1
    if [ -z "$BENCH_TRANSACTIONS" ] && [ "$BENCH_WARMUP" -gt 0 ]; then
        BENCH_SECONDS=$BENCH_WARMUP run_pgbench "$db" "$script" "$sync" >/dev/null
    fi
}

# median: the median of the numbers on standard input
median() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) exit 1
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# verdict RATIO TARGET: "met", "missed" or "" when there is no target
verdict() {
    [ -n "$2" ] || return 0
    awk -v r="$1" -v t="$2" 'BEGIN { print (r >= t ? "met" : "**missed**") }'
}

# row NAME A B SYNC A_FIGURE B_FIGURE RATIO TARGET
row() {
    local target=${8:+">= $8"}
    results+=("| $1 | $2 | $3 | $4 | $5 | $6 | $7 | ${target:--} | $(verdict "$7" "$8") |")
}

# pair NAME TARGET SYNC A_LABEL A_DB A_SCRIPT B_LABEL B_DB B_SCRIPT
#   Runs A and B alternately BENCH_ROUNDS times; ratio = A / B.
#   PAIR_A_OPTIONS, PAIR_B_OPTIONS: settings of each side's clients;
#   PAIR_A_PER_TX, PAIR_B_PER_TX: what a transaction of each side counts
#   for (100 for a nodes_seen of 100 nodes), 1 unless given.
pair() {
    local name=$1 target=$2 sync=$3 alabel=$4 adb=$5 ascript=$6 blabel=$7 bdb=$8 bscript=$9
    local r ta tb as=() bs=() ratios=()
    local aopt=${PAIR_A_OPTIONS:-} bopt=${PAIR_B_OPTIONS:-}
    local aper=${PAIR_A_PER_TX:-1} bper=${PAIR_B_PER_TX:-1}
    SIDE_OPTIONS=$aopt warm_up "$adb" "$ascript" "$sync"
    SIDE_OPTIONS=$bopt warm_up "$bdb" "$bscript" "$sync"
    for ((r = 1; r <= BENCH_ROUNDS; r++)); do
        ta=$(SIDE_OPTIONS=$aopt run_pgbench "$adb" "$ascript" "$sync")
        tb=$(SIDE_OPTIONS=$bopt run_pgbench "$bdb" "$bscript" "$sync")
        ta=$(awk -v t="$ta" -v k="$aper" 'BEGIN { print t * k }')
        tb=$(awk -v t="$tb" -v k="$bper" 'BEGIN { print t * k }')
        say "$name, round $r: $alabel $ta, $blabel $tb"
        as+=("$ta")
        bs+=("$tb")
        ratios+=("$(awk -v a="$ta" -v b="$tb" 'BEGIN { printf "%.3f", a / b }')")
    done
    row "$name" "$alabel" "$blabel" "$sync" \
        "$(printf '%s\n' "${as[@]}" | median | xargs printf '%.0f')" \
        "$(printf '%s\n' "${bs[@]}" | median | xargs printf '%.0f')" \
        "$(printf '%s\n' "${ratios[@]}" | median | xargs printf '%.2f')" "$target"
}

# storage DB TABLE LABEL: bytes per row of a table (of all its partitions)
storage() {
    local db=$1 table=$2 label=$3 n total idx
    n=$(q "$db" "SELECT count(*) FROM auth_keys.$table")
    (( n > 0 )) || return 0
    IFS='|' read -r total idx <<<"$(relation_bytes "$db" "auth_keys.$table")"
    storage_rows+=("| $label | $n | $((total / n)) | $(((total - idx) / n)) | $((idx / n)) |")
}

now_us() {
    date +%s%6N
}

# sweep_stage DB ROUND: BENCH_SWEEP_KEYS expired keys for that round
sweep_stage() {
    psql_file "$1" test/bench/sweep_stage.sql round="$2" n="$BENCH_SWEEP_KEYS"
}

# sweep_retention ROUND: the retention that purges up to that round
sweep_retention() {
    echo "$((995 - 10 * $1)) days"
}

# timed_purge DB ROUND ours|bare: seconds to purge the round's keys; the
# sweep without its rests between batches (auth_keys.sweep_batch_delay),
# which only spread the same work over more time
timed_purge() {
    local db=$1 round=$2 how=$3 out n ms
    local retention
    retention=$(sweep_retention "$round")
    if [ "$how" = ours ]; then
        out=$("$PG_BINDIR/psql" -X -At -v ON_ERROR_STOP=1 -d "$db" <<SQL
SET auth_keys.invalid_key_retention = '$retention';
SET auth_keys.sweep_batch_delay = 0;
\\timing on
SELECT keys_purged FROM auth_keys.sweep();
SQL
        )
        n=$(grep -E '^[0-9]+$' <<<"$out" | head -n 1)
    else
        out=$("$PG_BINDIR/psql" -X -At -v ON_ERROR_STOP=1 -d "$db" <<SQL
\\timing on
DELETE FROM auth_keys.keys WHERE invalid_at < now() - interval '$retention';
SQL
        )
        n=$(awk '/^DELETE / { print $2 }' <<<"$out")
    fi
    ms=$(awk '/^Time: / { print $2 }' <<<"$out" | tail -n 1)
    [ "$n" = "$BENCH_SWEEP_KEYS" ] ||
        { printf '%s\n' "$out" >&2; die "purge ($how) of round $round removed ${n:-nothing}"; }
    q "$db" "VACUUM auth_keys.keys"
    awk -v ms="$ms" 'BEGIN { printf "%.3f", ms / 1000 }'
}

sweep_pair() {
    local db=$small r ts td ours=() bare=() ratios=()
    for ((r = 1; r <= BENCH_ROUNDS; r++)); do
        sweep_stage "$db" $((2 * r - 1))
        ts=$(timed_purge "$db" $((2 * r - 1)) ours)
        sweep_stage "$db" $((2 * r))
        td=$(timed_purge "$db" $((2 * r)) bare)
        say "sweep of $BENCH_SWEEP_KEYS expired keys, round $r: sweep ${ts}s, DELETE ${td}s"
        ours+=("$(awk -v n="$BENCH_SWEEP_KEYS" -v s="$ts" 'BEGIN { print n / s }')")
        bare+=("$(awk -v n="$BENCH_SWEEP_KEYS" -v s="$td" 'BEGIN { print n / s }')")
        ratios+=("$(awk -v a="$td" -v b="$ts" 'BEGIN { print a / b }')")
        sweep_seconds+=("$ts")
    done
    row "sweep of $BENCH_SWEEP_KEYS expired keys (keys/s)" "sweep(), no rest" "bare DELETE" on \
        "$(printf '%s\n' "${ours[@]}" | median | xargs printf '%.0f')" \
        "$(printf '%s\n' "${bare[@]}" | median | xargs printf '%.0f')" \
        "$(printf '%s\n' "${ratios[@]}" | median | xargs printf '%.2f')" ""
}

# Registration while sweeps run, against registration between them, in
# one pgbench run: idle and busy windows alternate, and each transaction
# counts for the window in which it ended (pgbench's per-transaction log).
# A busy window is a sweep (with its default rests between batches), or
# (the control) a query that keeps one CPU busy for as long as the sweep
# before it took, which the sweep's rests make the harsher: on a machine with few
# CPUs, any concurrent work slows registration by the CPU it takes, and
# the control tells that share from what the sweep itself costs
# registration (locks, I/O).
during_sweep() {
    local db=$small sync=on r est total first=50 log="$work/during"
    est=$(printf '%s\n' "${sweep_seconds[@]:-10}" | sort -g | tail -n 1)
    # long enough for every sweep to take three times as long as alone
    total=$(awk -v s="$est" -v i="$BENCH_SWEEP_IDLE" -v r="$BENCH_SWEEP_ROUNDS" \
        'BEGIN { t = 1 + i * (2 * r + 1) + 2 * (s * 3 + 1) * r
                 printf "%d", t == int(t) ? t : int(t) + 1 }')
    for ((r = 1; r <= BENCH_SWEEP_ROUNDS; r++)); do
        sweep_stage "$db" $((first + r))
    done
    mkdir -p "$log"
    warm_up "$db" register_ours "$sync"
    (
        sleep 1
        for ((r = 1; r <= BENCH_SWEEP_ROUNDS; r++)); do
            t0=$(now_us); sleep "$BENCH_SWEEP_IDLE"; echo "idle $t0 $(now_us)"
            ts=$(now_us)
            q "$db" "SET auth_keys.invalid_key_retention = '$(sweep_retention $((first + r)))';
                     SELECT keys_purged FROM auth_keys.sweep()" >/dev/null
            t1=$(now_us)
            echo "sweep $ts $t1"
            t0=$(now_us); sleep "$BENCH_SWEEP_IDLE"; echo "idle $t0 $(now_us)"
            t0=$(now_us)
            q "$db" "DO \$\$ BEGIN
                         WHILE clock_timestamp() < now() + interval '$((t1 - ts)) microseconds' LOOP
                         END LOOP;
                     END \$\$" >/dev/null
            echo "busy $t0 $(now_us)"
        done
        t0=$(now_us); sleep "$BENCH_SWEEP_IDLE"; echo "idle $t0 $(now_us)"
    ) >"$log/windows" &
    local loop=$!
    BENCH_SECONDS=$total BENCH_TRANSACTIONS='' run_pgbench "$db" register_ours "$sync" \
        -l --log-prefix="$log/tx" >/dev/null
    wait "$loop" || die "the sweeps during registration failed"
    [ "$(q "$db" "SELECT count(*) FROM auth_keys.keys
                   WHERE invalid_at < now() - interval '400 days'")" = 0 ] ||
        die "the sweeps during registration left staged keys behind"
    local line
    line=$(cat "$log"/tx.* | awk -v wfile="$log/windows" '
        BEGIN {
            while ((getline w < wfile) > 0) {
                split(w, f, " "); n++; kind[n] = f[1]; lo[n] = f[2]; hi[n] = f[3]
            }
        }
        {
            t = $5 * 1000000 + $6
            if (t > last) last = t
            for (i = 1; i <= n; i++)
                if (t >= lo[i] && t < hi[i]) { count[kind[i]]++; break }
        }
        END {
            for (i = 1; i <= n; i++) {
                h = hi[i] < last ? hi[i] : last
                if (h > lo[i]) span[kind[i]] += (h - lo[i]) / 1000000
            }
            if (span["idle"] == 0 || span["sweep"] == 0 || span["busy"] == 0) exit 1
            idle = count["idle"] / span["idle"]
            sweep = count["sweep"] / span["sweep"]
            busy = count["busy"] / span["busy"]
            printf "%.0f %.0f %.0f %.2f %.2f %.1f\n", idle, sweep, busy,
                sweep / idle, busy / idle, span["sweep"]
        }') || die "no idle, sweep or busy window in the registration log"
    read -r idle during busy ratio control spent <<<"$line"
    say "registration: $idle tps idle, $during tps during sweeps (${spent}s of sweeping)," \
        "$busy tps during as long a busy query"
    row "register_node during sweeps of $BENCH_SWEEP_KEYS keys" "during sweeps" "idle" \
        "$sync" "$during" "$idle" "$ratio" 0.90
    row "register_node during a busy query as long (control)" "during the query" "idle" \
        "$sync" "$busy" "$idle" "$control" ""
}

# the comparisons at scale (issue 13): storms, heartbeats, the backlog
# sweep, the event purge, NOTIFY, the lean tables, the scale run
. test/bench/scale.sh

storage_rows=()
if wants validate scale heartbeat; then
    storage "$big" keys "keys ($big)"
    (( big_nodes > 1 )) && storage "$big" nodes "nodes ($big)"
    (( big_events > 0 )) && storage "$big" events "events ($big)"
fi
storage "$small" keys "keys ($small)"
storage "$small" nodes "nodes ($small)"

if wants validate; then
    say "validate_key"
    pair "validate_key" 0.90 on ours "$small" validate_ours bare "$small" validate_bare
    pair "validate_key" 2 on ours "$small" validate_ours "PL/pgSQL + digest" "$small" validate_plpgsql
    pair "validate_key" "" on ours "$small" validate_ours "PL/pgSQL + bcrypt" "$small" validate_bcrypt
    pair "validate_key, $BENCH_BIG_KEYS against $BENCH_KEYS keys" 0.90 on \
        "ours, $BENCH_BIG_KEYS keys" "$big" validate_ours "ours, $BENCH_KEYS keys" "$small" validate_ours
    # key ids are not secret: what an unknown one saves over a wrong secret
    pair "validate_key of 100 refused keys" "" on "unknown key ids" "$small" validate_unknown_id \
        "known ids, wrong secrets" "$small" validate_wrong_secret
    # the control: what the table's size costs the bare lookup
    pair "bare lookup, $BENCH_BIG_KEYS against $BENCH_KEYS keys (control)" "" on \
        "bare, $BENCH_BIG_KEYS keys" "$big" validate_bare "bare, $BENCH_KEYS keys" "$small" validate_bare
fi

if wants register; then
    say "register_node"
    pair "register_node" 0.95 on ours "$small" register_ours bare "$small" register_bare
    pair "register_node" 0.85 off ours "$small" register_ours bare "$small" register_bare
    pair "register_node" "" off ours "$small" register_ours "bare + audit INSERT" "$small" \
        register_bare_event
    pair "register_node" 2 off ours "$small" register_ours "PL/pgSQL + digest" "$small" register_plpgsql
    pair "register_node" "" off ours "$small" register_ours "PL/pgSQL + bcrypt" "$small" register_bcrypt
fi
wants lean && lean_pairs

if wants lock; then
    say "register_node with and without a node key signature (Tailnet Lock)"
    pair "register_node in a locked tailnet" "" off "signed" "$small" register_lock_signed \
        "unsigned" "$small" register_lock_unsigned
fi

if wants node_seen; then
    say "node_seen"
    pair "node_seen" "" off ours "$small" node_seen_ours "bare UPDATE" "$small" node_seen_bare
    heartbeats
fi
if wants create_key; then
    say "create_key"
    pair "create_key" "" off ours "$small" create_key_ours "bare INSERT" "$small" create_key_bare
fi
wants notify && notify_pairs
wants storm && storms

sweep_seconds=()
has_sweep=$(q "$small" "SELECT to_regprocedure('auth_keys.sweep(integer)') IS NOT NULL")
if wants sweep && [ "$has_sweep" = t ]; then
    say "sweep"
    sweep_pair
    during_sweep
elif wants sweep; then
    say "auth_keys.sweep(integer) does not exist in this build: sweep benchmarks skipped"
    results+=("| sweep | skipped: auth_keys.sweep(integer) does not exist in this build | | | | | | | |")
fi
wants backlog && backlog_sweep
wants purge && event_purge
wants scale && scale_pairs
# last: it rewrites the large database's nodes for minutes
wants heartbeat && heartbeat_at_scale

cpu=$(lscpu 2>/dev/null | awk -F: '/^Model name/ { gsub(/^ +/, "", $2); print $2; exit }')
mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
report() {
    echo "## Benchmark results"
    echo
    echo "- command: \`$command\`"
    echo "- machine: $(nproc) CPUs ($cpu), $mem memory, $(uname -sr)"
    echo "- server: $(q postgres "SELECT version()")"
    echo "- settings: fsync $(q postgres "SHOW fsync"), shared_buffers $(q postgres "SHOW shared_buffers"), synchronous_commit as in the table (PGOPTIONS)"
    echo "- pgbench -M prepared, $BENCH_CLIENTS clients, $BENCH_ROUNDS alternated runs of" \
        "$([ -n "$BENCH_TRANSACTIONS" ] && echo "$BENCH_TRANSACTIONS transactions per client" ||
            echo "${BENCH_SECONDS}s") per side; medians"
    echo "- at $(date -u '+%Y-%m-%d %H:%M UTC'), load average before: $load_before"
    [ -z "$BENCH_TRANSACTIONS" ] ||
        echo "- a smoke run: a few transactions each, the figures mean nothing"
    echo
    echo "| benchmark | A | B | synchronous_commit | A (tps) | B (tps) | A / B | target | |"
    echo "|---|---|---|---|---:|---:|---:|---|---|"
    printf '%s\n' "${results[@]}"
    if [ ${#figures[@]} -gt 0 ]; then
        echo
        echo "| measure | figure | target | |"
        echo "|---|---|---|---|"
        printf '%s\n' "${figures[@]}"
    fi
    echo
    echo "| storage | rows | bytes per row | table | indexes |"
    echo "|---|---:|---:|---:|---:|"
    printf '%s\n' "${storage_rows[@]}"
}
report >"$work/results.md"
[ -n "$BENCH_OUT" ] && cp "$work/results.md" "$BENCH_OUT"
echo
cat "$work/results.md"
