-- test/bench/purge_setup.sql
--
-- A week of :n audit events long past auth_keys.event_retention (scale.sh):
-- its partition, named, bounded and indexed as event_partition.c makes them, :weeks
-- weeks back; and the same rows in bench.events_plain, a table without
-- partitions (with an index on "at", so that a DELETE finds them), for the
-- DELETE that a table without partitions needs instead.
--
-- Run as a superuser with -v n=N -v weeks=N.
--
-- Copyright (c) 2026, auth_keys developers

\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET TimeZone = 'UTC';

SELECT date_trunc('week', now()) - :weeks * interval '7 days' AS week,
       'events_' || to_char(date_trunc('week', now()) - :weeks * interval '7 days',
                            'YYYYMMDD') AS part \gset
SELECT format('CREATE TABLE auth_keys.%I PARTITION OF auth_keys.events'
              ' FOR VALUES FROM (%L) TO (%L)', :'part', :'week',
              :'week'::timestamptz + interval '7 days')
\gexec
SELECT format('CREATE INDEX ON auth_keys.%I (tailnet_id, at)', :'part'),
       format('ALTER TABLE auth_keys.%I ENABLE ROW LEVEL SECURITY', :'part')
\gexec

SET session_replication_role = replica;
INSERT INTO auth_keys.events (at, tailnet_id, actor, action, key_id, node_id, detail)
SELECT :'week'::timestamptz + i * (interval '7 days' / (:n + 1)),
       (SELECT min(tailnet_id) FROM auth_keys.tailnets), 'role:postgres', 'key.used',
       bench.key_id(1 + i % 1000), i,
       jsonb_build_object('hostname', 'host-' || i, 'reauthenticated', false)
  FROM generate_series(1, :n) AS i;
RESET session_replication_role;

CREATE TABLE IF NOT EXISTS bench.events_plain (LIKE auth_keys.events INCLUDING DEFAULTS);
CREATE INDEX IF NOT EXISTS events_plain_at_idx ON bench.events_plain (at);
INSERT INTO bench.events_plain
SELECT * FROM auth_keys.events WHERE at >= :'week' AND at < :'week'::timestamptz + interval '7 days';
VACUUM ANALYZE bench.events_plain;
