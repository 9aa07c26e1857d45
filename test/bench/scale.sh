# test/bench/scale.sh
#
# The comparisons of auth_keys at scale, sourced by run.sh (whose helpers
# they use): enrolment storms of 16 clients on one key, heartbeats one at
# a time and in batches, a million nodes heartbeating for minutes, a sweep
# through a large backlog, the removal of a week of audit events, the cost
# of auth_keys.notify, registration against the lean tables a DBA would
# write, and validate, register and heartbeat at ten million keys.
#
# Copyright (c) 2026, auth_keys developers
#
# Figures that are not a ratio of two throughputs (seconds, bytes, the
# longest transaction of a sweep) go into a second table, each with its
# target: figure NAME VALUE TARGET VERDICT.

figures=()      # rows of the table of figures

figure() {
    figures+=("| $1 | $2 | ${3:--} | ${4:-} |")
}

# at_most VALUE BOUND: the verdict of a figure that must not exceed BOUND
at_most() {
    awk -v v="$1" -v b="$2" 'BEGIN { print (v <= b ? "met" : "**missed**") }'
}

# seconds_of SQL...: seconds that psql takes to run the statements on
# standard input, as \timing reports the last one
timed_sql() {
    local db=$1 out
    out=$("$PG_BINDIR/psql" -X -At -v ON_ERROR_STOP=1 -d "$db" -c '\timing on' -f -) ||
        die "timed statement on $db failed"
    awk '/^Time: / { ms = $2 } END { printf "%.3f", ms / 1000 }' <<<"$out"
}

# relation_bytes DB TABLE: table and its indexes, and its indexes, in
# bytes, summed over its partitions if it has any
relation_bytes() {
    q "$1" "WITH r AS (SELECT relid FROM pg_partition_tree('$2') WHERE isleaf
                       UNION ALL
                       SELECT '$2'::regclass WHERE (SELECT relkind FROM pg_class
                                                     WHERE oid = '$2'::regclass) <> 'p')
            SELECT sum(pg_total_relation_size(relid)), sum(pg_indexes_size(relid)) FROM r"
}

mib() {
    awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'
}

# --- storms ---------------------------------------------------------------

# 16 clients at once, durable commits: one reusable key without a limit
# against a one-off key each (register_node writes no key row for the
# former, and one per registration for the latter); then one key with a
# limit, whose row every registration must update, against the bare SQL
# that does the same update and the node insert.
storms() {
    local used
    say "storms: $BENCH_STORM_CLIENTS clients on one key"
    BENCH_CLIENTS=$BENCH_STORM_CLIENTS pair \
        "storm of $BENCH_STORM_CLIENTS clients: one reusable key against a one-off key each" \
        0.90 on "one reusable key" "$small" storm_reusable "a one-off key each" "$small" \
        storm_oneoff
    BENCH_CLIENTS=$BENCH_STORM_CLIENTS pair \
        "storm of $BENCH_STORM_CLIENTS clients on one key with max_uses" 1.0 on \
        ours "$small" storm_limited "bare UPDATE of the key + node INSERT" "$small" storm_bare
    used=$(q "$small" "SELECT last_value FROM bench.oneoff_seq")
    [ "$used" -le "$BENCH_STORM_KEYS" ] ||
        die "the storm took $used one-off keys of $BENCH_STORM_KEYS: raise BENCH_STORM_KEYS"
    [ "$(q "$small" "SELECT count(*) FROM auth_keys.keys k JOIN bench.limited l USING (key_id)
                      WHERE k.uses > 0")" = 2 ] ||
        die "a storm on a key with max_uses spent nothing"
}

# --- heartbeats -----------------------------------------------------------

# nodes_seen of 100 node keys a call against node_seen of one, in nodes
# per second
heartbeats() {
    say "heartbeats: nodes_seen of 100 against node_seen"
    PAIR_A_PER_TX=100 pair "heartbeats (nodes/s)" 10 off "nodes_seen, 100 a call" "$small" \
        nodes_seen_ours "node_seen, one a call" "$small" node_seen_ours
}

# A million enrolled nodes (the large database) heartbeating in batches of
# 100 for BENCH_HEARTBEAT_SECONDS: the size of the nodes table and its
# indexes before and after, and how many of the updates were HOT (no new
# index entries, the old version pruned in its page).  Autovacuum runs as
# it is configured.
heartbeat_at_scale() {
    local db=$big before after idx_before idx_after line upd hot growth out
    say "heartbeats of $BENCH_BIG_NODES nodes for ${BENCH_HEARTBEAT_SECONDS}s"
    q "$db" "SELECT pg_stat_reset_single_table_counters('auth_keys.nodes'::regclass)" >/dev/null
    read -r before idx_before <<<"$(relation_bytes "$db" auth_keys.nodes | tr '|' ' ')"
    if ! out=$(PGOPTIONS="-c synchronous_commit=off" "$PG_BINDIR/pgbench" -n -M prepared \
            -c "$BENCH_CLIENTS" -j "$BENCH_CLIENTS" -T "$BENCH_HEARTBEAT_SECONDS" \
            ${dbvars[$db]} -f test/bench/scripts/nodes_seen_ours.sql "$db" 2>&1); then
        printf '%s\n' "$out" >&2
        die "pgbench nodes_seen_ours on $db"
    fi
    read -r after idx_after <<<"$(relation_bytes "$db" auth_keys.nodes | tr '|' ' ')"
    # the counters reach the shared statistics within a second of the
    # clients' last commit
    sleep 1.5
    line=$(q "$db" "SELECT n_tup_upd, n_tup_hot_upd, autovacuum_count
                      FROM pg_stat_user_tables WHERE relid = 'auth_keys.nodes'::regclass")
    IFS='|' read -r upd hot vacuums <<<"$line"
    growth=$(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.2f", a / b }')
    figure "nodes table and indexes, $BENCH_BIG_NODES nodes, before ${BENCH_HEARTBEAT_SECONDS}s of heartbeats" \
        "$(mib "$before") ($(mib "$idx_before") of indexes)"
    figure "the same after $upd heartbeats ($(awk -v u="$upd" -v n="$BENCH_BIG_NODES" \
        'BEGIN { printf "%.1f", u / n }') a node), $vacuums autovacuums" \
        "$(mib "$after") ($(mib "$idx_after") of indexes), ${growth}x" "<= 1.25x" \
        "$(at_most "$growth" 1.25)"
    figure "HOT updates of all heartbeat updates (n_tup_hot_upd / n_tup_upd)" \
        "$(awk -v h="$hot" -v u="$upd" 'BEGIN { printf "%.3f", (u ? h / u : 0) }')" ">= 0.95" \
        "$(awk -v h="$hot" -v u="$upd" 'BEGIN { print (u && h / u >= 0.95 ? "met" : "**missed**") }')"
}

# --- the sweep through a backlog --------------------------------------------

# BENCH_SWEEP_BACKLOG_KEYS expired keys and BENCH_SWEEP_BACKLOG_NODES idle
# ephemeral nodes, swept by CALL auth_keys.sweep_in_steps() with its
# default rests while register_node runs.  Another session samples the
# sweeping backend every 50 ms (backlog_watch.sql); registrations run in
# pgbench runs of a few seconds, back to back, with a per-transaction log,
# and each counts for the window (idle or sweeping) in which it ended.
# Halfway through the sweep (or as soon as the sweep allows, for a short
# one), rows are deleted from a table of their own, and VACUUM of that
# table is asked to remove them while the sweep runs.
backlog_sweep() {
    local db=$small log="$work/backlog" chunk app=auth_keys_bench_sweep
    local t0 ts te t1 watcher loop line idle during ratio
    chunk=$(( BENCH_SECONDS < 5 ? BENCH_SECONDS : 5 ))
    say "sweep backlog: $BENCH_SWEEP_BACKLOG_KEYS expired keys, $BENCH_SWEEP_BACKLOG_NODES idle ephemeral nodes"
    psql_file "$db" test/bench/sweep_stage.sql round=90 n="$BENCH_SWEEP_BACKLOG_KEYS"
    psql_file "$db" test/bench/backlog_setup.sql n="$BENCH_SWEEP_BACKLOG_NODES"
    warm_up "$db" register_ours on
    mkdir -p "$log"
    "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$db" -v appname="$app" \
        -v timeout=$(( BENCH_SWEEP_IDLE_SECONDS + 60 )) -f test/bench/backlog_watch.sql \
        >"$log/watch.out" 2>&1 &
    watcher=$!
    (
        n=0
        while [ ! -e "$log/stop" ]; do
            n=$((n + 1))
            PGOPTIONS="-c synchronous_commit=on" "$PG_BINDIR/pgbench" -n -M prepared \
                -c "$BENCH_CLIENTS" -j "$BENCH_CLIENTS" -T "$chunk" ${dbvars[$db]} \
                -l --log-prefix="$log/tx$n" -f test/bench/scripts/register_ours.sql "$db" \
                >"$log/pgbench$n.out" 2>&1 || exit 1
        done
    ) &
    loop=$!
    t0=$(now_us)
    sleep "$BENCH_SWEEP_IDLE_SECONDS"
    (
        # the vacuum probe: dead rows made once the sweep has begun
        sleep "$BENCH_SWEEP_PROBE_AFTER"
        q "$db" "INSERT INTO bench.vacuum_probe SELECT i, repeat('x', 100)
                   FROM generate_series(1, 10000) i" >/dev/null
        q "$db" "DELETE FROM bench.vacuum_probe" >/dev/null
        sleep 1.5
        q "$db" "SELECT n_dead_tup FROM pg_stat_user_tables
                  WHERE relid = 'bench.vacuum_probe'::regclass" >"$log/dead_before"
        "$PG_BINDIR/psql" -X -v ON_ERROR_STOP=1 -d "$db" \
            -c "VACUUM (VERBOSE) bench.vacuum_probe" >/dev/null 2>"$log/vacuum"
        date +%s%6N >"$log/vacuum_at"
        sleep 1.5
        q "$db" "SELECT n_dead_tup FROM pg_stat_user_tables
                  WHERE relid = 'bench.vacuum_probe'::regclass" >"$log/dead_after"
    ) &
    local probe=$!
    ts=$(now_us)
    PGAPPNAME=$app "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$db" \
        -c "CALL auth_keys.sweep_in_steps()" || die "the sweep of the backlog failed"
    te=$(now_us)
    wait "$probe" || die "the vacuum probe during the sweep failed"
    sleep "$BENCH_SWEEP_IDLE_SECONDS"
    touch "$log/stop"
    wait "$loop" || { cat "$log"/pgbench*.out >&2; die "registration during the backlog sweep failed"; }
    t1=$(now_us)
    wait "$watcher" || { cat "$log/watch.out" >&2; die "the sweep watcher failed"; }

    [ "$(q "$db" "SELECT count(*) FROM auth_keys.keys
                   WHERE invalid_at < now() - interval '$(sweep_retention 90)'")" = 0 ] ||
        die "the backlog sweep left expired keys behind"
    [ "$(q "$db" "SELECT count(*) FROM auth_keys.nodes WHERE hostname LIKE 'idle-%'")" = 0 ] ||
        die "the backlog sweep left idle ephemeral nodes behind"

    line=$(cat "$log"/tx*.* | awk -v t0="$t0" -v ts="$ts" -v te="$te" -v t1="$t1" '
        { t = $5 * 1000000 + $6
          if (t >= ts && t < te) during++; else if (t >= t0 && t < t1) idle++ }
        END {
            span_d = (te - ts) / 1000000; span_i = (t1 - t0 - (te - ts)) / 1000000
            if (span_d <= 0 || span_i <= 0) exit 1
            printf "%.0f %.0f %.2f %.1f\n", idle / span_i, during / span_d,
                (during / span_d) / (idle / span_i), span_d }') ||
        die "no registrations logged around the backlog sweep"
    read -r idle during ratio spent <<<"$line"
    say "backlog sweep: ${spent}s; registration $idle tps idle, $during tps during it"
    row "register_node during sweep_in_steps of the backlog (${spent}s)" "during the sweep" idle on \
        "$during" "$idle" "$ratio" ""

    # what the watcher saw: the longest transaction, the longest a snapshot
    # (backend_xmin) or a transaction id (and its row locks) was held, each
    # to within a sample (50 ms)
    line=$(q "$db" "
        WITH s AS (
            SELECT at, xact_start, backend_xmin::text AS x, backend_xid::text AS id, xmin_age,
                   lag(backend_xmin::text) OVER (ORDER BY at) AS px,
                   lag(backend_xid::text) OVER (ORDER BY at) AS pid
              FROM bench.sweep_watch),
        g AS (
            SELECT *, count(*) FILTER (WHERE x IS DISTINCT FROM px) OVER (ORDER BY at) AS gx,
                      count(*) FILTER (WHERE id IS DISTINCT FROM pid) OVER (ORDER BY at) AS gid
              FROM s)
        SELECT count(*),
               coalesce(round(extract(epoch FROM max(at - xact_start))::numeric, 2), 0),
               coalesce((SELECT round(extract(epoch FROM max(d))::numeric, 2)
                           FROM (SELECT max(at) - min(at) AS d FROM g
                                  WHERE x IS NOT NULL GROUP BY gx) e), 0),
               coalesce((SELECT round(extract(epoch FROM max(d))::numeric, 2)
                           FROM (SELECT max(at) - min(at) AS d FROM g
                                  WHERE id IS NOT NULL GROUP BY gid) e), 0),
               coalesce(max(xmin_age), 0)
          FROM g")
    IFS='|' read -r samples longest snap xid xids <<<"$line"
    [ "$samples" -gt 0 ] || die "the watcher saw no sweep"
    figure "sweep_in_steps of $BENCH_SWEEP_BACKLOG_KEYS expired keys and $BENCH_SWEEP_BACKLOG_NODES idle ephemeral nodes: its length" \
        "${spent} s"
    figure "its longest transaction (pg_stat_activity.xact_start, $samples samples 50 ms apart; with the rest after a batch)" \
        "$longest s" "<= 1 s" "$(at_most "$longest" 1)"
    figure "its longest-held snapshot (one backend_xmin seen)" "$snap s" "<= 1 s" \
        "$(at_most "$snap" 1)"
    figure "its longest-held transaction id (and its row locks)" "$xid s" "<= 1 s" \
        "$(at_most "$xid" 1)"
    figure "its oldest snapshot's age in transactions (age(backend_xmin))" "$xids" "" ""
    local dead_before dead_after removed
    dead_before=$(cat "$log/dead_before")
    dead_after=$(cat "$log/dead_after")
    removed=$(sed -nE 's/.*tuples: ([0-9]+) removed.*/\1/p' "$log/vacuum" | head -n 1)
    local when="during the sweep"
    [ "$(cat "$log/vacuum_at")" -lt "$te" ] || when="after the sweep (it ended first)"
    figure "VACUUM of another table $when: its dead rows (n_dead_tup) before, after; removed" \
        "$dead_before, $dead_after; ${removed:-?}" "all removed" \
        "$([ "${removed:-0}" = 10000 ] && [ "$dead_after" = 0 ] && echo met || echo '**missed**')"
}

# --- removing a week of audit events ---------------------------------------

# A week of events past the retention, removed by the sweep (the
# partition is dropped), against a DELETE of as many rows from a table
# without partitions (and the VACUUM that must follow it), at two sizes.
# The sweep is timed without its rests after full batches, which only
# spread its work.
event_purge() {
    local db=$small n weeks drop del vac sizes=() drops=() ratio
    say "event purge: weeks of $BENCH_PURGE_EVENTS and $((BENCH_PURGE_EVENTS / 10)) events"
    # the sweep's other work done first, so that the timed sweeps do little else
    q "$db" "CALL auth_keys.sweep_in_steps()" >/dev/null
    weeks=110
    for n in $((BENCH_PURGE_EVENTS / 10)) "$BENCH_PURGE_EVENTS"; do
        weeks=$((weeks + 10))
        psql_file "$db" test/bench/purge_setup.sql n="$n" weeks="$weeks"
        q "$db" "CHECKPOINT" >/dev/null
        drop=$(timed_sql "$db" <<<"SET auth_keys.sweep_batch_delay = 0;
                                    CALL auth_keys.sweep_in_steps();")
        [ "$(q "$db" "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                       WHERE i.inhparent = 'auth_keys.events'::regclass
                         AND c.relname = 'events_' || to_char(date_trunc('week', now() AT TIME ZONE 'UTC')
                                                              - interval '7 days' * $weeks, 'YYYYMMDD')")" = 0 ] ||
            die "the sweep did not remove the partition of $weeks weeks ago"
        del=$(timed_sql "$db" <<<"DELETE FROM bench.events_plain WHERE at < now() - interval '1 year';")
        vac=$(timed_sql "$db" <<<"VACUUM bench.events_plain;")
        say "a week of $n events: the sweep ${drop}s, DELETE ${del}s (VACUUM ${vac}s more)"
        figure "removing a week of $n events: sweep_in_steps (the partition dropped), DELETE of as many rows, the VACUUM after it" \
            "${drop} s, ${del} s, ${vac} s"
        sizes+=("$n")
        drops+=("$drop")
        ratio=$(awk -v d="$del" -v s="$drop" 'BEGIN { printf "%.1f", (s > 0 ? d / s : 0) }')
    done
    local growth
    growth=$(awk -v a="${drops[1]}" -v b="${drops[0]}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    figure "sweep time for ${sizes[1]} events against ${sizes[0]} (10 times the rows)" \
        "${growth}x" "" ""
    figure "DELETE time against the sweep's, ${sizes[1]} events" "${ratio}x" "" ""
}

# --- auth_keys.notify -------------------------------------------------------

notify_pairs() {
    say "register_node with auth_keys.notify on and off"
    PAIR_A_OPTIONS="-c auth_keys.notify=on" PAIR_B_OPTIONS="-c auth_keys.notify=off" \
        pair "register_node, auth_keys.notify" "" on "notify on" "$small" register_ours \
        "notify off" "$small" register_ours
    PAIR_A_OPTIONS="-c auth_keys.notify=on" PAIR_B_OPTIONS="-c auth_keys.notify=off" \
        pair "register_node, auth_keys.notify" "" off "notify on" "$small" register_ours \
        "notify off" "$small" register_ours
}

# --- the lean tables ----------------------------------------------------------

lean_pairs() {
    say "register_node against the lean tables"
    pair "register_node" 0.90 on ours "$small" register_ours "lean tables" "$small" \
        register_lean
    pair "register_node" 0.50 off ours "$small" register_ours "lean tables" "$small" \
        register_lean
}

# --- at scale -----------------------------------------------------------------

# validate (in run.sh), register and heartbeat in the large database
# against the small one
scale_pairs() {
    say "register_node and nodes_seen at $BENCH_BIG_KEYS keys, $BENCH_BIG_NODES nodes, $BENCH_BIG_EVENTS events"
    pair "register_node, $BENCH_BIG_KEYS against $BENCH_KEYS keys" 0.90 off \
        "ours, $BENCH_BIG_KEYS keys" "$big" register_ours "ours, $BENCH_KEYS keys" "$small" \
        register_ours
    PAIR_A_PER_TX=100 PAIR_B_PER_TX=100 pair \
        "heartbeats (nodes/s), $BENCH_BIG_NODES against $BENCH_NODES nodes" 0.90 off \
        "nodes_seen, $BENCH_BIG_NODES nodes" "$big" nodes_seen_ours \
        "nodes_seen, $BENCH_NODES nodes" "$small" nodes_seen_ours
}
