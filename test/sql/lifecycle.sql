--
-- lifecycle: the end of a tenant (delete_tailnet, and the record it
-- leaves), what operators see of tenants (tailnet_list), the last owner of
-- a tailnet, and a tag's owners
--
CREATE EXTENSION auth_keys;
\set SHOW_CONTEXT never

CREATE ROLE regress_lifecycle_operator;
CREATE ROLE regress_lifecycle_actor;
CREATE ROLE regress_lifecycle_node;
SELECT auth_keys.grant_tier('operator', 'regress_lifecycle_operator');
SELECT auth_keys.grant_tier('actor', 'regress_lifecycle_actor');
SELECT auth_keys.grant_tier('node', 'regress_lifecycle_node');

SET SESSION AUTHORIZATION regress_lifecycle_operator;
SELECT auth_keys.create_tailnet('acme', device_approval => true) > 0 AS created;
SELECT auth_keys.create_tailnet('globex') > 0 AS created;
SELECT auth_keys.set_member('acme', 'olga', 'owner');
SELECT auth_keys.set_member('acme', 'alice', 'admin');
SELECT auth_keys.set_member('globex', 'gail', 'owner',
                            db_role => 'regress_lifecycle_actor');
SELECT auth_keys.set_tag_owners('acme', 'tag:server', '{autogroup:admin}');
RESET SESSION AUTHORIZATION;
BEGIN;
SELECT auth_keys.act_as('acme', 'alice');
SELECT key AS acme_key FROM auth_keys.create_key(reusable => true) \gset
COMMIT;
SET SESSION AUTHORIZATION regress_lifecycle_node;
SELECT authorized FROM auth_keys.register_node(:'acme_key', ('nodekey:' || repeat('c1', 32))::auth_keys.nodekey, 'one');
SELECT authorized FROM auth_keys.register_node(:'acme_key', ('nodekey:' || repeat('c2', 32))::auth_keys.nodekey, 'two');
RESET SESSION AUTHORIZATION;

--
-- tailnet_list: every tailnet, without acting in one (operators only)
--
SET SESSION AUTHORIZATION regress_lifecycle_operator;
SELECT name, device_approval, node_key_expiry, members, owners, tags, valid_keys, nodes,
       nodes_awaiting_approval
  FROM auth_keys.tailnet_list ORDER BY name;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_lifecycle_actor;
SELECT * FROM auth_keys.tailnet_list;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.tailnet_list_rows();
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;

--
-- The last owner of a tailnet can be neither removed nor demoted.
--
SET SESSION AUTHORIZATION regress_lifecycle_operator;
SELECT auth_keys.remove_member('acme', 'olga');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_member('acme', 'olga', 'admin');
\echo :LAST_ERROR_SQLSTATE
-- set_member of an owner as owner changes nothing and is fine
SELECT auth_keys.set_member('acme', 'olga', 'owner');
-- with a second owner, the first may go; then the second is the last
SELECT auth_keys.set_member('acme', 'alice', 'owner');
SELECT auth_keys.set_member('acme', 'olga', 'member');
SELECT auth_keys.remove_member('acme', 'olga');
SELECT auth_keys.remove_member('acme', 'alice');
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
SELECT t.name, m.login, m.role FROM auth_keys.members m JOIN auth_keys.tailnets t USING (tailnet_id)
 ORDER BY 1, 2;
-- a tailnet that never had an owner may have its members removed
SELECT auth_keys.create_tailnet('initech') > 0 AS created;
SELECT auth_keys.set_member('initech', 'ian', 'admin');
SELECT auth_keys.remove_member('initech', 'ian');

--
-- A tag needs at least one owner.
--
SELECT auth_keys.set_tag_owners('acme', 'tag:empty', '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_tag_owners('acme', 'tag:server', '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT tag, owners FROM auth_keys.tag_owners ORDER BY tag;

--
-- delete_tailnet removes the tenant and all that is in it, and leaves a
-- record.
--
SELECT auth_keys.delete_tailnet('nowhere');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.delete_tailnet(NULL);
\echo :LAST_ERROR_SQLSTATE
SET SESSION AUTHORIZATION regress_lifecycle_actor;
SELECT auth_keys.delete_tailnet('acme');
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
SELECT tailnet_id AS acme_id FROM auth_keys.tailnets WHERE name = 'acme' \gset
SET SESSION AUTHORIZATION regress_lifecycle_operator;
SELECT auth_keys.delete_tailnet('acme');
SELECT deleted_by, tailnet_id = :acme_id AS same_id, name, created_at < deleted_at AS ordered,
       members, tags, keys, nodes, events
  FROM auth_keys.tailnet_deletions;
SELECT name FROM auth_keys.tailnet_list ORDER BY name;
RESET SESSION AUTHORIZATION;
-- nothing of acme is left but the record
SELECT (SELECT count(*) FROM auth_keys.members WHERE tailnet_id = :acme_id) AS members,
       (SELECT count(*) FROM auth_keys.tag_owners WHERE tailnet_id = :acme_id) AS tags,
       (SELECT count(*) FROM auth_keys.keys WHERE tailnet_id = :acme_id) AS keys,
       (SELECT count(*) FROM auth_keys.nodes WHERE tailnet_id = :acme_id) AS nodes,
       (SELECT count(*) FROM auth_keys.events WHERE tailnet_id = :acme_id) AS events;
SELECT actor, action, tailnet_id, detail - 'created_at' AS detail
  FROM auth_keys.events WHERE action = 'tailnet.deleted';
-- its key is invalid now, its nodes are unknown, and its name is free
SET SESSION AUTHORIZATION regress_lifecycle_node;
SELECT status FROM auth_keys.validate_key(:'acme_key');
SELECT status FROM auth_keys.nodes_seen(ARRAY['nodekey:' || repeat('c1', 32)]::auth_keys.nodekey[]);
RESET SESSION AUTHORIZATION;
SELECT auth_keys.create_tailnet('acme') > :acme_id AS new_id;
-- the record stays when the new acme goes too
SELECT auth_keys.delete_tailnet('acme');
SELECT name, tailnet_id = :acme_id AS first_acme FROM auth_keys.tailnet_deletions ORDER BY event_id;
-- the other tenant is untouched
SET SESSION AUTHORIZATION regress_lifecycle_actor;
SELECT auth_keys.actor_login() AS globex_actor;
RESET SESSION AUTHORIZATION;
-- the record is not for members
SET SESSION AUTHORIZATION regress_lifecycle_actor;
SELECT count(*) FROM auth_keys.tailnet_deletions;
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;

--
-- Clean up
--
DROP EXTENSION auth_keys;
DROP SCHEMA auth_keys;
DROP ROLE regress_lifecycle_operator, regress_lifecycle_actor, regress_lifecycle_node;
