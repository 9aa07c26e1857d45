--
-- register_node: enrolling nodes with authentication keys
--
CREATE EXTENSION auth_keys;
CREATE EXTENSION pgcrypto;
\set SHOW_CONTEXT never

-- Keys built by hand, independently of the extension's C code.
\i test/fixtures/key_checksum.sql

-- The helpers agree with the standard check value of CRC-32.
SELECT to_hex(regress_crc32('123456789')) AS crc32_check_value;

-- The uses of a key, as key_list counts them: those in its row, and those
-- that registrations of a key without a limit counted in key_use_counts,
-- which a sweep adds to the row.
CREATE FUNCTION pg_temp.uses(key_id text) RETURNS bigint LANGUAGE sql
RETURN (SELECT k.uses + coalesce((SELECT sum(c.uses) FROM auth_keys.key_use_counts c
                                   WHERE c.key_id = k.key_id), 0)
          FROM auth_keys.keys k WHERE k.key_id = uses.key_id);

--
-- Set-up: two tailnets, a node-facing role, members, tags, keys
--
CREATE ROLE regress_register_node_backend;
SELECT auth_keys.grant_tier('node', 'regress_register_node_backend');

SELECT auth_keys.create_tailnet('acme') > 0 AS created;
SELECT auth_keys.create_tailnet('globex', device_approval => true,
                                node_key_expiry => '30 days') > 0 AS created;
SELECT auth_keys.set_member('acme', 'olivia', 'owner');
SELECT auth_keys.set_member('acme', 'nina', 'network_admin');
SELECT auth_keys.set_member('globex', 'gail', 'owner');
SELECT auth_keys.set_tag_owners('acme', 'tag:server', '{autogroup:admin}');
SELECT auth_keys.set_tag_owners('globex', 'tag:db', '{gail}');

BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT key_id AS once_id, key AS once FROM auth_keys.create_key(description => 'one-off') \gset
SELECT key_id AS multi_id, key AS multi FROM auth_keys.create_key(reusable => true) \gset
SELECT key_id AS two_id, key AS two
  FROM auth_keys.create_key(reusable => true, max_uses => 2) \gset
SELECT key_id AS tagged_id, key AS tagged
  FROM auth_keys.create_key(reusable => true, tags => '{tag:server}') \gset
SELECT key_id AS eph_id, key AS eph
  FROM auth_keys.create_key(reusable => true, ephemeral => true) \gset
SELECT key_id AS target_id, key AS target FROM auth_keys.create_key(reusable => true) \gset
SELECT key_id AS rev_id, key AS rev FROM auth_keys.create_key(reusable => true) \gset
SELECT key_id AS revonce_id, key AS revonce FROM auth_keys.create_key() \gset
COMMIT;
BEGIN;
SELECT auth_keys.act_as('acme', 'nina');
SELECT key_id AS nina_id, key AS nina FROM auth_keys.create_key(reusable => true) \gset
COMMIT;
BEGIN;
SELECT auth_keys.act_as('globex', 'gail');
SELECT key_id AS gx_id, key AS gx FROM auth_keys.create_key(reusable => true) \gset
SELECT key_id AS gxpre_id, key AS gxpre
  FROM auth_keys.create_key(reusable => true, preauthorized => true) \gset
SELECT key_id AS gxtag_id, key AS gxtag
  FROM auth_keys.create_key(reusable => true, tags => '{tag:db}') \gset
COMMIT;

-- The helpers reproduce the checksum of a real key.
SELECT regress_with_checksum(left(:'once', -6)) = :'once' AS checksum_matches;

SELECT 'nodekey:' || repeat('01', 32) AS nk1, 'nodekey:' || repeat('02', 32) AS nk2,
       'nodekey:' || repeat('03', 32) AS nk3, 'nodekey:' || repeat('04', 32) AS nk4,
       'nodekey:' || repeat('05', 32) AS nk5, 'nodekey:' || repeat('06', 32) AS nk6,
       'nodekey:' || repeat('07', 32) AS nk7, 'nodekey:' || repeat('08', 32) AS nk8,
       'nodekey:' || repeat('09', 32) AS nk9, 'nodekey:' || repeat('0a', 32) AS nk10,
       'nodekey:' || repeat('0b', 32) AS nk11, 'nodekey:' || repeat('0c', 32) AS nk12,
       'nodekey:' || repeat('0d', 32) AS nk13, 'nodekey:' || repeat('0e', 32) AS nk14,
       'nodekey:' || repeat('0f', 32) AS nk15, 'nodekey:' || repeat('10', 32) AS nk16,
       'nodekey:' || repeat('11', 32) AS nk17, 'nodekey:' || repeat('12', 32) AS nk18,
       'nodekey:' || repeat('13', 32) AS nk19, 'nodekey:' || repeat('14', 32) AS nk20
\gset

-- From here on, the node-facing backend registers nodes.
SET SESSION AUTHORIZATION regress_register_node_backend;

--
-- A one-off key works once
--
SELECT status, reusable, uses_left FROM auth_keys.validate_key(:'once');
SELECT tailnet, user_login, tags, authorized, ephemeral, key_expiry_disabled,
       node_key_expires_at IS NOT NULL AS expires, reauthenticated
  FROM auth_keys.register_node(:'once', :'nk1', 'alpha');
SELECT status, uses_left FROM auth_keys.validate_key(:'once');

-- A second node cannot use it: the key was proven, so the detail says why.
SELECT * FROM auth_keys.register_node(:'once', :'nk2', 'beta');
\echo :LAST_ERROR_SQLSTATE

RESET SESSION AUTHORIZATION;
SELECT node_id AS alpha_id FROM auth_keys.nodes WHERE node_key::text = :'nk1' \gset
-- key_list shows the key as used, once
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT uses, uses_left, status, last_used_at IS NOT NULL AS last_used
  FROM auth_keys.key_list WHERE key_id = :'once_id';
COMMIT;
SELECT count(*) AS nodes FROM auth_keys.nodes;

-- The node that used it may present it again: it is returned as it is
-- (not re-authenticated, not renamed, its node key expiry not renewed),
-- nothing is spent and nothing recorded.  Only a key valid for a new use
-- re-authenticates.
SELECT node_key_expires_at AS alpha_expiry FROM auth_keys.nodes WHERE node_id = :alpha_id \gset
UPDATE auth_keys.nodes SET node_key_expires_at = now() - interval '1 day'
 WHERE node_id = :alpha_id;
SET SESSION AUTHORIZATION regress_register_node_backend;
SELECT node_id = :alpha_id AS same_node, user_login, authorized, reauthenticated,
       node_key_expires_at < now() AS still_expired
  FROM auth_keys.register_node(:'once', :'nk1', 'alpha-renamed');
RESET SESSION AUTHORIZATION;
UPDATE auth_keys.nodes SET node_key_expires_at = :'alpha_expiry'
 WHERE node_id = :alpha_id;
SELECT uses, auth_keys.key_status(revoked_at, used_up_at, expires_at) AS status
  FROM auth_keys.keys WHERE key_id = :'once_id';
SELECT action, node_id = :alpha_id AS alpha, detail
  FROM auth_keys.events WHERE key_id = :'once_id' AND action <> 'key.created'
 ORDER BY event_id;
SELECT hostname FROM auth_keys.nodes WHERE node_id = :alpha_id;

-- Deleting the node does not give the key back: neither a new node nor the
-- deleted node's own node key may use it again.
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT auth_keys.delete_node(:alpha_id);
COMMIT;
SET SESSION AUTHORIZATION regress_register_node_backend;
SELECT * FROM auth_keys.register_node(:'once', :'nk2', 'beta');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.register_node(:'once', :'nk1', 'alpha');
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
SELECT count(*) AS nodes FROM auth_keys.nodes;
SELECT uses FROM auth_keys.keys WHERE key_id = :'once_id';

--
-- A reusable key registers several nodes; max_uses limits it
--
SET SESSION AUTHORIZATION regress_register_node_backend;
SELECT status, reusable, uses_left FROM auth_keys.validate_key(:'multi');
SELECT user_login, reauthenticated FROM auth_keys.register_node(:'multi', :'nk2', 'm1');
SELECT user_login, reauthenticated FROM auth_keys.register_node(:'multi', :'nk3', 'm2');
SELECT user_login, reauthenticated FROM auth_keys.register_node(:'multi', :'nk4', 'm3');
-- no limit: no uses_left
SELECT status, uses_left FROM auth_keys.validate_key(:'multi');

SELECT status, uses_left FROM auth_keys.validate_key(:'two');
SELECT reauthenticated FROM auth_keys.register_node(:'two', :'nk5', 'two1');
SELECT status, uses_left FROM auth_keys.validate_key(:'two');
SELECT reauthenticated FROM auth_keys.register_node(:'two', :'nk6', 'two2');
SELECT status, uses_left FROM auth_keys.validate_key(:'two');
-- the third registration is refused
SELECT * FROM auth_keys.register_node(:'two', :'nk7', 'two3');
\echo :LAST_ERROR_SQLSTATE
-- a node it enrolled may still present it again, spending nothing and
-- renewing nothing, since the key is used up
SELECT reauthenticated FROM auth_keys.register_node(:'two', :'nk6', 'two2');
-- while a key is still valid, its own node presenting it again is
-- re-authenticated, spending nothing
SELECT reauthenticated FROM auth_keys.register_node(:'multi', :'nk4', 'm3');
RESET SESSION AUTHORIZATION;
-- a key with a limit counts its uses in its row; one without, whose
-- registrations never queue on its row, in key_use_counts (and key_list
-- shows both, until a sweep adds them up)
SELECT key_id = :'multi_id' AS multi, uses, max_uses,
       (SELECT sum(c.uses) FROM auth_keys.key_use_counts c
         WHERE c.key_id = k.key_id) AS counted,
       pg_temp.uses(key_id) AS all_uses,
       auth_keys.key_status(revoked_at, used_up_at, expires_at) AS status
  FROM auth_keys.keys k WHERE key_id IN (:'multi_id', :'two_id') ORDER BY 1;
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT key_id = :'multi_id' AS multi, uses, last_used_at IS NOT NULL AS last_used
  FROM auth_keys.key_list WHERE key_id IN (:'multi_id', :'two_id') ORDER BY 1;
COMMIT;
SELECT count(*) FILTER (WHERE auth_key_id = :'multi_id') AS by_multi,
       count(*) FILTER (WHERE auth_key_id = :'two_id') AS by_two
  FROM auth_keys.nodes;

--
-- Identity: the key's creator, or the key's tags
--
SET SESSION AUTHORIZATION regress_register_node_backend;
-- untagged: the node belongs to whoever generated the key
SELECT user_login, tags, key_expiry_disabled, node_key_expires_at IS NULL AS no_expiry
  FROM auth_keys.register_node(:'nina', :'nk8', 'nina-laptop');
-- tagged: no user, the key's tags, key expiry disabled
SELECT user_login, tags, key_expiry_disabled, node_key_expires_at IS NULL AS no_expiry
  FROM auth_keys.register_node(:'tagged', :'nk9', 'server1');
RESET SESSION AUTHORIZATION;
SELECT hostname, user_login, tags, key_expiry_disabled, node_key_expires_at IS NULL AS no_expiry
  FROM auth_keys.nodes WHERE node_key::text IN (:'nk8', :'nk9') ORDER BY hostname;

-- An untagged node's key expires after its tailnet's node key expiry,
-- counted from its enrolment: 180 days in acme (the default), 30 in globex.
SET SESSION AUTHORIZATION regress_register_node_backend;
SELECT tailnet, authorized FROM auth_keys.register_node(:'gx', :'nk10', 'gx-box');
RESET SESSION AUTHORIZATION;
SELECT t.name, n.node_key_expires_at - n.created_at AS node_key_lifetime
  FROM auth_keys.nodes n JOIN auth_keys.tailnets t USING (tailnet_id)
 WHERE n.node_key::text IN (:'nk8', :'nk10') ORDER BY t.name;

--
-- Device approval
--
-- globex has device approval on: a key that is not pre-approved enrols a
-- node that waits (nk10 above); a pre-approved key's node is authorized.
SET SESSION AUTHORIZATION regress_register_node_backend;
SELECT authorized FROM auth_keys.register_node(:'gxpre', :'nk11', 'gx-server');
RESET SESSION AUTHORIZATION;
-- acme has it off: every node there is authorized.
SELECT count(*) FILTER (WHERE NOT authorized) AS unauthorized_in_acme
  FROM auth_keys.nodes JOIN auth_keys.tailnets USING (tailnet_id) WHERE name = 'acme';
BEGIN;
SELECT auth_keys.act_as('globex', 'gail');
SELECT hostname, authorized, status FROM auth_keys.node_list ORDER BY hostname;
SELECT auth_keys.approve_node(node_id) FROM auth_keys.node_list WHERE hostname = 'gx-box';
SELECT hostname, authorized, status FROM auth_keys.node_list ORDER BY hostname;
COMMIT;

--
-- Ephemeral comes from the key
--
SET SESSION AUTHORIZATION regress_register_node_backend;
SELECT ephemeral FROM auth_keys.register_node(:'eph', :'nk12', 'container');
SELECT ephemeral FROM auth_keys.register_node(:'multi', :'nk13', 'vm');
RESET SESSION AUTHORIZATION;
SELECT hostname, ephemeral FROM auth_keys.nodes
 WHERE node_key::text IN (:'nk12', :'nk13') ORDER BY hostname;

--
-- Re-authentication with another key of the same tailnet
--
SELECT node_id AS m1_id FROM auth_keys.nodes WHERE node_key::text = :'nk2' \gset
SELECT pg_temp.uses(:'tagged_id') AS tagged_uses \gset
SET SESSION AUTHORIZATION regress_register_node_backend;
-- the node takes the identity of the new key; with tags, key expiry disabled
SELECT node_id = :m1_id AS same_node, user_login, tags, key_expiry_disabled,
       node_key_expires_at IS NULL AS no_expiry, reauthenticated
  FROM auth_keys.register_node(:'tagged', :'nk2', 'm1-tagged');
RESET SESSION AUTHORIZATION;
SELECT hostname, user_login, tags, auth_key_id = :'tagged_id' AS by_tagged_key,
       key_expiry_disabled, node_key_expires_at IS NULL AS no_expiry
  FROM auth_keys.nodes WHERE node_id = :m1_id;
-- the new key spent a use
SELECT pg_temp.uses(:'tagged_id') - :tagged_uses AS spent;
SELECT action, detail FROM auth_keys.events
 WHERE node_id = :m1_id AND key_id = :'tagged_id' ORDER BY event_id;
-- back to an untagged key: the node belongs to its creator again
SET SESSION AUTHORIZATION regress_register_node_backend;
SELECT node_id = :m1_id AS same_node, user_login, tags, key_expiry_disabled,
       node_key_expires_at IS NULL AS no_expiry, reauthenticated
  FROM auth_keys.register_node(:'nina', :'nk2', 'm1-again');
RESET SESSION AUTHORIZATION;

-- Under device approval, an authorized node stays authorized when it
-- re-authenticates with a key that is not pre-approved ...
SET SESSION AUTHORIZATION regress_register_node_backend;
SELECT authorized, reauthenticated FROM auth_keys.register_node(:'gx', :'nk11', 'gx-server');
-- ... and a tagged key disables its key expiry
SELECT user_login, tags, authorized, key_expiry_disabled, reauthenticated
  FROM auth_keys.register_node(:'gxtag', :'nk10', 'gx-box');
-- a node waiting for approval keeps waiting with such a key, and a
-- pre-approved key authorizes it
SELECT authorized FROM auth_keys.register_node(:'gx', :'nk14', 'gx-new');
SELECT authorized, reauthenticated FROM auth_keys.register_node(:'gx', :'nk14', 'gx-new');
SELECT authorized, reauthenticated FROM auth_keys.register_node(:'gxpre', :'nk14', 'gx-new');
RESET SESSION AUTHORIZATION;

--
-- A node key enrolled in one tailnet cannot register with another's key
--
SELECT pg_temp.uses(:'gx_id') AS gx_uses \gset
SET SESSION AUTHORIZATION regress_register_node_backend;
SELECT * FROM auth_keys.register_node(:'gx', :'nk3', 'm2');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.register_node(:'target', :'nk10', 'gx-box');
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
SELECT pg_temp.uses(:'gx_id') - :gx_uses AS gx_spent;
SELECT pg_temp.uses(:'target_id') AS target_uses;
SELECT n.hostname, t.name FROM auth_keys.nodes n JOIN auth_keys.tailnets t USING (tailnet_id)
 WHERE n.node_key::text IN (:'nk3', :'nk10') ORDER BY n.hostname;

--
-- Keys that are not keys: one error, no detail, nothing consumed
--
SELECT count(*) AS nodes_before FROM auth_keys.nodes \gset
-- a correct checksum over a forged secret, over a case-swapped secret, and
-- over an unknown key id
SELECT regress_with_checksum(left(:'target', 23) || repeat('A', 32)) AS forged,
       regress_with_checksum(left(:'target', 23) ||
                                      translate(substr(:'target', 24, 32), u || l, l || u))
           AS swapped,
       regress_with_checksum('pgak-auth-unknownKey00-' || substr(:'target', 24, 32))
           AS unknown
  FROM (VALUES ('ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')) AS alphabet(u, l)
\gset
SELECT regress_with_checksum(left(:'forged', -6)) = :'forged' AS forged_checksum_ok,
       :'swapped' <> :'target' AS swapped_differs;
-- the key is fine
SELECT status FROM auth_keys.validate_key(:'target');

SET SESSION AUTHORIZATION regress_register_node_backend;
-- malformed
SELECT * FROM auth_keys.register_node('not a key', :'nk15', 'h');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.register_node('', :'nk15', 'h');
\echo :LAST_ERROR_SQLSTATE
-- truncated
SELECT * FROM auth_keys.register_node(left(:'target', -1), :'nk15', 'h');
\echo :LAST_ERROR_SQLSTATE
-- one character more
SELECT * FROM auth_keys.register_node(:'target' || 'x', :'nk15', 'h');
\echo :LAST_ERROR_SQLSTATE
-- case changed: keys are case-sensitive
SELECT * FROM auth_keys.register_node(lower(:'target'), :'nk15', 'h');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.register_node(upper(:'target'), :'nk15', 'h');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.register_node(:'swapped', :'nk15', 'h');
\echo :LAST_ERROR_SQLSTATE
-- checksum broken
SELECT * FROM auth_keys.register_node(left(:'target', -1) ||
    CASE WHEN right(:'target', 1) = '0' THEN '1' ELSE '0' END, :'nk15', 'h');
\echo :LAST_ERROR_SQLSTATE
-- forged secret with a correct checksum
SELECT * FROM auth_keys.register_node(:'forged', :'nk15', 'h');
\echo :LAST_ERROR_SQLSTATE
-- unknown key id with a correct checksum
SELECT * FROM auth_keys.register_node(:'unknown', :'nk15', 'h');
\echo :LAST_ERROR_SQLSTATE
-- NULL
SELECT * FROM auth_keys.register_node(NULL, :'nk15', 'h');
\echo :LAST_ERROR_SQLSTATE
-- validate_key says "invalid" to the same keys and tells nothing else
SELECT k, v.* FROM (VALUES ('forged', :'forged'), ('swapped', :'swapped'),
                           ('unknown', :'unknown'), ('null', NULL)) AS t(k, key),
       auth_keys.validate_key(key) AS v ORDER BY k;
RESET SESSION AUTHORIZATION;
SELECT pg_temp.uses(key_id) AS target_uses_after, last_used_at IS NULL AS never_used
  FROM auth_keys.keys WHERE key_id = :'target_id';
SELECT count(*) - :nodes_before AS new_nodes FROM auth_keys.nodes;

--
-- Revoked and expired keys
--
SET SESSION AUTHORIZATION regress_register_node_backend;
SELECT authorized FROM auth_keys.register_node(:'rev', :'nk16', 'rev-enrolled');
RESET SESSION AUTHORIZATION;
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT auth_keys.revoke_key(:'rev_id');
SELECT auth_keys.revoke_key(:'revonce_id');
COMMIT;
SET SESSION AUTHORIZATION regress_register_node_backend;
SELECT * FROM auth_keys.register_node(:'rev', :'nk17', 'rev-late');
\echo :LAST_ERROR_SQLSTATE
-- a one-off key revoked before its use
SELECT * FROM auth_keys.register_node(:'revonce', :'nk17', 'rev-late');
\echo :LAST_ERROR_SQLSTATE
-- the node the key enrolled may not present it again either
SELECT * FROM auth_keys.register_node(:'rev', :'nk16', 'rev-enrolled');
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
-- the node it enrolled stays authorized
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT hostname, authorized, status FROM auth_keys.node_list WHERE auth_key_id = :'rev_id';
COMMIT;

-- An expired key, made by hand: created 40 days ago, expired 10 days ago.
SELECT regress_with_checksum('pgak-auth-expiredKey01-' || repeat('Ex', 16)) AS expired
\gset
SET session_replication_role = replica;  -- history, loaded past the guard
INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, reusable, created_at,
                            expires_at, secret_hash)
SELECT 'expiredKey01', tailnet_id, 'olivia', true, now() - interval '40 days',
       now() - interval '10 days', digest(repeat('Ex', 16), 'sha256')
  FROM auth_keys.tailnets WHERE name = 'acme';
RESET session_replication_role;
-- A key that expires a moment after the node it enrolls: created a day ago.
BEGIN;
SET session_replication_role = replica;  -- history, loaded past the guard
INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, reusable, created_at,
                            expires_at, secret_hash)
SELECT 'shortLived01', tailnet_id, 'olivia', true, now() - interval '1 day',
       now() + interval '100 milliseconds', digest(repeat('Sh', 16), 'sha256')
  FROM auth_keys.tailnets WHERE name = 'acme';
RESET session_replication_role;
SELECT authorized
  FROM auth_keys.register_node(
      regress_with_checksum('pgak-auth-shortLived01-' || repeat('Sh', 16)),
      :'nk18', 'short-lived');
COMMIT;
SELECT pg_sleep(0.2);
SET SESSION AUTHORIZATION regress_register_node_backend;
SELECT key_id, status FROM auth_keys.validate_key(:'expired');
SELECT * FROM auth_keys.register_node(:'expired', :'nk19', 'too-late');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.register_node(
    regress_with_checksum('pgak-auth-shortLived01-' || repeat('Sh', 16)),
    :'nk19', 'too-late');
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
SELECT key_id, pg_temp.uses(key_id) AS uses FROM auth_keys.keys
 WHERE key_id IN ('expiredKey01', 'shortLived01') ORDER BY key_id;
-- the node the short-lived key enrolled stays authorized
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT hostname, authorized, status FROM auth_keys.node_list WHERE hostname = 'short-lived';
COMMIT;

--
-- Arguments
--
SELECT pg_temp.uses(:'target_id') AS target_uses \gset
SET SESSION AUTHORIZATION regress_register_node_backend;
-- a hostname has 1 to 255 characters
SELECT * FROM auth_keys.register_node(:'target', :'nk20', '');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.register_node(:'target', :'nk20', repeat('h', 256));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.register_node(:'target', :'nk20', NULL);
\echo :LAST_ERROR_SQLSTATE
-- the node key is required, and must be well formed
SELECT * FROM auth_keys.register_node(:'target', NULL, 'h');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.register_node('not read', 'nodekey:1234', 'h');
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
-- refused arguments spent nothing
SELECT pg_temp.uses(:'target_id') - :target_uses AS spent;
SET SESSION AUTHORIZATION regress_register_node_backend;
SELECT reauthenticated FROM auth_keys.register_node(:'target', :'nk20', repeat('h', 255));
RESET SESSION AUTHORIZATION;
SELECT length(hostname) FROM auth_keys.nodes WHERE node_key::text = :'nk20';

--
-- The audit trail: key.used names the key and the node, and no event holds
-- key material
--
SELECT e.actor, e.action, e.key_id = :'once_id' AS once_key,
       e.node_id = :alpha_id AS alpha_node, e.detail
  FROM auth_keys.events e WHERE e.key_id = :'once_id' AND e.action <> 'key.created'
 ORDER BY e.event_id;
SELECT count(*) AS key_used_events,
       count(*) FILTER (WHERE e.node_id IS NULL OR e.key_id IS NULL) AS incomplete
  FROM auth_keys.events e WHERE e.action = 'key.used';
SELECT count(*) AS events_with_key_material
  FROM auth_keys.events e,
       (VALUES (:'once'), (:'multi'), (:'two'), (:'tagged'), (:'eph'), (:'target'),
               (:'rev'), (:'revonce'), (:'nina'), (:'gx'), (:'gxpre'), (:'gxtag'),
               (:'expired'),
               (regress_with_checksum('pgak-auth-shortLived01-' || repeat('Sh', 16))))
           AS k(key)
 WHERE strpos(e::text, k.key) > 0 OR strpos(e::text, substr(k.key, 24, 32)) > 0;

--
-- Within one statement: a key created earlier in the statement is seen,
-- and two registrations of one node key spend one use
--
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT v.status, v.uses_left, r.reauthenticated
  FROM auth_keys.create_key(reusable => true, max_uses => 5, description => 'same statement') AS k,
       LATERAL auth_keys.validate_key(k.key) AS v,
       LATERAL auth_keys.register_node(k.key, ('nodekey:' || repeat('5a', 32))::auth_keys.nodekey,
                                       'same-statement') AS r;
COMMIT;
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT key_id AS twice_id, key AS twice
  FROM auth_keys.create_key(reusable => true, max_uses => 5, description => 'twice') \gset
COMMIT;
SELECT r.node_id IS NOT NULL AS enrolled, r.reauthenticated
  FROM generate_series(1, 2) AS i,
       LATERAL auth_keys.register_node(:'twice' || repeat(' ', 0 * i),
                                       ('nodekey:' || repeat('5b', 32))::auth_keys.nodekey,
                                       'twice') AS r;
SELECT pg_temp.uses(:'twice_id') AS uses;

--
-- Clean up
--
DROP FUNCTION pg_temp.uses(text);
DROP EXTENSION auth_keys;
-- the schema holds the USAGE grant of grant_tier
DROP SCHEMA auth_keys;
DROP FUNCTION regress_with_checksum(text);
DROP FUNCTION regress_crc32(text);
DROP EXTENSION pgcrypto;
DROP ROLE regress_register_node_backend;
