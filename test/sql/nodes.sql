--
-- nodes: heartbeats, and what members do to enrolled nodes
--
CREATE EXTENSION auth_keys;
\set SHOW_CONTEXT never

--
-- Set-up
--
-- acme has device approval on, so that approve_node has work to do, and a
-- node key expiry of 30 days.
SELECT auth_keys.create_tailnet('acme', device_approval => true,
                                node_key_expiry => '30 days') > 0 AS created;
SELECT auth_keys.create_tailnet('globex') > 0 AS created;
SELECT auth_keys.set_member('acme', login, role)
  FROM (VALUES ('olivia', 'owner'), ('adam', 'admin'), ('ivan', 'it_admin'),
               ('nina', 'network_admin'), ('bill', 'billing_admin'),
               ('audrey', 'auditor'), ('mike', 'member'),
               ('ken', 'admin')) AS m(login, role);
SELECT auth_keys.set_member('globex', 'gail', 'owner');
-- everyone may apply tag:matrix, so that the matrix below shows roles only
SELECT auth_keys.set_tag_owners('acme', 'tag:matrix',
                                '{olivia,adam,ivan,nina,bill,audrey,mike}');
SELECT auth_keys.set_tag_owners('acme', 'tag:server', '{autogroup:admin}');
SELECT auth_keys.set_tag_owners('acme', 'tag:web', '{nina,autogroup:admin}');

CREATE ROLE regress_nodes_backend;
CREATE ROLE regress_nodes_mike;
CREATE ROLE regress_nodes_olivia;
SELECT auth_keys.grant_tier('node', 'regress_nodes_backend');
SELECT auth_keys.grant_tier('actor', 'regress_nodes_mike');
SELECT auth_keys.grant_tier('actor', 'regress_nodes_olivia');
SELECT auth_keys.set_member('acme', 'mike', 'member', db_role => 'regress_nodes_mike');
SELECT auth_keys.set_member('acme', 'olivia', 'owner', db_role => 'regress_nodes_olivia');

BEGIN;
SELECT auth_keys.act_as('acme', 'ken');
SELECT key AS ken_key FROM auth_keys.create_key(reusable => true) \gset
SELECT key AS ken_tagged FROM auth_keys.create_key(reusable => true, tags => '{tag:server}') \gset
COMMIT;
BEGIN;
SELECT auth_keys.act_as('acme', 'nina');
SELECT key AS nina_key FROM auth_keys.create_key() \gset
COMMIT;
BEGIN;
SELECT auth_keys.act_as('globex', 'gail');
SELECT key AS gail_key FROM auth_keys.create_key() \gset
COMMIT;

SELECT 'nodekey:' || repeat('a1', 32) AS nk_ken, 'nodekey:' || repeat('a2', 32) AS nk_nina,
       'nodekey:' || repeat('a3', 32) AS nk_mike, 'nodekey:' || repeat('a4', 32) AS nk_server,
       'nodekey:' || repeat('a5', 32) AS nk_gx, 'nodekey:' || repeat('a6', 32) AS nk_unknown
\gset

SET SESSION AUTHORIZATION regress_nodes_backend;
SELECT node_id AS ken_node FROM auth_keys.register_node(:'ken_key', :'nk_ken', 'kens-box') \gset
SELECT node_id AS nina_node
  FROM auth_keys.register_node(:'nina_key', :'nk_nina', 'ninas-box') \gset
SELECT node_id AS mike_node
  FROM auth_keys.register_node(:'ken_key', :'nk_mike', 'mikes-box') \gset
SELECT node_id AS server_node
  FROM auth_keys.register_node(:'ken_tagged', :'nk_server', 'server1') \gset
SELECT node_id AS gx_node FROM auth_keys.register_node(:'gail_key', :'nk_gx', 'gx-box') \gset
RESET SESSION AUTHORIZATION;
-- Members cannot generate keys, so a member's own node is handed over by a DBA.
UPDATE auth_keys.nodes SET user_login = 'mike' WHERE node_id = :mike_node;

SELECT n.hostname, t.name AS tailnet, n.user_login, n.tags, n.authorized,
       n.key_expiry_disabled, n.node_key_expires_at IS NULL AS no_expiry
  FROM auth_keys.nodes n JOIN auth_keys.tailnets t USING (tailnet_id)
 ORDER BY n.hostname;

--
-- Who may do what: each role tries each action on kens-box, a node of
-- another user; a member and a network admin act on their own nodes.  Each
-- attempt runs in a subtransaction that is rolled back afterwards, so the
-- node is the same for every attempt.  "ok" means the change was seen.
--
CREATE FUNCTION regress_nodes_try(login text, action text, node bigint) RETURNS text
    LANGUAGE plpgsql
AS $$
DECLARE
    outcome text;
BEGIN
    BEGIN
        PERFORM auth_keys.act_as('acme', login);
        IF action = 'delete' THEN
            PERFORM auth_keys.delete_node(node);
            SELECT CASE WHEN count(*) = 0 THEN 'ok' ELSE 'no change' END INTO outcome
              FROM auth_keys.nodes WHERE node_id = node;
        ELSIF action = 'approve' THEN
            PERFORM auth_keys.approve_node(node);
            SELECT CASE WHEN authorized THEN 'ok' ELSE 'no change' END INTO outcome
              FROM auth_keys.nodes WHERE node_id = node;
        ELSIF action = 'key_expiry' THEN
            PERFORM auth_keys.set_node_key_expiry(node, disabled => true);
            SELECT CASE WHEN key_expiry_disabled THEN 'ok' ELSE 'no change' END INTO outcome
              FROM auth_keys.nodes WHERE node_id = node;
        ELSIF action = 'tags' THEN
            PERFORM auth_keys.set_node_tags(node, '{tag:matrix}');
            SELECT CASE WHEN tags = '{tag:matrix}' THEN 'ok' ELSE 'no change' END INTO outcome
              FROM auth_keys.nodes WHERE node_id = node;
        END IF;
        -- undo the change
        RAISE EXCEPTION 'undo' USING ERRCODE = 'ZZ000';
    EXCEPTION
        WHEN SQLSTATE 'ZZ000' THEN
            NULL;
        WHEN OTHERS THEN
            outcome := SQLSTATE;
    END;
    RETURN outcome;
END;
$$;

SELECT who, regress_nodes_try(login, 'delete', node) AS delete_node,
       regress_nodes_try(login, 'approve', node) AS approve_node,
       regress_nodes_try(login, 'key_expiry', node) AS set_node_key_expiry,
       regress_nodes_try(login, 'tags', node) AS set_node_tags
  FROM (VALUES (1, 'owner', 'olivia', :ken_node),
               (2, 'admin', 'adam', :ken_node),
               (3, 'it_admin', 'ivan', :ken_node),
               (4, 'network_admin', 'nina', :ken_node),
               (5, 'billing_admin', 'bill', :ken_node),
               (6, 'auditor', 'audrey', :ken_node),
               (7, 'member', 'mike', :ken_node),
               (8, 'member, own node', 'mike', :mike_node),
               (9, 'network_admin, own node', 'nina', :nina_node),
               (10, 'owner, node of globex', 'olivia', :gx_node),
               (11, 'owner, unknown node', 'olivia', 0),
               (12, 'owner, NULL node', 'olivia', NULL)) AS a(ord, who, login, node)
 ORDER BY ord;

-- The attempts were undone: the nodes are as before, and no event was kept.
SELECT hostname, user_login, tags, authorized, key_expiry_disabled
  FROM auth_keys.nodes ORDER BY hostname;
SELECT count(*) AS node_events FROM auth_keys.events WHERE action LIKE 'node.%';

-- The messages of a refusal and of a node in another tailnet: a node the
-- actor may not see (another tailnet's, another member's for a member who
-- sees only their own) answers exactly as a node id never used, 42704.
BEGIN;
SELECT auth_keys.act_as('acme', 'audrey');
SELECT auth_keys.approve_node(:ken_node);
ROLLBACK;
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT auth_keys.delete_node(:gx_node);
ROLLBACK;
\echo :LAST_ERROR_SQLSTATE
-- Without an actor, nothing can be done to a node.
SELECT auth_keys.delete_node(:ken_node);
\echo :LAST_ERROR_SQLSTATE

--
-- node_seen: the heartbeat
--
UPDATE auth_keys.nodes SET last_seen_at = '2000-01-01 00:00:00+00' WHERE node_id = :ken_node;
SET SESSION AUTHORIZATION regress_nodes_backend;
SELECT auth_keys.node_seen(:'nk_ken') AS seen;
-- an unknown node key
SELECT auth_keys.node_seen(:'nk_unknown') AS seen;
-- STRICT: NULL in, NULL out
SELECT auth_keys.node_seen(NULL) IS NULL AS null_result;
RESET SESSION AUTHORIZATION;
SELECT hostname, last_seen_at > '2000-01-01 00:00:00+00' AS moved,
       last_seen_at <= now() AS not_future
  FROM auth_keys.nodes WHERE node_id = :ken_node;
-- it is for the node-facing tier only
SET SESSION AUTHORIZATION regress_nodes_mike;
SELECT auth_keys.node_seen(:'nk_ken');
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;

--
-- approve_node
--
BEGIN;
SELECT auth_keys.act_as('acme', 'ivan');
SELECT hostname, authorized, status FROM auth_keys.node_list WHERE node_id = :ken_node;
SELECT auth_keys.approve_node(:ken_node);
SELECT hostname, authorized, status FROM auth_keys.node_list WHERE node_id = :ken_node;
-- approving again changes nothing and records nothing
SELECT auth_keys.approve_node(:ken_node);
COMMIT;
SELECT actor, action FROM auth_keys.events WHERE node_id = :ken_node AND action LIKE 'node.%';

--
-- set_node_key_expiry
--
-- Mike disables and enables again the key expiry of his own node; enabled
-- again, the node key expires after the tailnet's node key expiry, from now.
BEGIN;
SELECT auth_keys.act_as('acme', 'mike');
SELECT auth_keys.set_node_key_expiry(:mike_node, disabled => true);
SELECT key_expiry_disabled, node_key_expires_at IS NULL AS no_expiry
  FROM auth_keys.node_list WHERE node_id = :mike_node;
-- disabled twice: no change, no event
SELECT auth_keys.set_node_key_expiry(:mike_node, disabled => true);
COMMIT;
BEGIN;
SELECT auth_keys.act_as('acme', 'mike');
SELECT auth_keys.set_node_key_expiry(:mike_node, disabled => false);
SELECT key_expiry_disabled, node_key_expires_at - now() AS expires_in
  FROM auth_keys.node_list WHERE node_id = :mike_node;
COMMIT;
-- disabled must be given
BEGIN;
SELECT auth_keys.act_as('acme', 'mike');
SELECT auth_keys.set_node_key_expiry(:mike_node, disabled => NULL);
ROLLBACK;
\echo :LAST_ERROR_SQLSTATE
SELECT actor, action FROM auth_keys.events WHERE node_id = :mike_node ORDER BY event_id;

--
-- set_node_tags
--
SELECT node_key_expires_at AS ken_expires FROM auth_keys.nodes WHERE node_id = :ken_node \gset
-- A network admin tags a user's node: it takes the identity of its tags and
-- keeps its key expiry as it was.
BEGIN;
SELECT auth_keys.act_as('acme', 'nina');
SELECT auth_keys.set_node_tags(:ken_node, '{tag:web}');
COMMIT;
SELECT hostname, user_login, tags, key_expiry_disabled,
       node_key_expires_at = :'ken_expires' AS same_expiry
  FROM auth_keys.nodes WHERE node_id = :ken_node;
-- A tagged node (key expiry disabled) gets another tag; its key expiry
-- stays disabled.
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT auth_keys.set_node_tags(:server_node, '{tag:web}');
COMMIT;
SELECT hostname, user_login, tags, key_expiry_disabled, node_key_expires_at IS NULL AS no_expiry
  FROM auth_keys.nodes WHERE node_id = :server_node;
-- An undefined tag, a malformed tag, a tag the actor does not own, and no
-- tags at all on a tagged node are refused.
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT auth_keys.set_node_tags(:server_node, '{tag:nope}');
ROLLBACK;
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT auth_keys.set_node_tags(:server_node, '{server}');
ROLLBACK;
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SELECT auth_keys.act_as('acme', 'nina');
SELECT auth_keys.set_node_tags(:server_node, '{tag:server}');
ROLLBACK;
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT auth_keys.set_node_tags(:server_node, '{}');
ROLLBACK;
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT auth_keys.set_node_tags(:server_node, NULL);
ROLLBACK;
\echo :LAST_ERROR_SQLSTATE
-- no tags on an untagged node is no change
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT auth_keys.set_node_tags(:mike_node, '{}');
COMMIT;
SELECT hostname, user_login, tags FROM auth_keys.nodes
 WHERE node_id IN (:server_node, :mike_node) ORDER BY hostname;
SELECT actor, action, detail FROM auth_keys.events
 WHERE action = 'node.tagged' ORDER BY event_id;

--
-- node_list status
--
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT auth_keys.approve_node(:nina_node);
COMMIT;
-- a DBA may move a node key expiry directly
UPDATE auth_keys.nodes SET node_key_expires_at = now() - interval '1 day'
 WHERE node_id = :nina_node;
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT hostname, authorized, key_expiry_disabled, status FROM auth_keys.node_list
 ORDER BY hostname;
COMMIT;

--
-- Who sees which nodes in node_list: owners, admins, IT and network admins
-- and auditors see every node of their tailnet, other members their own.
--
CREATE FUNCTION regress_nodes_visible(tailnet text, login text) RETURNS text
    LANGUAGE plpgsql
AS $$
DECLARE
    seen text;
BEGIN
    PERFORM auth_keys.act_as(tailnet, login);
    SELECT coalesce(string_agg(hostname, ', ' ORDER BY hostname), '(none)') INTO seen
      FROM auth_keys.node_list;
    RETURN seen;
END;
$$;
-- each call in its own transaction: act_as lasts until the end of one
SELECT regress_nodes_visible('acme', 'olivia') AS owner;
SELECT regress_nodes_visible('acme', 'adam') AS admin;
SELECT regress_nodes_visible('acme', 'ivan') AS it_admin;
SELECT regress_nodes_visible('acme', 'nina') AS network_admin;
SELECT regress_nodes_visible('acme', 'bill') AS billing_admin;
SELECT regress_nodes_visible('acme', 'audrey') AS auditor;
SELECT regress_nodes_visible('acme', 'mike') AS member;
SELECT regress_nodes_visible('globex', 'gail') AS globex_owner;
-- Roles mapped to members read the view, as the actor: not the table.
SET SESSION AUTHORIZATION regress_nodes_mike;
SELECT hostname, status FROM auth_keys.node_list ORDER BY hostname;
SELECT hostname, user_login FROM auth_keys.nodes ORDER BY hostname;
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_nodes_olivia;
SELECT hostname, user_login FROM auth_keys.node_list ORDER BY hostname;
RESET SESSION AUTHORIZATION;

--
-- delete_node
--
-- Mike, through his mapped role, deletes his own node: it is gone, and it
-- is no longer seen.
SET SESSION AUTHORIZATION regress_nodes_mike;
SELECT auth_keys.delete_node(:mike_node);
SELECT count(*) AS mikes_nodes FROM auth_keys.node_list;
-- and he may not delete another's
SELECT auth_keys.delete_node(:server_node);
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT hostname FROM auth_keys.node_list ORDER BY hostname;
COMMIT;
SET SESSION AUTHORIZATION regress_nodes_backend;
SELECT auth_keys.node_seen(:'nk_mike') AS seen;
RESET SESSION AUTHORIZATION;
-- deleting it again: it no longer exists
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT auth_keys.delete_node(:mike_node);
ROLLBACK;
\echo :LAST_ERROR_SQLSTATE

--
-- The audit trail of node actions
--
SELECT e.actor, e.action, m.hostname, e.key_id IS NULL AS no_key, e.detail
  FROM auth_keys.events e
  JOIN (VALUES (:ken_node, 'kens-box'), (:nina_node, 'ninas-box'),
               (:mike_node, 'mikes-box'), (:server_node, 'server1'),
               (:gx_node, 'gx-box')) AS m(node_id, hostname) USING (node_id)
 WHERE e.action LIKE 'node.%'
 ORDER BY e.event_id;

--
-- Several tags at once: sorted, without duplicates
--
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT auth_keys.set_node_tags(:server_node, '{tag:web,tag:server,tag:web}');
COMMIT;
SELECT hostname, user_login, tags, key_expiry_disabled
  FROM auth_keys.nodes WHERE node_id = :server_node;
SELECT actor, detail FROM auth_keys.events
 WHERE action = 'node.tagged' AND node_id = :server_node ORDER BY event_id;

--
-- Clean up
--
DROP FUNCTION regress_nodes_try(text, text, bigint);
DROP FUNCTION regress_nodes_visible(text, text);
DROP EXTENSION auth_keys;
-- the schema holds the USAGE grants of grant_tier
DROP SCHEMA auth_keys;
DROP ROLE regress_nodes_backend;
DROP ROLE regress_nodes_mike;
DROP ROLE regress_nodes_olivia;
