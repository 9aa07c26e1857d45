--
-- index_use: every index of the tables that registrations write (keys,
-- key_use_counts, nodes, events) is scanned by a call of the extension
-- that needs it.  Each step calls one function, then reads from
-- pg_stat_user_indexes which of the extension's indexes its statements
-- scanned; an index no step names would be an entry that every insert
-- pays for and no query reads.  (What the constraints and triggers
-- enforce: key_guards.sql, name_rules.sql, nodes.sql.)
--
-- The tables are tiny, so the planner is told to prefer indexes, as it
-- does on tables of a real size.
--
CREATE EXTENSION auth_keys;
\set SHOW_CONTEXT never
SET enable_seqscan = off;

-- The scans counted so far, per index, taken before a step and compared
-- after it.  A session's counts reach the statistics when it goes idle,
-- at once when a flush was asked for: hence :flush before each reading.
CREATE TEMP TABLE scans_before (indexrelid oid PRIMARY KEY, idx_scan bigint);
\set flush 'DO $$ BEGIN PERFORM pg_stat_force_next_flush(); END $$'
\set before 'DO $$ BEGIN TRUNCATE scans_before; INSERT INTO scans_before SELECT indexrelid, idx_scan FROM pg_stat_user_indexes WHERE schemaname = ''auth_keys''; END $$'
\set scanned 'SELECT string_agg(regexp_replace(i.indexrelname, ''^events_[0-9]{8}_'', ''events_WEEK_''), '', '' ORDER BY i.indexrelname) AS scanned FROM pg_stat_user_indexes i JOIN scans_before b USING (indexrelid) WHERE i.idx_scan > b.idx_scan'

SELECT auth_keys.create_tailnet('acme') AS acme_id \gset
SELECT auth_keys.set_member('acme', 'olivia', 'owner');
SELECT auth_keys.set_member('acme', 'mark', 'member');
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia') \gset
SELECT key AS reusable_key, key_id AS reusable_id FROM auth_keys.create_key(reusable => true) \gset
SELECT key AS limited_key FROM auth_keys.create_key(reusable => true, max_uses => 5) \gset
SELECT key AS eph_key FROM auth_keys.create_key(reusable => true, ephemeral => true) \gset
COMMIT;
SELECT node_id AS eph_node FROM auth_keys.register_node(:'eph_key',
       ('nodekey:' || repeat('e1', 32))::auth_keys.nodekey, 'eph') \gset
-- the past, as a DBA would load it: an idle ephemeral node, an expired
-- node key, a key revoked long ago, an event older than its retention
UPDATE auth_keys.nodes SET last_seen_at = now() - interval '45 minutes',
                           node_key_expires_at = now() - interval '1 hour';
SET session_replication_role = replica;  -- history, loaded past the guard
INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, created_at, expires_at,
                            revoked_at, revoked_by, secret_hash)
VALUES ('Revoked100dA', :acme_id, 'olivia', now() - interval '120 days',
        now() - interval '40 days', now() - interval '100 days', 'olivia',
        decode(repeat('00', 32), 'hex'));
RESET session_replication_role;
INSERT INTO auth_keys.events (at, tailnet_id, actor, action)
VALUES (now() - interval '400 days', :acme_id, 'role:dba', 'key.created');
INSERT INTO auth_keys.server_run VALUES (now() - interval '1 day', pg_postmaster_start_time());

-- keys_pkey: a key is found by its key id
:flush;
:before;
SELECT status FROM auth_keys.validate_key(:'limited_key');
:flush;
:scanned;

-- nodes_node_key_key and key_use_counts_pkey: a registration with a key
-- without a limit finds the node key taken or free, and counts the use
:flush;
:before;
SELECT node_id AS a1_node, tailnet FROM auth_keys.register_node(:'reusable_key',
       ('nodekey:' || repeat('a1', 32))::auth_keys.nodekey, 'a1') \gset
\echo :tailnet
:flush;
:scanned;

-- nodes_node_key_key: a heartbeat
:flush;
:before;
SELECT auth_keys.node_seen(('nodekey:' || repeat('a1', 32))::auth_keys.nodekey);
:flush;
:scanned;

-- keys_tailnet_idx, nodes_tailnet_idx, events_default_tailnet_id_at_idx:
-- what a member lists of their tailnet
:flush;
:before;
BEGIN;
SELECT auth_keys.act_as('acme', 'mark') \gset
SELECT count(*) FROM auth_keys.key_list;
SELECT count(*) FROM auth_keys.node_list;
SELECT count(*) FROM auth_keys.event_list;
COMMIT;
:flush;
:scanned;

-- nodes_pkey: a node is found by its id
:flush;
:before;
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia') \gset
SELECT auth_keys.approve_node(:a1_node);
COMMIT;
:flush;
:scanned;

-- keys_tailnet_idx: removing a member revokes their keys
:flush;
:before;
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia') \gset
SELECT auth_keys.remove_member('acme', 'mark');
COMMIT;
:flush;
:scanned;

-- keys_invalid_at_idx, nodes_key_expiry_idx, nodes_ephemeral_idx,
-- events_default_at_idx: the sweep's searches, in one transaction
SET auth_keys.event_retention = '365d';
:flush;
:before;
SELECT * FROM auth_keys.sweep();
:flush;
:scanned;

-- keys_oauth_client_idx: revoking an OAuth client revokes its keys
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia') \gset
SELECT auth_keys.set_tag_owners('acme', 'tag:ci', '{autogroup:admin}');
SELECT client_id AS client_id FROM auth_keys.create_oauth_client('{auth_keys}', '{tag:ci}') \gset
COMMIT;
:flush;
:before;
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia') \gset
SELECT auth_keys.revoke_oauth_client(:'client_id', revoke_keys => true);
COMMIT;
:flush;
:scanned;

-- Every index of the tables that registrations write was scanned by a
-- step above (this database's indexes were made by this file's CREATE
-- EXTENSION, so their counts started at 0).  The control, an index that
-- nothing reads, is the one reported.
CREATE INDEX regress_unread_idx ON auth_keys.nodes (last_seen_at);
:flush;
SELECT c.relname AS "table", i.indexrelname AS never_scanned
  FROM pg_stat_user_indexes i JOIN pg_class c ON c.oid = i.relid
 WHERE i.schemaname = 'auth_keys'
   AND c.relname IN ('keys', 'key_use_counts', 'nodes', 'events_default')
   AND i.idx_scan = 0
 ORDER BY 1, 2;
SELECT count(*) AS indexes_checked
  FROM pg_stat_user_indexes i JOIN pg_class c ON c.oid = i.relid
 WHERE i.schemaname = 'auth_keys'
   AND c.relname IN ('keys', 'key_use_counts', 'nodes', 'events_default');
DROP INDEX auth_keys.regress_unread_idx;

DROP EXTENSION auth_keys;
DROP SCHEMA auth_keys;
