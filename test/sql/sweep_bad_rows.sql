--
-- A sweep that one row cannot stop: a row that cannot be removed (another
-- table's foreign key points at it, a trigger refuses) is skipped with a
-- WARNING and a sweep.skipped event, and the sweep removes the others; a
-- row that 1.0's sweep could not describe (last_seen_at '-infinity', a
-- DBA's edit) is removed like any other.
--
CREATE EXTENSION auth_keys;
\set SHOW_CONTEXT never
-- the server has run for a day without a restart or a crash: the sweep
-- removes idle ephemeral nodes (test/sql/sweep_steps.sql shows it wait)
INSERT INTO auth_keys.server_run VALUES (now() - interval '1 day', pg_postmaster_start_time());

SELECT auth_keys.create_tailnet('acme') AS acme_id \gset
SELECT auth_keys.set_member('acme', 'olivia', 'owner');
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT key AS eph_key FROM auth_keys.create_key(reusable => true, ephemeral => true) \gset
COMMIT;

-- six ephemeral nodes, idle for an hour; one of them since the beginning
-- of time
SELECT count(*) AS enrolled
  FROM generate_series(1, 6) AS g,
       LATERAL auth_keys.register_node(:'eph_key',
               ('nodekey:' || lpad(to_hex(g), 64, '0'))::auth_keys.nodekey, 'eph-' || g) AS r;
UPDATE auth_keys.nodes SET last_seen_at = now() - interval '1 hour';
UPDATE auth_keys.nodes SET last_seen_at = '-infinity' WHERE hostname = 'eph-1';
SELECT node_id AS held_node FROM auth_keys.nodes WHERE hostname = 'eph-2' \gset

-- four keys that expired 200 days ago, loaded as history
SET session_replication_role = replica;
INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, reusable, uses,
                            created_at, expires_at, secret_hash)
SELECT 'OldKey' || lpad(g::text, 6, '0'), :acme_id, 'olivia', false, 0,
       now() - interval '290 days', now() - interval '200 days',
       decode(lpad(to_hex(g), 64, '0'), 'hex')
  FROM generate_series(1, 4) AS g;
RESET session_replication_role;

-- a DBA's tables that still point at a node and at a key
CREATE TABLE regress_inventory (node_id bigint REFERENCES auth_keys.nodes);
INSERT INTO regress_inventory VALUES (:held_node);
CREATE TABLE regress_key_notes (key_id text REFERENCES auth_keys.keys);
INSERT INTO regress_key_notes VALUES ('OldKey000002');

-- In batches of two: the batches with a held row are removed row by row.
SELECT * FROM auth_keys.sweep(batch_size => 2);

-- what stays is what is held
SELECT key_id FROM auth_keys.keys WHERE key_id LIKE 'OldKey%';
SELECT hostname FROM auth_keys.nodes ORDER BY hostname;

-- the events: each skipped row, why; the node seen at -infinity, removed
SELECT action, key_id, node_id = :held_node AS held_node,
       detail->>'sqlstate' AS sqlstate, detail->>'error' AS error
  FROM auth_keys.events WHERE action = 'sweep.skipped' ORDER BY event_id;
SELECT detail->>'last_seen_at' AS last_seen_at FROM auth_keys.events
 WHERE action = 'node.deleted' AND detail->>'hostname' = 'eph-1';
SELECT count(*) AS key_purged_events FROM auth_keys.events WHERE action = 'key.purged';

-- The next sweep meets them again, and says so again; once the DBA lets go,
-- they go.
SELECT * FROM auth_keys.sweep();
DROP TABLE regress_inventory, regress_key_notes;
SELECT * FROM auth_keys.sweep();
SELECT count(*) AS keys_left FROM auth_keys.keys WHERE key_id LIKE 'OldKey%';
SELECT count(*) AS nodes_left FROM auth_keys.nodes;

--
-- Something that refuses every removal stops that phase after 100 rows,
-- with a WARNING; the sweep goes on with the next phase.
--
SET session_replication_role = replica;
INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, reusable, uses,
                            created_at, expires_at, secret_hash)
SELECT 'KeptKey' || lpad(g::text, 5, '0'), :acme_id, 'olivia', false, 0,
       now() - interval '290 days', now() - interval '200 days',
       decode(lpad(to_hex(g + 1000), 64, '0'), 'hex')
  FROM generate_series(1, 150) AS g;
RESET session_replication_role;
CREATE FUNCTION regress_keep_keys() RETURNS trigger LANGUAGE plpgsql
    AS $$BEGIN RAISE EXCEPTION 'keys are kept here'; END$$;
CREATE TRIGGER zz_keep_keys BEFORE DELETE ON auth_keys.keys
    FOR EACH ROW EXECUTE FUNCTION regress_keep_keys();
SELECT count(*) AS enrolled
  FROM generate_series(11, 13) AS g,
       LATERAL auth_keys.register_node(:'eph_key',
               ('nodekey:' || lpad(to_hex(g), 64, '0'))::auth_keys.nodekey, 'eph-' || g) AS r;
UPDATE auth_keys.nodes SET last_seen_at = now() - interval '1 hour';

-- (its hundred and one WARNINGs are left out here; test/t/004_sweep_cron.pl
-- reads them in the server log of a sweep that pg_cron runs)
SET client_min_messages = error;
CREATE TEMP TABLE regress_swept AS SELECT * FROM auth_keys.sweep(batch_size => 40);
RESET client_min_messages;
SELECT * FROM regress_swept;
SELECT count(*) AS skipped_events FROM auth_keys.events
 WHERE action = 'sweep.skipped' AND key_id LIKE 'KeptKey%';
SELECT count(*) AS kept_keys FROM auth_keys.keys WHERE key_id LIKE 'KeptKey%';
SELECT count(*) AS nodes_left FROM auth_keys.nodes;

DROP EXTENSION auth_keys;
DROP FUNCTION regress_keep_keys();
