--
-- version_1_0: a database still on version 1.0 keeps working with this
-- library until it is updated.  CREATE EXTENSION ... VERSION '1.0' binds
-- every C symbol of the 1.0 script (it would fail on a missing one); each
-- is then called here with the arguments the 1.0 script declares.  (The
-- update itself, with data: test/t/005_upgrade.pl.)
--
CREATE EXTENSION auth_keys VERSION '1.0';
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on

SELECT extversion FROM pg_extension WHERE extname = 'auth_keys';

-- the helpers of constraints, policies and views
SELECT auth_keys.tag_is_valid('tag:web') AS tag, auth_keys.tags_are_valid('{tag:a,tag:b}') AS tags,
       auth_keys.key_status(NULL, NULL, now() + interval '1 day') AS valid_status,
       auth_keys.key_uses_left(true, 3, 1) AS uses_left,
       auth_keys.node_status(false, NULL) AS node_status,
       auth_keys.invalid_key_retention() AS retention;

-- the nodekey type: text and binary forms, comparisons, hashing
SELECT 'nodekey:' || repeat('AB', 32) AS text_in,
       ('nodekey:' || repeat('AB', 32))::auth_keys.nodekey AS out,
       auth_keys.nodekey_send(('nodekey:' || repeat('01', 32))::auth_keys.nodekey) AS send;
SELECT a OPERATOR(auth_keys.=) b AS eq, a OPERATOR(auth_keys.<>) b AS ne,
       a OPERATOR(auth_keys.<) b AS lt, a OPERATOR(auth_keys.<=) b AS le,
       a OPERATOR(auth_keys.>) b AS gt, a OPERATOR(auth_keys.>=) b AS ge,
       auth_keys.nodekey_cmp(a, b) AS cmp,
       auth_keys.nodekey_hash(a) = auth_keys.nodekey_hash(a) AS hash,
       auth_keys.nodekey_hash_extended(a, 7) = auth_keys.nodekey_hash_extended(a, 7) AS hash_extended
  FROM (SELECT ('nodekey:' || repeat('01', 32))::auth_keys.nodekey AS a,
               ('nodekey:' || repeat('02', 32))::auth_keys.nodekey AS b) AS k;

-- the operator tier
SELECT auth_keys.create_tailnet('acme', device_approval => true) IS NOT NULL AS created;
SELECT auth_keys.set_member('acme', 'olivia', 'owner');
SELECT auth_keys.set_member('acme', 'mallory', 'admin');
SELECT auth_keys.set_tag_owners('acme', 'tag:web', '{autogroup:admin}');
SELECT auth_keys.configure_tailnet('acme', node_key_expiry => '30 days');
SELECT auth_keys.remove_member('acme', 'mallory');

-- the actor tier, and the views through the actor accessors
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
CREATE TEMP TABLE made AS
    SELECT 'one-off' AS kind, * FROM auth_keys.create_key()
    UNION ALL
    SELECT 'tagged', * FROM auth_keys.create_key(reusable => true, tags => '{tag:web}',
                                                 description => 'web', max_uses => 5);
SELECT kind, key_id IS NOT NULL AS made FROM made ORDER BY kind;
SELECT description, status, uses_left FROM auth_keys.key_list ORDER BY description;
COMMIT;

-- the node tier
SELECT v.status, v.uses_left FROM made, auth_keys.validate_key(made.key) AS v ORDER BY made.kind;
SELECT r.user_login, r.tags, r.authorized, r.reauthenticated
  FROM made, auth_keys.register_node(made.key, ('nodekey:' || repeat(CASE made.kind
            WHEN 'one-off' THEN '0a' ELSE '0b' END, 32))::auth_keys.nodekey, 'host-' || made.kind) AS r
 ORDER BY made.kind;
SELECT auth_keys.node_seen(('nodekey:' || repeat('0a', 32))::auth_keys.nodekey) AS seen;
SELECT * FROM auth_keys.register_node((SELECT key FROM made WHERE kind = 'one-off'),
                                      ('nodekey:' || repeat('0c', 32))::auth_keys.nodekey, 'late');
\echo :LAST_ERROR_SQLSTATE

-- node administration
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT auth_keys.approve_node(node_id) FROM auth_keys.nodes WHERE hostname = 'host-one-off';
SELECT auth_keys.set_node_key_expiry(node_id, true) FROM auth_keys.nodes WHERE hostname = 'host-one-off';
SELECT auth_keys.set_node_tags(node_id, '{tag:web}') FROM auth_keys.nodes WHERE hostname = 'host-one-off';
SELECT hostname, status, tags, key_expiry_disabled FROM auth_keys.node_list ORDER BY hostname;
SELECT auth_keys.delete_node(node_id) FROM auth_keys.nodes WHERE hostname = 'host-tagged';
SELECT auth_keys.revoke_key(key_id) FROM made WHERE kind = 'tagged';
SELECT key_id IS NOT NULL AS listed, status FROM auth_keys.recent_invalid_keys ORDER BY status;
COMMIT;

-- the guard trigger on direct UPDATEs
UPDATE auth_keys.keys SET uses = 0;
\echo :LAST_ERROR_SQLSTATE
UPDATE auth_keys.keys SET description = 'renamed' WHERE description = 'web';

-- maintenance: the sweep; scheduling, which refuses a NULL schedule
-- before it looks for pg_cron, and answers 55000 without a usable pg_cron
SELECT * FROM auth_keys.sweep();
SELECT auth_keys.schedule_sweep(NULL);
\echo :LAST_ERROR_SQLSTATE
DO $$
BEGIN
    PERFORM auth_keys.unschedule_sweep();
EXCEPTION WHEN object_not_in_prerequisite_state THEN
    RAISE NOTICE 'unschedule_sweep: 55000';
END;
$$;

-- the grant functions
CREATE ROLE regress_version_node NOLOGIN;
SELECT auth_keys.grant_tier('node', 'regress_version_node');
SELECT has_function_privilege('regress_version_node', 'auth_keys.register_node(text, auth_keys.nodekey, text)', 'EXECUTE') AS granted;
SELECT auth_keys.revoke_tier('node', 'regress_version_node');
DROP ROLE regress_version_node;

-- and then it updates
ALTER EXTENSION auth_keys UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'auth_keys';
SELECT count(*) AS keys_kept FROM auth_keys.keys;

DROP EXTENSION auth_keys;
DROP SCHEMA auth_keys;
