--
-- sweep_steps: CALL auth_keys.sweep_in_steps(), the sweep that commits
-- after each batch, against auth_keys.sweep(), the sweep in its caller's
-- transaction; the rule that no ephemeral node is removed until the server
-- has run for a whole inactivity timeout (auth_keys.server_run); the audit
-- trail's retention (a partition a week, auth_keys.event_retention); and
-- auth_keys.notify.  (A real crash: test/t/013_heartbeat_crash.pl; a large
-- backlog swept while nodes register: test/t/014_sweep_steps.pl; the
-- pg_cron job: test/t/004_sweep_cron.pl.)
--
-- Event ids, times and partition names change from run to run: what is
-- shown is what does not, such as names compared with the name this week
-- must have.  The file runs in LATIN1 and SQL_ASCII databases too, so it
-- prints nothing but ASCII.
--
CREATE EXTENSION auth_keys;
\set SHOW_CONTEXT never
-- a rest of 1 ms after each full batch, not 400: the batches here are tiny
SET auth_keys.sweep_batch_delay = '1ms';

SELECT auth_keys.create_tailnet('acme') AS acme_id \gset
SELECT auth_keys.create_tailnet('globex') AS globex_id \gset
SELECT auth_keys.set_member('acme', 'olivia', 'owner');
SELECT auth_keys.set_member('globex', 'gail', 'owner');
CREATE ROLE regress_steps_operator;
CREATE ROLE regress_steps_actor;
CREATE ROLE regress_steps_acme_admin;
SELECT auth_keys.grant_tier('operator', 'regress_steps_operator');
SELECT auth_keys.grant_tier('actor', 'regress_steps_actor');
SELECT auth_keys.grant_tier('actor', 'regress_steps_acme_admin');
SELECT auth_keys.set_member('acme', 'ada', 'admin', db_role => 'regress_steps_acme_admin');

BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT key AS eph_key FROM auth_keys.create_key(reusable => true, ephemeral => true,
                                                description => 'ephemeral') \gset
SELECT key_id AS plain_id, key AS plain_key
  FROM auth_keys.create_key(reusable => true, description => 'no limit') \gset
COMMIT;
BEGIN;
SELECT auth_keys.act_as('globex', 'gail');
SELECT key AS globex_key FROM auth_keys.create_key(reusable => true, description => 'globex') \gset
COMMIT;

-- Ephemeral nodes: one idle for 45 minutes, one seen just now.  Three
-- nodes enrolled with the key without a use limit, whose uses are counted
-- in key_use_counts rather than written to the key's row.
SELECT node_id AS eph_idle_id FROM auth_keys.register_node(:'eph_key',
       ('nodekey:' || repeat('e1', 32))::auth_keys.nodekey, 'eph-idle') \gset
SELECT node_id AS eph_fresh_id FROM auth_keys.register_node(:'eph_key',
       ('nodekey:' || repeat('e2', 32))::auth_keys.nodekey, 'eph-fresh') \gset
SELECT count(*) AS enrolled FROM (VALUES ('a1'), ('a2'), ('a3')) AS v (k),
       LATERAL auth_keys.register_node(:'plain_key', ('nodekey:' || repeat(k, 32))::auth_keys.nodekey,
                                       'plain-' || k);
SELECT count(*) AS enrolled FROM auth_keys.register_node(:'globex_key',
       ('nodekey:' || repeat('b1', 32))::auth_keys.nodekey, 'globex-1');
UPDATE auth_keys.nodes SET last_seen_at = now() - interval '45 minutes'
 WHERE node_id = :eph_idle_id;

-- What the sweeps below change, in one view.
CREATE TEMPORARY VIEW sweep_effects AS
SELECT (SELECT uses FROM auth_keys.keys WHERE key_id = :'plain_id') AS key_uses,
       (SELECT coalesce(sum(uses), 0) FROM auth_keys.key_use_counts
         WHERE key_id = :'plain_id') AS uses_counted,
       (SELECT count(*) > 1 FROM pg_inherits
         WHERE inhparent = 'auth_keys.events'::regclass) AS weeks_made,
       (SELECT string_agg(hostname, ',' ORDER BY hostname) FROM auth_keys.nodes
         WHERE ephemeral) AS ephemeral_nodes,
       (SELECT count(*) FROM auth_keys.server_run) AS server_run_rows;

--
-- Refused: inside a transaction block or a function (it commits), with a
-- bad batch size (as sweep refuses them), in a read-only transaction, and
-- to a role without the operator tier.  None of them does anything.
--
BEGIN;
CALL auth_keys.sweep_in_steps();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
CREATE FUNCTION regress_sweep_in_function() RETURNS void LANGUAGE plpgsql
    AS $$BEGIN CALL auth_keys.sweep_in_steps(); END$$;
SELECT regress_sweep_in_function();
\echo :LAST_ERROR_SQLSTATE
DROP FUNCTION regress_sweep_in_function();
CALL auth_keys.sweep_in_steps(0);
\echo :LAST_ERROR_SQLSTATE
CALL auth_keys.sweep_in_steps(-1);
\echo :LAST_ERROR_SQLSTATE
CALL auth_keys.sweep_in_steps(100001);
\echo :LAST_ERROR_SQLSTATE
CALL auth_keys.sweep_in_steps(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.sweep(100001);
\echo :LAST_ERROR_SQLSTATE
SET default_transaction_read_only = on;
CALL auth_keys.sweep_in_steps();
\echo :LAST_ERROR_SQLSTATE
RESET default_transaction_read_only;
SET ROLE regress_steps_actor;
CALL auth_keys.sweep_in_steps();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT * FROM sweep_effects;
SELECT count(*) AS sweeps_logged FROM auth_keys.sweep_log;

--
-- Right after a start (or a crash, whose recovery empties the unlogged
-- table server_run), no ephemeral node is removed, by either sweep: the
-- idle node's heartbeats may have been lost while the server was down.
-- The first sweep writes the row, with the start it saw.
--
-- sweep(), in one transaction, also leaves the uses counted for keys
-- without a limit where they are (key_list adds them) and makes no
-- partition of events: either would hold locks that registrations wait
-- for until its caller commits.
--
SET ROLE regress_steps_operator;
SELECT * FROM auth_keys.sweep();
RESET ROLE;
SELECT * FROM sweep_effects;
SELECT since = (SELECT started_at FROM auth_keys.sweep_log) AS since_the_sweep,
       postmaster_start_time = pg_postmaster_start_time() AS this_start
  FROM auth_keys.server_run;
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT uses FROM auth_keys.key_list WHERE key_id = :'plain_id';
COMMIT;

-- sweep_in_steps adds the counted uses into keys.uses and makes the
-- partitions of the next two weeks (not this one, which registrations may
-- be writing into); server_run keeps the time of the first sweep, less
-- than a timeout ago, so the idle node stays.
SELECT since AS server_run_since FROM auth_keys.server_run \gset
SET ROLE regress_steps_operator;
CALL auth_keys.sweep_in_steps();
RESET ROLE;
SELECT * FROM sweep_effects;
SELECT since = :'server_run_since' AS since_kept FROM auth_keys.server_run;
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT uses FROM auth_keys.key_list WHERE key_id = :'plain_id';
COMMIT;

-- What each sweep recorded, and as whom.
SELECT swept_by, backend_pid = pg_backend_pid() AS this_session,
       keys_purged, nodes_removed, node_key_expiries, access_tokens_deleted,
       event_weeks_removed, events_deleted, finished_at >= started_at AS ordered
  FROM auth_keys.sweep_log ORDER BY sweep_id;

-- The weeks' partitions: named after their Monday (UTC), ranges of a week,
-- row-level security on and no privileges, so that only through events,
-- and its policy, does anyone read them.  Each of the next two weeks is
-- made, unless it begins within the hour (then the next sweep makes it);
-- the current week is not, and its events stay in the default partition.
CREATE TEMPORARY VIEW weeks_ahead AS
SELECT w, start,
       c.oid IS NOT NULL AS made,
       pg_get_expr(c.relpartbound, c.oid) =
           format('FOR VALUES FROM (%L) TO (%L)', start AT TIME ZONE 'UTC',
                  (start + interval '7 days') AT TIME ZONE 'UTC') AS a_week,
       c.relrowsecurity, c.relacl IS NULL AS no_privileges,
       pg_catalog.pg_get_userbyid(c.relowner) = current_user AS owned_by_extension_owner
  FROM generate_series(0, 2) AS w,
       LATERAL (SELECT date_trunc('week', now() AT TIME ZONE 'UTC') + w * interval '7 days') AS s (start)
  LEFT JOIN pg_class c
         ON c.relname = 'events_' || to_char(start, 'YYYYMMDD')
        AND c.relnamespace = 'auth_keys'::regnamespace;
SELECT bool_and(made AND a_week AND relrowsecurity AND no_privileges AND owned_by_extension_owner)
           FILTER (WHERE w > 0 AND start AT TIME ZONE 'UTC' >= now() + interval '1 hour') AS weeks_ahead_made,
       bool_and(NOT made) FILTER (WHERE w = 0) AS this_week_not_made,
       (SELECT count(*) FROM pg_inherits WHERE inhparent = 'auth_keys.events'::regclass) <= 3
           AS no_other_partition
  FROM weeks_ahead;
SELECT count(*) > 0 AS this_week_in_default,
       bool_and(tableoid = 'auth_keys.events_default'::regclass) AS all_there
  FROM auth_keys.events
 WHERE at >= date_trunc('week', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';

-- Once the server has run for a whole timeout (the row backdated), the
-- idle node goes, and the one seen just now stays.
UPDATE auth_keys.server_run SET since = now() - interval '1 day';
SET ROLE regress_steps_operator;
CALL auth_keys.sweep_in_steps();
RESET ROLE;
SELECT * FROM sweep_effects;
SELECT nodes_removed FROM auth_keys.sweep_log ORDER BY sweep_id DESC LIMIT 1;

-- A restart: the row names another start of the server, so the first
-- sweep after it starts the count again (the node idle now stays).
UPDATE auth_keys.nodes SET last_seen_at = now() - interval '45 minutes'
 WHERE node_id = :eph_fresh_id;
UPDATE auth_keys.server_run SET since = now() - interval '1 day',
                                postmaster_start_time = postmaster_start_time - interval '1 day';
CALL auth_keys.sweep_in_steps();
SELECT * FROM sweep_effects;
SELECT since > now() - interval '1 hour' AS since_now,
       postmaster_start_time = pg_postmaster_start_time() AS this_start
  FROM auth_keys.server_run;

--
-- Each step is a transaction of its own.  With batches of one, each purged
-- key, each expired OAuth access token deleted and each removed node is a
-- step: every event of the sweep has a time of its own ("at" is the start
-- of the transaction that wrote it, now(), which a subtransaction shares),
-- later than the sweep's start, the start of its first transaction.  The
-- same backlog swept by sweep() is one transaction, whose start every event
-- has.
--
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT secret AS client_secret
  FROM auth_keys.create_oauth_client(ARRAY['auth_keys:read']) \gset
COMMIT;
CREATE TEMPORARY TABLE backlog_keys AS
SELECT 'OldKey' || lpad(g::text, 6, '0') AS key_id, g FROM generate_series(1, 3) AS g;
CREATE TEMPORARY VIEW backlog AS
SELECT (SELECT count(*) FROM auth_keys.keys k JOIN backlog_keys b USING (key_id)) AS old_keys,
       (SELECT count(*) FROM auth_keys.oauth_tokens WHERE expires_at <= now()) AS old_tokens,
       (SELECT count(*) FROM auth_keys.nodes
         WHERE ephemeral AND last_seen_at < now() - interval '30 minutes') AS idle_nodes;
-- (history, loaded past the guard: keys that expired 200 days ago, tokens
-- that expired an hour ago, ephemeral nodes idle for 45 minutes)
PREPARE load_backlog AS
WITH keys AS (
    INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, created_at, expires_at,
                                secret_hash)
    SELECT b.key_id, :acme_id, 'olivia', now() - interval '290 days',
           now() - interval '200 days', decode(lpad(to_hex(b.g), 64, '0'), 'hex')
      FROM backlog_keys b),
tokens AS (
    UPDATE auth_keys.oauth_tokens
       SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 hour')
UPDATE auth_keys.nodes SET last_seen_at = now() - interval '45 minutes'
 WHERE ephemeral;
SELECT count(*) AS eph_enrolled FROM (VALUES ('e3'), ('e4')) AS v (k),
       LATERAL auth_keys.register_node(:'eph_key', ('nodekey:' || repeat(k, 32))::auth_keys.nodekey,
                                       'eph-' || k);
SELECT count(*) AS tokens FROM auth_keys.oauth_token(:'client_secret') AS a, auth_keys.oauth_token(:'client_secret') AS b;
SET session_replication_role = replica;
EXECUTE load_backlog;
RESET session_replication_role;
UPDATE auth_keys.server_run SET since = now() - interval '1 day';
SELECT * FROM backlog;
SELECT coalesce(max(event_id), 0) AS before_steps FROM auth_keys.events \gset
SELECT coalesce(max(sweep_id), 0) AS sweeps_before FROM auth_keys.sweep_log \gset
CALL auth_keys.sweep_in_steps(batch_size => 1);
SELECT * FROM backlog;
SELECT keys_purged, nodes_removed, access_tokens_deleted
  FROM auth_keys.sweep_log WHERE sweep_id > :sweeps_before;
SELECT e.action, count(*) AS events, count(DISTINCT e.at) AS transactions,
       bool_and(e.at > l.started_at) AS after_the_first,
       bool_and(e.at < l.finished_at) AS before_the_end
  FROM auth_keys.events e, auth_keys.sweep_log l
 WHERE e.event_id > :before_steps AND l.sweep_id > :sweeps_before
   AND e.action IN ('key.purged', 'node.deleted')
 GROUP BY e.action ORDER BY e.action;

SELECT count(*) AS eph_enrolled FROM (VALUES ('e5'), ('e6')) AS v (k),
       LATERAL auth_keys.register_node(:'eph_key', ('nodekey:' || repeat(k, 32))::auth_keys.nodekey,
                                       'eph-' || k);
SELECT count(*) AS tokens FROM auth_keys.oauth_token(:'client_secret') AS a, auth_keys.oauth_token(:'client_secret') AS b;
SET session_replication_role = replica;
EXECUTE load_backlog;
RESET session_replication_role;
SELECT * FROM backlog;
SELECT coalesce(max(event_id), 0) AS before_sweep FROM auth_keys.events \gset
SELECT coalesce(max(sweep_id), 0) AS sweeps_before FROM auth_keys.sweep_log \gset
SELECT * FROM auth_keys.sweep(batch_size => 1);
SELECT * FROM backlog;
SELECT keys_purged, nodes_removed, access_tokens_deleted
  FROM auth_keys.sweep_log WHERE sweep_id > :sweeps_before;
SELECT e.action, count(*) AS events, count(DISTINCT e.at) AS transactions,
       bool_and(e.at = l.started_at) AS at_the_start
  FROM auth_keys.events e, auth_keys.sweep_log l
 WHERE e.event_id > :before_sweep AND l.sweep_id > :sweeps_before
   AND e.action IN ('key.purged', 'node.deleted')
 GROUP BY e.action ORDER BY e.action;

--
-- auth_keys.event_retention: one year by default, in minutes (shown in the
-- largest unit that divides it), 0 keeps events forever; superuser only.
--
SHOW auth_keys.event_retention;
SET auth_keys.event_retention = '30d';
SHOW auth_keys.event_retention;
SET auth_keys.event_retention = '36h';
SHOW auth_keys.event_retention;
SET auth_keys.event_retention = 0;
SHOW auth_keys.event_retention;
SET auth_keys.event_retention = '1 year';
\echo :LAST_ERROR_SQLSTATE
SET auth_keys.event_retention = '-1';
\echo :LAST_ERROR_SQLSTATE
SET auth_keys.event_retention = 'forever';
\echo :LAST_ERROR_SQLSTATE
SHOW auth_keys.event_retention;
SET ROLE regress_steps_operator;
SET auth_keys.event_retention = '30d';
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
RESET auth_keys.event_retention;
SHOW auth_keys.event_retention;

--
-- Retention.  The weeks a sweep made long ago (here made by hand, as the
-- sweeps of 2020 would have): one with events, one empty; a week of three
-- weeks ago, within 30 days; a DBA's own partition, which the sweep does
-- not know; and events of two months ago in the default partition, which
-- no week's partition takes.
--
CREATE TABLE auth_keys.events_20200106 PARTITION OF auth_keys.events
    FOR VALUES FROM ('2020-01-06 00:00:00+00') TO ('2020-01-13 00:00:00+00');
CREATE TABLE auth_keys.events_20200113 PARTITION OF auth_keys.events
    FOR VALUES FROM ('2020-01-13 00:00:00+00') TO ('2020-01-20 00:00:00+00');
CREATE TABLE auth_keys.events_archive PARTITION OF auth_keys.events
    FOR VALUES FROM ('2019-01-01 00:00:00+00') TO ('2019-02-01 00:00:00+00');
SELECT 'auth_keys.events_' || to_char(date_trunc('week', now() AT TIME ZONE 'UTC')
                                      - interval '21 days', 'YYYYMMDD') AS recent_week \gset
DO $$
DECLARE
    monday timestamptz := date_trunc('week', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
BEGIN
    EXECUTE format('CREATE TABLE auth_keys.%I PARTITION OF auth_keys.events'
                   ' FOR VALUES FROM (%L) TO (%L)',
                   'events_' || to_char((monday - interval '21 days') AT TIME ZONE 'UTC', 'YYYYMMDD'),
                   monday - interval '21 days', monday - interval '14 days');
END
$$;
INSERT INTO auth_keys.events (at, tailnet_id, actor, action)
SELECT t, :acme_id, 'history', 'key.created'
  FROM (VALUES ('2020-01-07 10:00:00+00'::timestamptz), ('2020-01-08 10:00:00+00'),
               ('2020-01-12 23:59:59+00'), ('2019-01-15 12:00:00+00'),
               (now() - interval '20 days')) AS v (t)
UNION ALL
SELECT now() - interval '60 days' - g * interval '1 minute', :globex_id, 'history', 'key.created'
  FROM generate_series(1, 5) AS g;
CREATE TEMPORARY VIEW event_weeks AS
SELECT (SELECT string_agg(CASE WHEN c.relname::text = split_part(:'recent_week', '.', 2)
                               THEN 'three weeks ago' ELSE c.relname::text END, ','
                          ORDER BY c.relname)
          FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'auth_keys.events'::regclass
           AND (c.relname < 'events_2021' OR c.relname = split_part(:'recent_week', '.', 2)
                OR c.relname = 'events_default')) AS old_partitions,
       (SELECT count(*) FROM auth_keys.events WHERE actor = 'history') AS history,
       (SELECT count(*) FROM auth_keys.events_default WHERE actor = 'history') AS in_default;
SELECT * FROM event_weeks;

-- Kept forever with 0; and sweep(), in one transaction, deletes the
-- default partition's expired rows but removes no partition.
SELECT coalesce(max(event_id), 0) AS before_retention FROM auth_keys.events \gset
SET auth_keys.event_retention = 0;
CALL auth_keys.sweep_in_steps();
SELECT * FROM event_weeks;
SET auth_keys.event_retention = '30d';
SELECT * FROM auth_keys.sweep(batch_size => 2);
SELECT * FROM event_weeks;
SELECT event_weeks_removed, events_deleted FROM auth_keys.sweep_log
 ORDER BY sweep_id DESC LIMIT 1;

-- sweep_in_steps removes the weeks past 30 days: the one with events by a
-- TRUNCATE, recorded with an events.removed event, the empty one without;
-- then the tables.  The DBA's partition and the recent week stay.  (The
-- events.removed events before it are sweep()'s, one for each batch it
-- deleted from the default partition.)
CALL auth_keys.sweep_in_steps(batch_size => 2);
SELECT * FROM event_weeks;
SELECT event_weeks_removed, events_deleted FROM auth_keys.sweep_log
 ORDER BY sweep_id DESC LIMIT 1;
SELECT actor = 'role:' || current_user AS by_the_sweeper, tailnet_id, key_id, node_id,
       detail - 'before' AS detail,
       (detail->>'before')::timestamptz < now() - interval '30 days' + interval '1 minute'
           AS before_the_cutoff
  FROM auth_keys.events
 WHERE event_id > :before_retention AND action = 'events.removed'
 ORDER BY event_id;

-- sweep_in_steps deletes the default partition's old rows in batches too,
-- with an event for each.
INSERT INTO auth_keys.events (at, tailnet_id, actor, action)
SELECT now() - interval '60 days' - g * interval '1 minute', :globex_id, 'history', 'key.created'
  FROM generate_series(1, 5) AS g;
SELECT coalesce(max(event_id), 0) AS before_retention FROM auth_keys.events \gset
CALL auth_keys.sweep_in_steps(batch_size => 2);
SELECT * FROM event_weeks;
SELECT event_weeks_removed, events_deleted FROM auth_keys.sweep_log
 ORDER BY sweep_id DESC LIMIT 1;
SELECT detail->>'partition' AS partition, detail->>'events' AS events, detail->>'retention' AS retention,
       (detail->>'before')::timestamptz < now() - interval '30 days' + interval '1 minute'
           AS before_the_cutoff
  FROM auth_keys.events
 WHERE event_id > :before_retention AND action = 'events.removed'
 ORDER BY event_id;
RESET auth_keys.event_retention;
DROP TABLE auth_keys.events_archive;
DO $$
BEGIN
    EXECUTE format('DROP TABLE auth_keys.%I', 'events_' ||
                   to_char(date_trunc('week', now() AT TIME ZONE 'UTC') - interval '21 days',
                           'YYYYMMDD'));
END
$$;

--
-- Row-level security holds with the weeks' partitions: acme's admin, by
-- its own role, sees acme's events through event_list and no other
-- tailnet's, and may not read the partitions themselves.
--
-- an event of each tailnet in the week after next, which its partition
-- holds (a DBA's rows, dated ahead)
INSERT INTO auth_keys.events (at, tailnet_id, actor, action)
SELECT date_trunc('week', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '15 days',
       t.tailnet_id, 'role:dba', 'tailnet.configured'
  FROM auth_keys.tailnets t;
SELECT count(DISTINCT tableoid) = 1 AND bool_and(tableoid <> 'auth_keys.events_default'::regclass)
           AS in_a_week_partition
  FROM auth_keys.events WHERE actor = 'role:dba' AND at > now();
SELECT count(*) AS acme_events FROM auth_keys.events WHERE tailnet_id = :acme_id \gset
SELECT count(*) > 0 AS events_of_other_tailnets FROM auth_keys.events
 WHERE tailnet_id IS DISTINCT FROM :acme_id;
SET ROLE regress_steps_acme_admin;
SELECT string_agg(DISTINCT tailnet, ',') AS tailnets_seen, count(*) = :acme_events AS all_of_acme
  FROM auth_keys.event_list;
SELECT count(*) > 1 AS weeks_and_default, bool_or(has_table_privilege(c.oid, 'SELECT')) AS any_readable
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'auth_keys.events'::regclass;
SELECT count(*) FROM auth_keys.events;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM auth_keys.events_default;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

--
-- auth_keys.notify.  Off by default.  psql prints the notifications it
-- receives ("Asynchronous notification ... received from server process
-- with PID ..."), to the query output: that goes to a file here, read back
-- below, since the process id changes from run to run.  A registration with
-- notify off sends nothing; with notify on, each event of a committed
-- transaction is sent, of a rolled-back one nothing.
--
SHOW auth_keys.notify;
LISTEN auth_keys_events;
\o results/sweep_steps_notify.txt
SELECT node_id AS notify_off_id FROM auth_keys.register_node(:'plain_key',
       ('nodekey:' || repeat('c1', 32))::auth_keys.nodekey, 'notify-off') \gset
SET auth_keys.notify = on;
SELECT coalesce(max(event_id), 0) AS before_notify FROM auth_keys.events \gset
SELECT node_id AS notify_on_id FROM auth_keys.register_node(:'plain_key',
       ('nodekey:' || repeat('c2', 32))::auth_keys.nodekey, 'notify-on') \gset
BEGIN;
SELECT node_id AS rolled_back_id FROM auth_keys.register_node(:'plain_key',
       ('nodekey:' || repeat('c3', 32))::auth_keys.nodekey, 'rolled-back') \gset
ROLLBACK;
BEGIN;
SELECT auth_keys.act_as('globex', 'gail') \gset
SELECT key_id AS notify_key_id, key AS notify_key FROM auth_keys.create_key() \gset
COMMIT;
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia') \gset
SELECT auth_keys.delete_node(:notify_off_id) \gset
COMMIT;
\o
UNLISTEN auth_keys_events;
RESET auth_keys.notify;
CREATE TEMPORARY TABLE notify_lines (n serial, line text);
\copy notify_lines (line) FROM 'results/sweep_steps_notify.txt'
CREATE TEMPORARY VIEW notified AS
SELECT substring(line FROM '^Asynchronous notification "([^"]*)"') AS channel,
       substring(line FROM ' with payload "(.*)" received from ')::jsonb AS payload,
       substring(line FROM 'server process with PID ([0-9]+)')::int AS pid,
       n, line
  FROM notify_lines WHERE line LIKE 'Asynchronous notification %';
SELECT count(*) AS lines, count(*) FILTER (WHERE channel = 'auth_keys_events') AS on_channel,
       bool_and(pid = pg_backend_pid()) AS from_this_session
  FROM notified;
-- the payload is the event, field by field; no key and no hash of one
SELECT n.payload->>'action' AS action,
       (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(n.payload) AS k) AS fields,
       e.tailnet_id IS NOT DISTINCT FROM (n.payload->>'tailnet_id')::bigint AS tailnet_id,
       e.key_id IS NOT DISTINCT FROM n.payload->>'key_id' AS key_id,
       e.node_id IS NOT DISTINCT FROM (n.payload->>'node_id')::bigint AS node_id,
       e.action = n.payload->>'action' AS same_action,
       position(:'notify_key' IN n.line) = 0 AND position(:'plain_key' IN n.line) = 0
           AND position(split_part(:'plain_key', '-', 4) IN n.line) = 0 AS no_key
  FROM notified n
  LEFT JOIN auth_keys.events e ON e.event_id = (n.payload->>'event_id')::bigint
 ORDER BY n.n;
-- every event committed while notify was on was sent, once, in order
SELECT (SELECT array_agg(event_id ORDER BY event_id) FROM auth_keys.events
         WHERE event_id > :before_notify) =
       (SELECT array_agg((payload->>'event_id')::bigint ORDER BY n) FROM notified)
       AS each_event_once_in_order;
SELECT count(*) AS rolled_back_node FROM auth_keys.nodes WHERE hostname = 'rolled-back';

DROP VIEW sweep_effects, backlog, event_weeks, notified, weeks_ahead;
DROP EXTENSION auth_keys;
DROP SCHEMA auth_keys;
DROP ROLE regress_steps_operator;
DROP ROLE regress_steps_actor;
DROP ROLE regress_steps_acme_admin;
