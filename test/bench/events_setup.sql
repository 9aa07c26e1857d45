-- test/bench/events_setup.sql
--
-- An audit trail of :n events over the last :weeks weeks (scale.sh), in
-- the weekly partitions that the sweeps of those weeks would have made
-- (event_partition.c's names, bounds and index: events_YYYYMMDD, Monday
-- to Monday, UTC, with an index of (tailnet_id, at)).  Events are key.used events as register_node records
-- them, spread evenly over the weeks, loaded past the triggers as a
-- restore loads them.
--
-- Run as a superuser, outside a transaction block, with -v n=N -v weeks=N.
--
-- Copyright (c) 2026, auth_keys developers

\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET TimeZone = 'UTC';

-- this week's partition and those ahead were made by setup.sql's sweep
SELECT format('CREATE TABLE auth_keys.%I PARTITION OF auth_keys.events'
              ' FOR VALUES FROM (%L) TO (%L)',
              'events_' || to_char(w, 'YYYYMMDD'), w, w + interval '7 days')
  FROM generate_series(date_trunc('week', now()) - (:weeks - 1) * interval '7 days',
                       date_trunc('week', now()) - interval '7 days',
                       interval '7 days') AS w
 WHERE to_regclass('auth_keys.events_' || to_char(w, 'YYYYMMDD')) IS NULL
\gexec
SELECT format('ALTER TABLE auth_keys.%I ENABLE ROW LEVEL SECURITY', c.relname)
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'auth_keys.events'::regclass AND NOT c.relrowsecurity
\gexec

SET session_replication_role = replica;
INSERT INTO auth_keys.events (at, tailnet_id, actor, action, key_id, node_id, detail)
SELECT now() - (:weeks - 1) * interval '7 days' + i * ((:weeks - 1) * interval '7 days' / :n),
       (SELECT min(tailnet_id) FROM auth_keys.tailnets), 'role:postgres', 'key.used',
       bench.key_id(1 + i % 1000), i,
       jsonb_build_object('hostname', 'host-' || i, 'reauthenticated', false)
  FROM generate_series(1, :n) AS i;
RESET session_replication_role;
-- each week's index for event_list, as the sweep makes it with the week
SELECT format('CREATE INDEX ON auth_keys.%I (tailnet_id, at)', c.relname)
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'auth_keys.events'::regclass AND c.relname ~ '^events_[0-9]{8}$'
   AND NOT EXISTS (SELECT FROM pg_index x WHERE x.indrelid = c.oid)
\gexec
VACUUM ANALYZE auth_keys.events;
