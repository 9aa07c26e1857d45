--
-- read_only: writing functions refuse a read-only transaction by name
-- (a hot standby gives the same SQLSTATE; the standby TAP test covers it),
-- while validate_key and the lists keep answering.
--
CREATE EXTENSION auth_keys;
\set SHOW_CONTEXT never

SELECT auth_keys.create_tailnet('acme') > 0 AS created;
SELECT auth_keys.set_member('acme', 'olivia', 'owner');
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT key_id, key FROM auth_keys.create_key(reusable => true) \gset
COMMIT;

BEGIN READ ONLY;
SELECT status, uses_left FROM auth_keys.validate_key(:'key');
SELECT auth_keys.act_as('acme', 'olivia');
SELECT key_id = :'key_id' AS listed, status FROM auth_keys.key_list;
SELECT * FROM auth_keys.register_node(:'key', ('nodekey:' || repeat('ab', 32))::auth_keys.nodekey, 'web-1');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

BEGIN READ ONLY;
SELECT auth_keys.node_seen(('nodekey:' || repeat('ab', 32))::auth_keys.nodekey);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

BEGIN READ ONLY;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT * FROM auth_keys.create_key();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

BEGIN READ ONLY;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT auth_keys.revoke_key(:'key_id');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

BEGIN READ ONLY;
SELECT auth_keys.create_tailnet('globex');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- nothing was spent, revoked or enrolled
SELECT uses, revoked_at IS NULL AS not_revoked FROM auth_keys.keys;
SELECT count(*) AS nodes FROM auth_keys.nodes;

DROP EXTENSION auth_keys;
DROP SCHEMA auth_keys;
