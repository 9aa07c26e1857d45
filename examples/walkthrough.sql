-- examples/walkthrough.sql
--
-- A tour of auth_keys, run by examples/walkthrough.sh on a throwaway
-- cluster.  Read it top to bottom: each step says what it shows.

\set ON_ERROR_STOP 1
\set SHOW_CONTEXT never
\pset footer off

\echo
\echo '1. Install the extension (pg_cron is preloaded on this cluster, for the sweeps).'
CREATE EXTENSION auth_keys CASCADE;

\echo
\echo '2. As the platform operator: create a tenant ("tailnet"), its people and a tag.'
SELECT auth_keys.create_tailnet('example.com', device_approval => true) AS tailnet_id;
\o /dev/null
SELECT auth_keys.set_member('example.com', 'alice@example.com', 'admin');
SELECT auth_keys.set_member('example.com', 'bob@example.com', 'member');
SELECT auth_keys.set_tag_owners('example.com', 'tag:server', ARRAY['autogroup:admin']);
\o

\echo
\echo '3. Alice (an admin) generates a one-off key and a pre-approved, tagged, reusable one.'
\echo '   act_as() makes her the actor until the end of the transaction.'
\echo '   The full key is shown here, once; the database keeps only its SHA-256.'
BEGIN;
SELECT auth_keys.act_as('example.com', 'alice@example.com') \g /dev/null
SELECT key_id AS one_off_id, key AS one_off_key FROM auth_keys.create_key(description => 'laptop') \gset
SELECT key_id AS server_id, key AS server_key
  FROM auth_keys.create_key(reusable => true, preauthorized => true, tags => ARRAY['tag:server'],
                            expiry => '30 days', description => 'web servers') \gset
COMMIT;
\echo one-off key: :one_off_key
\echo server key:  :server_key

\echo
\echo '4. Bob is a plain member: generating a key is refused (SQLSTATE 42501).'
\set ON_ERROR_STOP 0
BEGIN;
SELECT auth_keys.act_as('example.com', 'bob@example.com') \g /dev/null
SELECT * FROM auth_keys.create_key();
ROLLBACK;
\set ON_ERROR_STOP 1

\echo
\echo '5. The node-facing backend checks a key without spending it: validate_key.'
SELECT key_id, tailnet, status, reusable, tags, uses_left FROM auth_keys.validate_key(:'one_off_key');
\echo '   A mistyped key is just "invalid", and nothing else is told about it:'
SELECT key_id, status FROM auth_keys.validate_key(:'one_off_key' || 'x');

\echo
\echo '6. A laptop enrols with the one-off key.  Device approval is on and the key is not'
\echo '   pre-approved, so the node waits for approval.'
SELECT node_id, user_login, tags, authorized, key_expiry_disabled, reauthenticated
  FROM auth_keys.register_node(:'one_off_key',
        ('nodekey:' || repeat('a1', 32))::auth_keys.nodekey, 'laptop');

\echo
\echo '7. Another machine tries the same one-off key: refused, the key was already used.'
\set ON_ERROR_STOP 0
SELECT * FROM auth_keys.register_node(:'one_off_key',
        ('nodekey:' || repeat('0f', 32))::auth_keys.nodekey, 'intruder');
\set ON_ERROR_STOP 1

\echo
\echo '8. Two servers enrol with the tagged key: they take the identity of tag:server,'
\echo '   are pre-approved, and their node key expiry is disabled.'
SELECT node_id, user_login, tags, authorized, key_expiry_disabled
  FROM auth_keys.register_node(:'server_key',
        ('nodekey:' || repeat('b1', 32))::auth_keys.nodekey, 'web-1');
SELECT node_id, user_login, tags, authorized, key_expiry_disabled
  FROM auth_keys.register_node(:'server_key',
        ('nodekey:' || repeat('b2', 32))::auth_keys.nodekey, 'web-2');

\echo
\echo '9. Alice approves the laptop, revokes the server key, and lists keys and nodes.'
\echo '   Revoking a key leaves the nodes it enrolled authorized.'
BEGIN;
SELECT auth_keys.act_as('example.com', 'alice@example.com') \g /dev/null
SELECT auth_keys.approve_node(node_id) FROM auth_keys.node_list WHERE hostname = 'laptop' \g /dev/null
SELECT auth_keys.revoke_key(:'server_id') \g /dev/null
SELECT key_id, created_by, description, reusable, tags, uses, status FROM auth_keys.key_list ORDER BY created_at, description;
SELECT hostname, user_login, tags, authorized, status FROM auth_keys.node_list ORDER BY hostname;
SELECT key_id, status, revoked_by FROM auth_keys.recent_invalid_keys;
COMMIT;

\echo
\echo '10. The audit trail: who did what, and never a key.'
SELECT event_id, actor, action, key_id, node_id FROM auth_keys.events ORDER BY event_id;

\echo
\echo 'Done.  The cluster is thrown away now.'
