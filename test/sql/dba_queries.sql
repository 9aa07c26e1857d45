--
-- dba_queries: a DBA's queries on the tables by node key.  The nodekey
-- type's operators live in schema auth_keys: with it off the search path a
-- comparison needs OPERATOR(auth_keys.=) (42883 otherwise); with it on,
-- plain = works.  ORDER BY needs neither (it takes the default operator
-- class).
--
CREATE EXTENSION auth_keys;
\set SHOW_CONTEXT never
SELECT auth_keys.create_tailnet('acme') > 0 AS created;
SELECT auth_keys.set_member('acme', 'alice', 'admin');
BEGIN;
SELECT auth_keys.act_as('acme', 'alice');
SELECT key FROM auth_keys.create_key(reusable => true) \gset
COMMIT;
SELECT 'nodekey:' || repeat('d1', 32) AS nk1, 'nodekey:' || repeat('d2', 32) AS nk2 \gset
SELECT node_id > 0 AS enrolled FROM auth_keys.register_node(:'key', :'nk1', 'db-1');
SELECT node_id > 0 AS enrolled FROM auth_keys.register_node(:'key', :'nk2', 'db-2');

SHOW search_path;
-- without auth_keys on the search path
SELECT hostname FROM auth_keys.nodes WHERE node_key = :'nk1';
\echo :LAST_ERROR_SQLSTATE
SELECT hostname FROM auth_keys.nodes WHERE node_key OPERATOR(auth_keys.=) :'nk1';
SELECT hostname FROM auth_keys.nodes WHERE node_key IN (:'nk1', :'nk2');
\echo :LAST_ERROR_SQLSTATE
SELECT hostname FROM auth_keys.nodes
 WHERE node_key OPERATOR(auth_keys.=) ANY (ARRAY[:'nk1', :'nk2']::auth_keys.nodekey[])
 ORDER BY node_key DESC;
SELECT a.hostname, b.hostname FROM auth_keys.nodes a
  JOIN auth_keys.nodes b ON a.node_key OPERATOR(auth_keys.=) b.node_key ORDER BY 1;
-- with auth_keys on the search path
SET search_path = public, auth_keys;
SELECT hostname FROM auth_keys.nodes WHERE node_key = :'nk1';
SELECT hostname FROM auth_keys.nodes WHERE node_key IN (:'nk1', :'nk2') ORDER BY node_key;
SELECT a.hostname, b.hostname FROM auth_keys.nodes a
  JOIN auth_keys.nodes b ON a.node_key = b.node_key ORDER BY 1;
RESET search_path;

DROP EXTENSION auth_keys;
DROP SCHEMA auth_keys;
