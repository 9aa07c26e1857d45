--
-- privileges: the three tiers of callers (operator, actor, node-facing),
-- granted with grant_tier and taken back with revoke_tier
--
CREATE EXTENSION auth_keys;
\set SHOW_CONTEXT never

CREATE ROLE regress_privileges_none NOLOGIN;
CREATE ROLE regress_privileges_operator NOLOGIN;
CREATE ROLE regress_privileges_owner NOLOGIN;
CREATE ROLE regress_privileges_member NOLOGIN;
CREATE ROLE regress_privileges_unmapped NOLOGIN;
CREATE ROLE regress_privileges_node NOLOGIN;
CREATE ROLE regress_privileges_both NOLOGIN;

--
-- grant_tier checks its arguments
--
SELECT auth_keys.grant_tier('superuser', 'regress_privileges_none');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.grant_tier(NULL, 'regress_privileges_none');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.grant_tier('Actor', 'regress_privileges_none');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.grant_tier('actor', 'regress_privileges_nobody');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.revoke_tier('everything', 'regress_privileges_none');
\echo :LAST_ERROR_SQLSTATE

-- Grant the tiers: owner, member and unmapped are actors (mapped to an
-- owner, to a plain member, and to nobody); both is operator and actor.
SELECT auth_keys.grant_tier('operator', 'regress_privileges_operator');
SELECT auth_keys.grant_tier('actor', 'regress_privileges_owner');
SELECT auth_keys.grant_tier('actor', 'regress_privileges_member');
SELECT auth_keys.grant_tier('actor', 'regress_privileges_unmapped');
SELECT auth_keys.grant_tier('node', 'regress_privileges_node');
SELECT auth_keys.grant_tier('operator', 'regress_privileges_both');
SELECT auth_keys.grant_tier('actor', 'regress_privileges_both');
-- granting twice changes nothing
SELECT auth_keys.grant_tier('node', 'regress_privileges_node');

-- What each tier gives, by function and relation.
CREATE FUNCTION pg_temp.tier_matrix()
RETURNS TABLE (role text, create_tailnet boolean, set_member boolean, act_as boolean,
               configure boolean, create_key boolean, revoke_key boolean,
               delete_node boolean, validate_key boolean, register_node boolean,
               grant_tier boolean, tables boolean, key_list boolean, secret_hash boolean)
LANGUAGE sql AS $$
SELECT pg_catalog.substr(r.rolname, 20),
       has_function_privilege(r.oid, 'auth_keys.create_tailnet(text, boolean, interval)',
                              'EXECUTE'),
       has_function_privilege(r.oid, 'auth_keys.set_member(text, text, text, name)', 'EXECUTE'),
       has_function_privilege(r.oid, 'auth_keys.act_as(text, text)', 'EXECUTE'),
       has_function_privilege(r.oid, 'auth_keys.configure_tailnet(text, boolean, interval)',
                              'EXECUTE'),
       has_function_privilege(r.oid, 'auth_keys.create_key(boolean, boolean, boolean, text[], '
                              'interval, text, integer)', 'EXECUTE'),
       has_function_privilege(r.oid, 'auth_keys.revoke_key(text)', 'EXECUTE'),
       has_function_privilege(r.oid, 'auth_keys.delete_node(bigint)', 'EXECUTE'),
       has_function_privilege(r.oid, 'auth_keys.validate_key(text)', 'EXECUTE'),
       has_function_privilege(r.oid, 'auth_keys.register_node(text, auth_keys.nodekey, text, bytea)',
                              'EXECUTE'),
       has_function_privilege(r.oid, 'auth_keys.grant_tier(text, regrole, text[])', 'EXECUTE'),
       has_table_privilege(r.oid, 'auth_keys.tailnets', 'SELECT')
           AND has_table_privilege(r.oid, 'auth_keys.members', 'SELECT')
           AND has_table_privilege(r.oid, 'auth_keys.nodes', 'SELECT')
           AND has_table_privilege(r.oid, 'auth_keys.events', 'SELECT')
           AND has_column_privilege(r.oid, 'auth_keys.keys', 'key_id', 'SELECT'),
       has_table_privilege(r.oid, 'auth_keys.key_list', 'SELECT'),
       has_column_privilege(r.oid, 'auth_keys.keys', 'secret_hash', 'SELECT')
  FROM pg_roles r
 WHERE r.rolname LIKE 'regress\_privileges\_%'
 ORDER BY r.oid
$$;
SELECT * FROM pg_temp.tier_matrix();

-- no role but superusers may read the secret's hash (no rows)
SELECT rolname FROM pg_roles
 WHERE NOT rolsuper AND rolname NOT LIKE 'pg\_%'
   AND has_column_privilege(oid, 'auth_keys.keys', 'secret_hash', 'SELECT');

-- and no view shows it (no rows)
SELECT attrelid::regclass, attname FROM pg_attribute
 WHERE attrelid IN ('auth_keys.key_list'::regclass, 'auth_keys.recent_invalid_keys'::regclass,
                    'auth_keys.node_list'::regclass)
   AND attname ~ 'hash|secret';

-- a tailnet with members mapped to the roles, set up by the superuser
SELECT auth_keys.create_tailnet('priv.example') IS NOT NULL AS created;
SELECT auth_keys.create_tailnet('other.example') IS NOT NULL AS created;
SELECT auth_keys.set_member('priv.example', 'olga', 'owner', 'regress_privileges_owner');
SELECT auth_keys.set_member('priv.example', 'mike', 'member', 'regress_privileges_member');
SELECT auth_keys.set_member('priv.example', 'nina', 'network_admin');
SELECT auth_keys.set_member('other.example', 'bart', 'owner', 'regress_privileges_both');
-- a key of nina's with a known key id, as a DBA would insert it
INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, expires_at, secret_hash)
SELECT 'NinasKey0001', tailnet_id, 'nina', now() + '30 days', sha256('not a secret')
  FROM auth_keys.tailnets WHERE name = 'priv.example';

--
-- No tier: the schema itself is closed
--
SET SESSION AUTHORIZATION regress_privileges_none;
SELECT auth_keys.create_tailnet('none.example');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.act_as('priv.example', 'olga');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.create_key();
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.validate_key('pgak-auth-000000000000-0');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM auth_keys.tailnets;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM auth_keys.key_list;
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;

--
-- Operator tier: tailnets, members, tags and act_as; not keys
--
SET SESSION AUTHORIZATION regress_privileges_operator;
SELECT auth_keys.create_tailnet('ops.example', node_key_expiry => '7 days') IS NOT NULL AS created;
SELECT auth_keys.set_member('ops.example', 'oscar', 'owner');
SELECT auth_keys.set_member('ops.example', 'olive', 'member');
SELECT auth_keys.set_tag_owners('ops.example', 'tag:ops', ARRAY['oscar']);
SELECT auth_keys.remove_member('ops.example', 'olive');
SELECT auth_keys.configure_tailnet('ops.example', device_approval => true);
SELECT auth_keys.configure_tailnet('priv.example', node_key_expiry => '100 days');
-- without an actor, row-level security shows no rows
SELECT count(*) AS tailnets FROM auth_keys.tailnets;
BEGIN;
SELECT auth_keys.act_as('ops.example', 'oscar');
SELECT name, device_approval, node_key_expiry FROM auth_keys.tailnets;
SELECT login, role FROM auth_keys.members;
SELECT tag, owners FROM auth_keys.tag_owners;
SELECT count(*) AS keys FROM auth_keys.key_list;
-- acting as an owner does not give the operator the actor tier
SELECT auth_keys.create_key();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT auth_keys.validate_key('pgak-auth-000000000000-0');
\echo :LAST_ERROR_SQLSTATE
-- the tables are read-only to everyone but the extension's functions
UPDATE auth_keys.tailnets SET device_approval = false;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO auth_keys.members VALUES (1, 'eve', 'owner', NULL);
\echo :LAST_ERROR_SQLSTATE
-- and tiers are the superuser's to give
SELECT auth_keys.grant_tier('actor', 'regress_privileges_operator');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.revoke_tier('operator', 'regress_privileges_operator');
\echo :LAST_ERROR_SQLSTATE
GRANT EXECUTE ON FUNCTION auth_keys.create_key(boolean, boolean, boolean, text[], interval,
                                               text, integer) TO regress_privileges_operator;
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;

--
-- Actor tier: keys, for a role mapped to a member
--
SET SESSION AUTHORIZATION regress_privileges_owner;
SELECT key_id AS olga_key_id, key AS olga_key
  FROM auth_keys.create_key(reusable => true, description => 'olga''s') \gset
SELECT created_by, description, status FROM auth_keys.key_list ORDER BY key_id = 'NinasKey0001';
SELECT count(*) AS recently_invalid FROM auth_keys.recent_invalid_keys;
SELECT key_id = :'olga_key_id' AS own_key, created_by FROM auth_keys.key_list
 WHERE created_by = 'olga';
SELECT tailnet FROM auth_keys.tailnet_settings;
SELECT auth_keys.revoke_key(:'olga_key_id');
SELECT status FROM auth_keys.key_list WHERE key_id = :'olga_key_id';
-- only the member who generated a key revokes it, even an owner
SELECT auth_keys.revoke_key('NinasKey0001');
\echo :LAST_ERROR_SQLSTATE
-- an owner configures its own tailnet, through the actor tier
SELECT auth_keys.configure_tailnet('priv.example', device_approval => true);
SELECT tailnet, device_approval FROM auth_keys.tailnet_settings;
-- but not another one
SELECT auth_keys.configure_tailnet('other.example', device_approval => true);
\echo :LAST_ERROR_SQLSTATE
-- the tables are the operators': a member reads the views
SELECT secret_hash FROM auth_keys.keys;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.keys;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS keys FROM auth_keys.key_list;
-- the operator's and node backend's functions are out of reach
SELECT auth_keys.create_tailnet('owner.example');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_member('priv.example', 'mallory', 'owner');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.act_as('other.example', 'bart');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.validate_key(:'olga_key');
\echo :LAST_ERROR_SQLSTATE
UPDATE auth_keys.keys SET description = 'mine now';
\echo :LAST_ERROR_SQLSTATE
DELETE FROM auth_keys.events;
\echo :LAST_ERROR_SQLSTATE
-- granting oneself more does nothing
GRANT EXECUTE ON FUNCTION auth_keys.act_as(text, text) TO regress_privileges_owner;
\echo :LAST_ERROR_SQLSTATE
SELECT has_function_privilege('auth_keys.act_as(text, text)', 'EXECUTE') AS act_as;
RESET SESSION AUTHORIZATION;

-- A plain member has the actor tier too, but its role in the tailnet
-- allows no keys and no settings.
SET SESSION AUTHORIZATION regress_privileges_member;
SELECT auth_keys.create_key();
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.configure_tailnet('priv.example', device_approval => false);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS keys FROM auth_keys.key_list;
RESET SESSION AUTHORIZATION;

-- An actor-tier role mapped to no member has no actor.
SET SESSION AUTHORIZATION regress_privileges_unmapped;
SELECT auth_keys.create_key();
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.configure_tailnet('priv.example', device_approval => false);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS keys FROM auth_keys.key_list;
RESET SESSION AUTHORIZATION;

--
-- Node tier: validate and register keys; nothing else
--
SET SESSION AUTHORIZATION regress_privileges_owner;
SELECT key AS node_key FROM auth_keys.create_key(reusable => true, preauthorized => true) \gset
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_privileges_node;
SELECT tailnet, status, reusable FROM auth_keys.validate_key(:'node_key');
SELECT tailnet, status FROM auth_keys.validate_key(:'olga_key');
SELECT tailnet, user_login, authorized
  FROM auth_keys.register_node(:'node_key',
        'nodekey:1111111111111111111111111111111111111111111111111111111111111111', 'laptop');
SELECT auth_keys.node_seen(
        'nodekey:1111111111111111111111111111111111111111111111111111111111111111') AS seen;
SELECT auth_keys.create_key();
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.act_as('priv.example', 'olga');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.delete_node(1);
\echo :LAST_ERROR_SQLSTATE
SELECT key_id FROM auth_keys.keys;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM auth_keys.key_list;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM auth_keys.node_list;
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;

-- Members look their nodes up by node key: the nodekey operators are
-- usable by the roles that can read node_list.
SET SESSION AUTHORIZATION regress_privileges_owner;
SELECT hostname, user_login, status FROM auth_keys.node_list
 WHERE node_key OPERATOR(auth_keys.=)
       'nodekey:1111111111111111111111111111111111111111111111111111111111111111';
RESET SESSION AUTHORIZATION;

--
-- Operator and actor: the secret's hash stays out of reach
--
SET SESSION AUTHORIZATION regress_privileges_both;
SELECT key_id AS bart_key_id FROM auth_keys.create_key() \gset
BEGIN;
SELECT auth_keys.act_as('priv.example', 'olga');
SELECT count(*) AS keys FROM auth_keys.keys;
SELECT secret_hash FROM auth_keys.keys;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT key_id = :'bart_key_id' AS own_key FROM auth_keys.keys;
SELECT length(secret_hash) FROM auth_keys.keys;
\echo :LAST_ERROR_SQLSTATE
SELECT key_id FROM auth_keys.keys WHERE secret_hash IS NOT NULL;
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
-- the superuser reads it
SELECT key_id = :'bart_key_id' AS bart_key, length(secret_hash)
  FROM auth_keys.keys WHERE created_by = 'bart';

--
-- revoke_tier takes the rights away again
--
SELECT auth_keys.revoke_tier('actor', 'regress_privileges_owner');
SET SESSION AUTHORIZATION regress_privileges_owner;
SELECT auth_keys.create_key();
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM auth_keys.key_list;
\echo :LAST_ERROR_SQLSTATE
SELECT key_id FROM auth_keys.keys;
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;

SELECT auth_keys.revoke_tier('node', 'regress_privileges_node');
SET SESSION AUTHORIZATION regress_privileges_node;
-- terse: the error would otherwise quote the statement, and so the key
\set VERBOSITY terse
SELECT auth_keys.validate_key(:'node_key');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
RESET SESSION AUTHORIZATION;

SELECT auth_keys.revoke_tier('operator', 'regress_privileges_operator');
SET SESSION AUTHORIZATION regress_privileges_operator;
SELECT auth_keys.create_tailnet('late.example');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.act_as('ops.example', 'oscar');
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;

-- Taking one of two tiers keeps the other whole: configure_tailnet belongs
-- to both the operator and the actor tier.
SELECT auth_keys.revoke_tier('actor', 'regress_privileges_both');
SET SESSION AUTHORIZATION regress_privileges_both;
SELECT auth_keys.configure_tailnet('ops.example', device_approval => false);
SELECT count(*) AS tailnets FROM auth_keys.tailnets;
SELECT auth_keys.revoke_key(:'bart_key_id');
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;

SELECT * FROM pg_temp.tier_matrix();

-- the tailnets as the operators left them
SELECT name, device_approval, node_key_expiry FROM auth_keys.tailnets ORDER BY name;

DROP EXTENSION auth_keys;
DROP OWNED BY regress_privileges_none, regress_privileges_operator, regress_privileges_owner,
    regress_privileges_member, regress_privileges_unmapped, regress_privileges_node,
    regress_privileges_both;
DROP ROLE regress_privileges_none, regress_privileges_operator, regress_privileges_owner,
    regress_privileges_member, regress_privileges_unmapped, regress_privileges_node,
    regress_privileges_both;
