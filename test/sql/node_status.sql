--
-- node_status and nodes_seen: what the node-facing backend needs to decide
-- whether to serve a node, and the heartbeats of many nodes in one call
--
CREATE EXTENSION auth_keys;
\set SHOW_CONTEXT never

SELECT auth_keys.create_tailnet('acme', device_approval => true,
                                node_key_expiry => '30 days') > 0 AS created;
SELECT auth_keys.set_member('acme', 'alice', 'admin');
SELECT auth_keys.set_tag_owners('acme', 'tag:server', '{autogroup:admin}');
BEGIN;
SELECT auth_keys.act_as('acme', 'alice');
SELECT key AS plain_key FROM auth_keys.create_key(reusable => true) \gset
SELECT key AS approved_key FROM auth_keys.create_key(reusable => true, preauthorized => true) \gset
SELECT key AS tagged_key FROM auth_keys.create_key(reusable => true, preauthorized => true,
                                                   ephemeral => true, tags => '{tag:server}') \gset
COMMIT;

CREATE ROLE regress_node_status_backend;
CREATE ROLE regress_node_status_actor;
SELECT auth_keys.grant_tier('node', 'regress_node_status_backend');
SELECT auth_keys.grant_tier('actor', 'regress_node_status_actor');

SELECT 'nodekey:' || repeat('a1', 32) AS waiting, 'nodekey:' || repeat('a2', 32) AS active,
       'nodekey:' || repeat('a3', 32) AS expired, 'nodekey:' || repeat('a4', 32) AS tagged,
       'nodekey:' || repeat('ff', 32) AS unknown \gset

SET SESSION AUTHORIZATION regress_node_status_backend;
SELECT hostname FROM (VALUES ('waiting')) AS h(hostname),
       auth_keys.register_node(:'plain_key', :'waiting', hostname);
SELECT authorized FROM auth_keys.register_node(:'approved_key', :'active', 'active');
SELECT authorized FROM auth_keys.register_node(:'approved_key', :'expired', 'expired');
SELECT authorized FROM auth_keys.register_node(:'tagged_key', :'tagged', 'tagged');
RESET SESSION AUTHORIZATION;
-- one node's key expired yesterday
UPDATE auth_keys.nodes SET node_key_expires_at = now() - interval '1 day'
 WHERE hostname = 'expired';

--
-- node_status: every status, and no row for an unknown node key
--
SET SESSION AUTHORIZATION regress_node_status_backend;
SELECT n.hostname, s.tailnet, s.status, s.authorized, s.ephemeral, s.key_expiry_disabled,
       s.node_key_expires_at IS NOT NULL AS expires, s.user_login, s.tags, s.lock_status,
       s.node_id > 0 AS has_id
  FROM (VALUES ('waiting', :'waiting'), ('active', :'active'), ('expired', :'expired'),
               ('tagged', :'tagged')) AS n(hostname, node_key),
       auth_keys.node_status(n.node_key::auth_keys.nodekey) AS s
 ORDER BY 1;
SELECT count(*) AS unknown_rows FROM auth_keys.node_status(:'unknown');
SELECT count(*) AS null_rows FROM auth_keys.node_status(NULL);
-- either case in
SELECT status FROM auth_keys.node_status(('nodekey:' || repeat('A2', 32))::auth_keys.nodekey);
-- a bad literal is the type's error
SELECT * FROM auth_keys.node_status('nodekey:12');
\echo :LAST_ERROR_SQLSTATE
-- it writes nothing, so it answers in a read-only transaction
BEGIN READ ONLY;
SELECT status FROM auth_keys.node_status(:'waiting');
COMMIT;

--
-- nodes_seen: one row per node key given, in the order given
--
RESET SESSION AUTHORIZATION;
UPDATE auth_keys.nodes SET last_seen_at = '2000-01-01';
SET SESSION AUTHORIZATION regress_node_status_backend;
SELECT * FROM auth_keys.nodes_seen(ARRAY[:'tagged', :'unknown', :'waiting', :'expired',
                                         :'active', :'tagged']::auth_keys.nodekey[]);
SELECT count(*) FROM auth_keys.nodes_seen('{}');
SELECT count(*) FROM auth_keys.nodes_seen(NULL);
RESET SESSION AUTHORIZATION;
SELECT hostname, last_seen_at > '2000-01-01' AS seen FROM auth_keys.nodes ORDER BY hostname;
SET SESSION AUTHORIZATION regress_node_status_backend;

-- bad arrays
SELECT * FROM auth_keys.nodes_seen(ARRAY[:'active', NULL]::auth_keys.nodekey[]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.nodes_seen(ARRAY[[:'active'], [:'tagged']]::auth_keys.nodekey[]);
\echo :LAST_ERROR_SQLSTATE
-- at most 10,000 node keys in one call
SELECT count(*) FROM auth_keys.nodes_seen(
    ARRAY(SELECT ('nodekey:' || lpad(to_hex(i), 64, '0'))::auth_keys.nodekey
            FROM generate_series(1, 10001) AS i));
\echo :LAST_ERROR_SQLSTATE
-- refused where nothing may be written
BEGIN READ ONLY;
SELECT * FROM auth_keys.nodes_seen(ARRAY[:'active']::auth_keys.nodekey[]);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
RESET SESSION AUTHORIZATION;

-- 1,000 node keys in one call: 997 unknown, three enrolled among them
SET SESSION AUTHORIZATION regress_node_status_backend;
SELECT status, count(*)
  FROM auth_keys.nodes_seen(
      ARRAY(SELECT ('nodekey:' || lpad(to_hex(i), 64, '0'))::auth_keys.nodekey
              FROM generate_series(1, 997) AS i)
      || ARRAY[:'active', :'expired', :'waiting']::auth_keys.nodekey[])
 GROUP BY status ORDER BY status;
-- and the order of the rows is the order given
SELECT bool_and(o.node_key OPERATOR(auth_keys.=) g.node_key) AS in_order, count(*)
  FROM auth_keys.nodes_seen(
      ARRAY(SELECT ('nodekey:' || lpad(to_hex(1001 - i), 64, '0'))::auth_keys.nodekey
              FROM generate_series(1, 1000) AS i)) WITH ORDINALITY AS o(node_key, status, n)
  JOIN (SELECT ('nodekey:' || lpad(to_hex(1001 - i), 64, '0'))::auth_keys.nodekey, i
          FROM generate_series(1, 1000) AS i) AS g(node_key, i) ON g.i = o.n;
RESET SESSION AUTHORIZATION;

-- node tier only
SET SESSION AUTHORIZATION regress_node_status_actor;
SELECT * FROM auth_keys.node_status(:'active');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.nodes_seen(ARRAY[:'active']::auth_keys.nodekey[]);
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;

--
-- Clean up
--
DROP EXTENSION auth_keys;
DROP SCHEMA auth_keys;
DROP ROLE regress_node_status_backend, regress_node_status_actor;
