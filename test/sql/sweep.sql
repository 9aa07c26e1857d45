--
-- sweep: purge keys past retention, record node key expiries, remove idle
-- ephemeral nodes.  (Locks and concurrency: test/specs/sweep_*.spec;
-- scheduling, and a job really run by pg_cron: test/t/004_sweep_cron.pl.)
--
CREATE EXTENSION auth_keys;
\set SHOW_CONTEXT never

SELECT auth_keys.create_tailnet('acme') AS acme_id \gset
SELECT auth_keys.create_tailnet('globex') AS globex_id \gset
SELECT auth_keys.set_member('acme', 'olivia', 'owner');
SELECT auth_keys.set_member('globex', 'gail', 'owner');

-- Keys made the usual way: valid, revoked just now, and ephemeral ones.
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT key_id AS valid_id FROM auth_keys.create_key(description => 'valid') \gset
SELECT key_id AS fresh_revoked_id FROM auth_keys.create_key(description => 'revoked now') \gset
SELECT auth_keys.revoke_key(:'fresh_revoked_id');
SELECT key AS eph_key FROM auth_keys.create_key(reusable => true, ephemeral => true,
                                                description => 'ephemeral') \gset
SELECT key AS plain_key FROM auth_keys.create_key(reusable => true, description => 'plain') \gset
COMMIT;

-- Keys of the past, as a DBA would load them: created long ago, so that
-- they became invalid long ago.  Revocation and use are set the way the
-- keys_guard trigger allows (once).
SET session_replication_role = replica;  -- history, loaded past the guard
INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, description, reusable,
                            max_uses, uses, used_up_at, created_at, expires_at, secret_hash)
VALUES ('Revoked100dA', :acme_id, 'olivia', 'revoked 100 days ago', false, NULL, 0, NULL,
        now() - interval '120 days', now() - interval '40 days', decode(repeat('00', 32), 'hex')),
       ('Expired110dA', :acme_id, 'olivia', 'expired 110 days ago', false, NULL, 0, NULL,
        now() - interval '190 days', now() - interval '110 days', decode(repeat('01', 32), 'hex')),
       ('Expired40dGx', :globex_id, 'gail', 'expired 40 days ago', false, NULL, 0, NULL,
        now() - interval '50 days', now() - interval '40 days', decode(repeat('02', 32), 'hex')),
       ('UsedUp95dGlx', :globex_id, 'gail', 'used up 95 days ago', true, 2, 2,
        now() - interval '95 days',
        now() - interval '100 days', now() - interval '20 days', decode(repeat('03', 32), 'hex')),
       ('Revoked20dAc', :acme_id, 'olivia', 'revoked 20 days ago', true, NULL, 0, NULL,
        now() - interval '30 days', now() + interval '50 days', decode(repeat('04', 32), 'hex'));
RESET session_replication_role;
UPDATE auth_keys.keys SET revoked_at = now() - interval '100 days', revoked_by = 'olivia'
 WHERE key_id = 'Revoked100dA';
UPDATE auth_keys.keys SET revoked_at = now() - interval '20 days', revoked_by = 'olivia'
 WHERE key_id = 'Revoked20dAc';

-- Nodes: ephemeral and not, seen at various times ago.
SELECT node_id AS eph_idle_id FROM auth_keys.register_node(:'eph_key',
       ('nodekey:' || repeat('e1', 32))::auth_keys.nodekey, 'eph-idle') \gset
SELECT node_id AS eph_recent_id FROM auth_keys.register_node(:'eph_key',
       ('nodekey:' || repeat('e2', 32))::auth_keys.nodekey, 'eph-recent') \gset
SELECT node_id AS eph_fresh_id FROM auth_keys.register_node(:'eph_key',
       ('nodekey:' || repeat('e3', 32))::auth_keys.nodekey, 'eph-fresh') \gset
SELECT node_id AS plain_idle_id FROM auth_keys.register_node(:'plain_key',
       ('nodekey:' || repeat('a1', 32))::auth_keys.nodekey, 'plain-idle') \gset
SELECT node_id AS plain_expiring_id FROM auth_keys.register_node(:'plain_key',
       ('nodekey:' || repeat('a2', 32))::auth_keys.nodekey, 'plain-expiring') \gset
UPDATE auth_keys.nodes SET last_seen_at = now() - interval '45 minutes'
 WHERE node_id IN (:eph_idle_id, :plain_idle_id);
UPDATE auth_keys.nodes SET last_seen_at = now() - interval '10 minutes'
 WHERE node_id = :eph_recent_id;
-- two node keys expired already: one three hours ago, one an hour ago
UPDATE auth_keys.nodes SET node_key_expires_at = now() - interval '3 hours'
 WHERE node_id = :plain_idle_id;
UPDATE auth_keys.nodes SET node_key_expires_at = now() - interval '1 hour'
 WHERE node_id = :plain_expiring_id;

--
-- Bad arguments, privileges and read-only transactions lose nothing.
--
SELECT * FROM auth_keys.sweep(0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.sweep(-5);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.sweep(100001);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.sweep(NULL);
\echo :LAST_ERROR_SQLSTATE
BEGIN READ ONLY;
SELECT * FROM auth_keys.sweep();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

CREATE ROLE regress_sweep_actor;
CREATE ROLE regress_sweep_operator;
SELECT auth_keys.grant_tier('actor', 'regress_sweep_actor');
SELECT auth_keys.grant_tier('operator', 'regress_sweep_operator');
SET ROLE regress_sweep_actor;
SELECT * FROM auth_keys.sweep();
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.schedule_sweep();
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.unschedule_sweep();
\echo :LAST_ERROR_SQLSTATE
-- the settings belong to superusers
SET auth_keys.invalid_key_retention = '1 day';
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

SELECT count(*) AS keys, (SELECT count(*) FROM auth_keys.nodes) AS nodes
  FROM auth_keys.keys;

--
-- The default sweep, run by an operator: retention 90 days, timeout 30
-- minutes; every node key that expired so far is recorded (no sweep ran
-- before).  The server has run for a day without a restart or a crash (the
-- row that the first sweep after a start writes, backdated): idle
-- ephemeral nodes may go.  (test/sql/sweep_steps.sql shows a sweep right
-- after a start or a crash, which removes none.)
--
INSERT INTO auth_keys.server_run VALUES (now() - interval '1 day', pg_postmaster_start_time());
SET ROLE regress_sweep_operator;
SELECT * FROM auth_keys.sweep();
RESET ROLE;

SELECT description FROM auth_keys.keys ORDER BY description;
SELECT hostname, ephemeral FROM auth_keys.nodes ORDER BY hostname;

-- One event per purged key, per removed node and per expired node key.
SELECT e.action, t.name AS tailnet, e.actor, e.key_id, n.hostname,
       e.detail - 'last_seen_at' - 'expired_at' AS detail,
       e.detail ? 'last_seen_at' AS has_last_seen, e.detail ? 'expired_at' AS has_expired
  FROM auth_keys.events e
  JOIN auth_keys.tailnets t USING (tailnet_id)
  LEFT JOIN (VALUES (:eph_idle_id, 'eph-idle'), (:plain_idle_id, 'plain-idle'),
                    (:plain_expiring_id, 'plain-expiring')) AS n (node_id, hostname)
         USING (node_id)
 WHERE e.action IN ('key.purged', 'node.deleted', 'node.key_expired')
 ORDER BY e.action, e.key_id, n.hostname;

-- The events carry the times in UTC.
SELECT (detail ->> 'expired_at')::timestamptz = node_key_expires_at AS expiry_recorded
  FROM auth_keys.events JOIN auth_keys.nodes USING (node_id)
 WHERE action = 'node.key_expired'
 ORDER BY node_id;
SELECT detail ->> 'last_seen_at' LIKE '%+00:00' AS utc
  FROM auth_keys.events WHERE action = 'node.deleted';

-- A second sweep right away finds nothing more to do, and records no
-- expiry twice.
SELECT * FROM auth_keys.sweep();

-- A node key that expires after the point the last sweep reached (its
-- start) is recorded by the next sweep: here plain-idle's new node key,
-- which expired a microsecond after that point.
UPDATE auth_keys.nodes
   SET node_key_expires_at = (SELECT node_key_expiries_through + interval '1 microsecond'
                                FROM auth_keys.sweep_state)
 WHERE node_id = :plain_idle_id;
SELECT * FROM auth_keys.sweep();
SELECT count(*) AS plain_idle_expiry_events FROM auth_keys.events
 WHERE action = 'node.key_expired' AND node_id = :plain_idle_id;

--
-- Retention and timeout set for the session, by a superuser.
--
SET auth_keys.invalid_key_retention = '30 days';
SET auth_keys.ephemeral_inactivity_timeout = '5 minutes';
-- batches of one, resting 1 ms after each full batch
SHOW auth_keys.sweep_batch_delay;
SET auth_keys.sweep_batch_delay = -1;
-- the rest can be cancelled, and a cancelled sweep purges nothing
SET auth_keys.sweep_batch_delay = '10s';
SET statement_timeout = '200ms';
SELECT * FROM auth_keys.sweep(batch_size => 1);
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
SELECT count(*) AS expired_40_days_ago FROM auth_keys.keys WHERE key_id = 'Expired40dGx';
SET auth_keys.sweep_batch_delay = '1ms';
SELECT * FROM auth_keys.sweep(batch_size => 1);
RESET auth_keys.sweep_batch_delay;
SELECT description FROM auth_keys.keys ORDER BY description;
SELECT hostname FROM auth_keys.nodes ORDER BY hostname;
SELECT detail FROM auth_keys.events
 WHERE action = 'key.purged' AND key_id = 'Expired40dGx';

SET auth_keys.invalid_key_retention = '1 day';
SELECT * FROM auth_keys.sweep();
SELECT description FROM auth_keys.keys ORDER BY description;

-- A retention longer than all of time purges nothing.
UPDATE auth_keys.keys SET revoked_at = now() - interval '5 days', revoked_by = 'olivia'
 WHERE key_id = :'valid_id';
SET auth_keys.invalid_key_retention = '170000000 years';
SELECT * FROM auth_keys.sweep();
RESET auth_keys.invalid_key_retention;
RESET auth_keys.ephemeral_inactivity_timeout;

-- A role granted SET on the setting may choose it for its own session.
GRANT SET ON PARAMETER auth_keys.invalid_key_retention TO regress_sweep_operator;
SET ROLE regress_sweep_operator;
SET auth_keys.invalid_key_retention = '1 day';
SELECT keys_purged FROM auth_keys.sweep();
RESET auth_keys.invalid_key_retention;
RESET ROLE;
REVOKE SET ON PARAMETER auth_keys.invalid_key_retention FROM regress_sweep_operator;

--
-- Scheduling needs pg_cron, which this server may or may not have: the
-- job itself, and each way pg_cron can be missing, are tested in
-- test/t/004_sweep_cron.pl.  A NULL schedule is refused before pg_cron is
-- looked for.
--
SELECT auth_keys.schedule_sweep(NULL);
\echo :LAST_ERROR_SQLSTATE

DROP EXTENSION auth_keys;
DROP SCHEMA auth_keys;
DROP ROLE regress_sweep_actor;
DROP ROLE regress_sweep_operator;
