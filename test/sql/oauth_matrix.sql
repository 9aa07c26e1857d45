--
-- oauth_matrix: what an OAuth client may do with each scope.  Every action
-- a delegate can try while acting as a client, with a token of each scope
-- (and of all four), each in a transaction of its own that is rolled back:
-- "ok" and its count, or the SQLSTATE of the refusal.  Node actions also
-- depend on the token's tags: a client acts on tagged nodes whose tags its
-- tags own (tag:web, owned by tag:ci), not on others' (tag:other) nor on a
-- person's node.
--
CREATE EXTENSION auth_keys;
\set SHOW_CONTEXT never
\i test/fixtures/key_checksum.sql

SELECT auth_keys.create_tailnet('acme', device_approval => true) IS NOT NULL AS created;
SELECT auth_keys.set_member('acme', 'olga', 'owner');
SELECT auth_keys.set_member('acme', 'alice', 'admin');
SELECT auth_keys.set_tag_owners('acme', 'tag:ci', '{autogroup:admin}');
SELECT auth_keys.set_tag_owners('acme', 'tag:web', '{tag:ci}');
SELECT auth_keys.set_tag_owners('acme', 'tag:db', '{tag:web}');
SELECT auth_keys.set_tag_owners('acme', 'tag:other', '{olga}');
CREATE ROLE regress_matrix_backend;
SELECT auth_keys.grant_tier('delegate', 'regress_matrix_backend');

BEGIN;
SELECT auth_keys.act_as('acme', 'alice');
SELECT secret FROM auth_keys.create_oauth_client(
    '{auth_keys,auth_keys:read,devices:core,devices:core:read}', '{tag:ci}', 'matrix') \gset
SELECT key AS alice_key FROM auth_keys.create_key() \gset
SELECT auth_keys.act_as('acme', 'olga');
SELECT key AS other_key FROM auth_keys.create_key(tags => '{tag:other}') \gset
COMMIT;
-- the client id that messages name is fixed (its secret carries it)
UPDATE auth_keys.oauth_clients SET client_id = 'Matrix000001';
SELECT regress_with_checksum('pgak-client-Matrix000001-' || substr(:'secret', 26, 32)) AS secret \gset
-- the client's keys: one for a node, one the actions revoke, one revoked
SELECT access_token AS all_token FROM auth_keys.oauth_token(:'secret') \gset
BEGIN;
SELECT auth_keys.act_as_token(:'all_token');
SELECT key AS web_key FROM auth_keys.create_key(tags => '{tag:web}') \gset
SELECT key_id AS victim FROM auth_keys.create_key(tags => '{tag:ci}') \gset
SELECT key_id AS gone FROM auth_keys.create_key(tags => '{tag:ci}') \gset
SELECT auth_keys.revoke_key(:'gone');
COMMIT;
SELECT node_id AS web_node FROM auth_keys.register_node(
    :'web_key', ('nodekey:' || repeat('0', 63) || '1')::auth_keys.nodekey, 'web') \gset
SELECT node_id AS other_node FROM auth_keys.register_node(
    :'other_key', ('nodekey:' || repeat('0', 63) || '2')::auth_keys.nodekey, 'other') \gset
SELECT node_id AS alice_node FROM auth_keys.register_node(
    :'alice_key', ('nodekey:' || repeat('0', 63) || '3')::auth_keys.nodekey, 'laptop') \gset
SELECT hostname, user_login, tags, authorized FROM auth_keys.nodes ORDER BY node_id;

-- one token of each scope, and one of all four (the client's)
CREATE TEMP TABLE tokens (ord integer, scope text, token text);
INSERT INTO tokens
SELECT s.ord, coalesce(s.scope, 'all four'), t.access_token
  FROM (VALUES (1, 'auth_keys'), (2, 'auth_keys:read'), (3, 'devices:core'),
               (4, 'devices:core:read'), (5, NULL)) AS s (ord, scope),
       LATERAL auth_keys.oauth_token(:'secret',
                                     scopes => CASE WHEN s.scope IS NOT NULL THEN ARRAY[s.scope] END) AS t;
SELECT ord, scope, t.scopes, t.tags
  FROM tokens, LATERAL (SELECT k.scopes, k.tags FROM auth_keys.oauth_tokens k
                         WHERE k.token_id = split_part(tokens.token, '-', 3)) AS t
 ORDER BY ord;

-- every action, as a statement that returns a count
CREATE TEMP TABLE actions (ord integer, action text, statement text);
INSERT INTO actions VALUES
    (1, 'create_key, tagged', 'SELECT count(*) FROM auth_keys.create_key(tags => ''{tag:web}'')'),
    (2, 'create_key, tag owned via tags', 'SELECT count(*) FROM auth_keys.create_key(tags => ''{tag:db}'')'),
    (3, 'create_key, untagged', 'SELECT count(*) FROM auth_keys.create_key()'),
    (4, 'create_key, others'' tag', 'SELECT count(*) FROM auth_keys.create_key(tags => ''{tag:other}'')'),
    (5, 'revoke_key, its own key', format('SELECT count(*) FROM auth_keys.revoke_key(%L)', :'victim')),
    (6, 'key_list', 'SELECT count(*) FROM auth_keys.key_list'),
    (7, 'recent_invalid_keys', 'SELECT count(*) FROM auth_keys.recent_invalid_keys'),
    (8, 'node_list', 'SELECT count(*) FROM auth_keys.node_list'),
    (9, 'approve_node, its tags', format('SELECT count(*) FROM auth_keys.approve_node(%s)', :web_node)),
    (10, 'set_node_key_expiry, its tags', format('SELECT count(*) FROM auth_keys.set_node_key_expiry(%s, true)', :web_node)),
    (11, 'set_node_tags, tags it owns', format('SELECT count(*) FROM auth_keys.set_node_tags(%s, ''{tag:web,tag:db}'')', :web_node)),
    (12, 'set_node_tags, others'' tag', format('SELECT count(*) FROM auth_keys.set_node_tags(%s, ''{tag:other}'')', :web_node)),
    (13, 'delete_node, its tags', format('SELECT count(*) FROM auth_keys.delete_node(%s)', :web_node)),
    (14, 'delete_node, others'' tag', format('SELECT count(*) FROM auth_keys.delete_node(%s)', :other_node)),
    (15, 'approve_node, a person''s', format('SELECT count(*) FROM auth_keys.approve_node(%s)', :alice_node)),
    (16, 'delete_node, unknown', 'SELECT count(*) FROM auth_keys.delete_node(999999)'),
    (17, 'configure_tailnet', 'SELECT count(*) FROM auth_keys.configure_tailnet(''acme'', device_approval => false)'),
    (18, 'create_oauth_client', 'SELECT count(*) FROM auth_keys.create_oauth_client(''{auth_keys:read}'')'),
    (19, 'revoke_oauth_client', 'SELECT count(*) FROM auth_keys.revoke_oauth_client(''NoSuchClient'')'),
    (20, 'oauth_client_list', 'SELECT count(*) FROM auth_keys.oauth_client_list'),
    (21, 'member_list', 'SELECT count(*) FROM auth_keys.member_list'),
    (22, 'tag_list', 'SELECT count(*) FROM auth_keys.tag_list'),
    (23, 'event_list', 'SELECT count(*) FROM auth_keys.event_list'),
    (24, 'tailnet_settings', 'SELECT count(*) FROM auth_keys.tailnet_settings');
GRANT SELECT ON tokens, actions TO PUBLIC;

-- One try: act as the token's client and run the statement, then undo
-- both (the error raised last rolls the block back).
CREATE FUNCTION pg_temp.attempt(token text, statement text) RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    outcome text;
BEGIN
    PERFORM auth_keys.act_as_token(token);
    EXECUTE statement INTO outcome;
    RAISE EXCEPTION USING ERRCODE = 'AKM01', MESSAGE = 'ok ' || outcome;
EXCEPTION
    WHEN SQLSTATE 'AKM01' THEN
        RETURN SQLERRM;
    WHEN OTHERS THEN
        RETURN SQLSTATE;
END $$;

SET SESSION AUTHORIZATION regress_matrix_backend;
SELECT a.action,
       max(pg_temp.attempt(t.token, a.statement)) FILTER (WHERE t.ord = 1) AS "auth_keys",
       max(pg_temp.attempt(t.token, a.statement)) FILTER (WHERE t.ord = 2) AS "auth_keys:read",
       max(pg_temp.attempt(t.token, a.statement)) FILTER (WHERE t.ord = 3) AS "devices:core",
       max(pg_temp.attempt(t.token, a.statement)) FILTER (WHERE t.ord = 4) AS "devices:core:read",
       max(pg_temp.attempt(t.token, a.statement)) FILTER (WHERE t.ord = 5) AS "all four"
  FROM actions a CROSS JOIN tokens t
 GROUP BY a.ord, a.action
 ORDER BY a.ord;
RESET SESSION AUTHORIZATION;

-- Nothing of it stayed; the refusals say why, e.g.:
SELECT count(*) AS keys, count(*) FILTER (WHERE revoked_at IS NULL) AS valid
  FROM auth_keys.keys;
SELECT hostname, tags, authorized, key_expiry_disabled FROM auth_keys.nodes ORDER BY node_id;
SET SESSION AUTHORIZATION regress_matrix_backend;
BEGIN;
SELECT auth_keys.act_as_token(token) FROM tokens WHERE scope = 'auth_keys:read';
SELECT count(*) FROM auth_keys.create_key(tags => '{tag:web}');
ROLLBACK;
BEGIN;
SELECT auth_keys.act_as_token(token) FROM tokens WHERE scope = 'devices:core';
SELECT auth_keys.delete_node(:other_node);
ROLLBACK;
BEGIN;
SELECT auth_keys.act_as_token(token) FROM tokens WHERE scope = 'devices:core';
SELECT auth_keys.set_node_tags(:web_node, '{tag:other}');
ROLLBACK;
BEGIN;
SELECT auth_keys.act_as_token(token) FROM tokens WHERE scope = 'all four';
SELECT auth_keys.configure_tailnet('acme', device_approval => false);
ROLLBACK;
RESET SESSION AUTHORIZATION;

DROP EXTENSION auth_keys;
DROP SCHEMA auth_keys;
DROP FUNCTION regress_with_checksum(text), regress_crc32(text);
DROP ROLE regress_matrix_backend;
