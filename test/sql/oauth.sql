--
-- oauth: OAuth clients, the client-credentials grant (oauth_token) and
-- acting as a client (act_as_token), with real roles: who creates and
-- revokes clients, secrets and tokens in their own format (refused offline
-- when mistyped, 28000 with no detail when unproven), narrowing and never
-- widening, expiry, what revocation does, keys minted by clients in the
-- members' lists, tailnets kept apart
--
CREATE EXTENSION auth_keys;
\set SHOW_CONTEXT never
\i test/fixtures/key_checksum.sql
-- a text with its character at "pos" replaced by another base62 one
CREATE FUNCTION pg_temp.flip(t text, pos integer) RETURNS text
    LANGUAGE sql IMMUTABLE
    RETURN overlay(t PLACING CASE WHEN substr(t, pos, 1) = 'A' THEN 'B' ELSE 'A' END
                   FROM pos FOR 1);
-- Random ids that messages name are shown by the names of this table.
CREATE TEMP TABLE ids (id text PRIMARY KEY, name text NOT NULL);
GRANT SELECT, INSERT ON ids TO PUBLIC;
-- The outcome of a statement, as one line: "ok", or the SQLSTATE, the
-- message and the detail of its error, with the ids named.
CREATE FUNCTION pg_temp.outcome(statement text) RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    line text;
    detail text;
    id text;
    name text;
BEGIN
    BEGIN
        EXECUTE statement;
        line := 'ok';
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
        line := SQLSTATE || ': ' || SQLERRM || coalesce(' (' || nullif(detail, '') || ')', '');
    END;
    FOR id, name IN SELECT i.id, i.name FROM ids i LOOP
        line := replace(line, id, '<' || name || '>');
    END LOOP;
    RETURN line;
END $$;

SELECT auth_keys.create_tailnet('acme') AS acme_id \gset
SELECT auth_keys.create_tailnet('globex') IS NOT NULL AS created;
SELECT auth_keys.set_member('acme', login, role)
  FROM (VALUES ('olga', 'owner'), ('alice', 'admin'), ('ivan', 'it_admin'),
               ('nina', 'network_admin'), ('aude', 'auditor'), ('mike', 'member'),
               ('bill', 'billing_admin')) AS m(login, role);
SELECT auth_keys.set_member('globex', 'gail', 'owner');
-- tag:ci owns tag:web, which owns tag:db: a client with tag:ci mints all three
SELECT auth_keys.set_tag_owners('acme', 'tag:ci', '{autogroup:admin,nina}');
SELECT auth_keys.set_tag_owners('acme', 'tag:web', '{tag:ci}');
SELECT auth_keys.set_tag_owners('acme', 'tag:db', '{tag:web}');
SELECT auth_keys.set_tag_owners('acme', 'tag:ops', '{autogroup:admin}');
SELECT auth_keys.set_tag_owners('acme', 'tag:other', '{olga}');
SELECT auth_keys.set_tag_owners('globex', 'tag:ci', '{autogroup:admin}');

-- the platform's backend that runs the grant and acts for clients (every
-- tailnet), one for globex only, and a member's own role (actor tier)
CREATE ROLE regress_oauth_backend;
CREATE ROLE regress_oauth_globex;
CREATE ROLE regress_oauth_alice;
SELECT auth_keys.grant_tier('delegate', 'regress_oauth_backend');
SELECT auth_keys.grant_tier('delegate', 'regress_oauth_globex', tailnets => '{globex}');
SELECT auth_keys.grant_tier('actor', 'regress_oauth_alice');
SELECT auth_keys.set_member('acme', 'alice', 'admin', db_role => 'regress_oauth_alice');
SELECT f AS function,
       has_function_privilege('regress_oauth_backend', f, 'EXECUTE') AS delegate,
       has_function_privilege('regress_oauth_alice', f, 'EXECUTE') AS actor
  FROM unnest(ARRAY['auth_keys.create_oauth_client(text[], text[], text)',
                    'auth_keys.revoke_oauth_client(text, boolean)',
                    'auth_keys.oauth_token(text, text[], text[])',
                    'auth_keys.act_as_token(text)',
                    'auth_keys.oauth_client_list_rows()']::regprocedure[]) AS f;
SELECT has_table_privilege('regress_oauth_alice', 'auth_keys.oauth_client_list', 'SELECT')
           AS list,
       has_table_privilege('regress_oauth_backend', 'auth_keys.oauth_clients', 'SELECT')
           AS clients_table,
       has_table_privilege('regress_oauth_backend', 'auth_keys.oauth_tokens', 'SELECT')
           AS tokens_table;

--
-- Creating clients: key generators only, known scopes, tags they may
-- apply, tags required with auth_keys and devices:core
--
SET SESSION AUTHORIZATION regress_oauth_alice;
SELECT * FROM auth_keys.create_oauth_client(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.create_oauth_client('{}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.create_oauth_client('{auth_keys,users}', '{tag:ci}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.create_oauth_client(ARRAY['auth_keys', NULL], '{tag:ci}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.create_oauth_client('{{auth_keys},{devices:core}}', '{tag:ci}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.create_oauth_client('{auth_keys}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.create_oauth_client('{devices:core,auth_keys:read}', '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.create_oauth_client('{auth_keys}', '{tag:nope}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.create_oauth_client('{auth_keys}', '{tag:other}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.create_oauth_client('{auth_keys}', '{Tag:CI}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.create_oauth_client('{auth_keys}', '{tag:ci}', repeat('d', 51));
\echo :LAST_ERROR_SQLSTATE
-- a client for the pipeline: keys and devices, tag:ci; one that only
-- reads; one with two tags
SELECT client_id AS ci_id, secret AS ci_secret
  FROM auth_keys.create_oauth_client(scopes => '{devices:core,auth_keys,auth_keys}',
                                     tags => '{tag:ci}', description => 'ci pipeline') \gset
SELECT client_id AS ro_id, secret AS ro_secret
  FROM auth_keys.create_oauth_client('{auth_keys:read,devices:core:read}',
                                     description => 'dashboard') \gset
SELECT client_id AS two_id, secret AS two_secret
  FROM auth_keys.create_oauth_client('{auth_keys}', '{tag:ops,tag:ci}') \gset
RESET SESSION AUTHORIZATION;
-- Client ids that messages name are fixed: the superuser renames each new
-- client, and its secret carries the new id (its secret part, which the
-- hash covers, stays).
CREATE FUNCTION pg_temp.rename_client(old_id text, new_id text, secret text) RETURNS text
    LANGUAGE plpgsql AS $$
BEGIN
    UPDATE auth_keys.oauth_clients SET client_id = new_id WHERE client_id = old_id;
    RETURN regress_with_checksum('pgak-client-' || new_id || '-' || substr(secret, 26, 32));
END $$;
SELECT pg_temp.rename_client(:'ci_id', 'CiPipeline01', :'ci_secret') AS ci_secret \gset
SELECT pg_temp.rename_client(:'ro_id', 'Dashboard001', :'ro_secret') AS ro_secret \gset
SELECT pg_temp.rename_client(:'two_id', 'TwoTags00001', :'two_secret') AS two_secret \gset
\set ci_id CiPipeline01
\set ro_id Dashboard001
\set two_id TwoTags00001
-- members who may not generate keys create no clients
BEGIN;
SELECT auth_keys.act_as('acme', 'mike');
SELECT * FROM auth_keys.create_oauth_client('{auth_keys:read}');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT auth_keys.act_as('acme', 'aude');
SELECT * FROM auth_keys.create_oauth_client('{auth_keys:read}');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT auth_keys.act_as('acme', 'bill');
SELECT * FROM auth_keys.create_oauth_client('{auth_keys:read}');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- a network admin applies tag:ci as its owner
BEGIN;
SELECT auth_keys.act_as('acme', 'nina');
SELECT client_id AS nina_id, secret AS nina_secret
  FROM auth_keys.create_oauth_client('{auth_keys}', '{tag:ci}', 'nina''s') \gset
COMMIT;
SELECT pg_temp.rename_client(:'nina_id', 'NinasClient1', :'nina_secret') AS nina_secret \gset
\set nina_id NinasClient1
BEGIN;
SELECT auth_keys.act_as('globex', 'gail');
SELECT client_id AS gx_id, secret AS gx_secret
  FROM auth_keys.create_oauth_client('{auth_keys,devices:core}', '{tag:ci}') \gset
COMMIT;
SELECT pg_temp.rename_client(:'gx_id', 'GlobexCI0001', :'gx_secret') AS gx_secret \gset
\set gx_id GlobexCI0001

-- The secret: the key format with its own infix and checksum, 32 base62
-- characters of secret (190 bits); the id is the client id.  Stored as the
-- SHA-256 of the secret part only.
SELECT :'ci_secret' ~ '^pgak-client-[0-9A-Za-z]{12}-[0-9A-Za-z]{38}$' AS format,
       split_part(:'ci_secret', '-', 3) = :'ci_id' AS id_in_secret,
       regress_with_checksum(left(:'ci_secret', -6)) = :'ci_secret' AS checksum,
       :'ci_secret' <> :'ro_secret' AS distinct_secrets;
SELECT c.secret_hash = sha256(convert_to(substr(:'ci_secret', 26, 32), 'UTF8')) AS stored_hash,
       octet_length(c.secret_hash) AS hash_bytes
  FROM auth_keys.oauth_clients c WHERE c.client_id = :'ci_id';
SELECT count(*) AS rows_holding_a_secret
  FROM auth_keys.oauth_clients c
 WHERE c::text LIKE '%' || substr(:'ci_secret', 26, 32) || '%';
SELECT scopes, tags, description, created_by FROM auth_keys.oauth_clients ORDER BY created_at;
SELECT actor, action, detail - 'client_id' AS detail
  FROM auth_keys.events WHERE action = 'oauth_client.created' ORDER BY event_id LIMIT 1;

-- oauth_client_list: owners, admins and auditors see every client of the
-- tailnet, other key generators those they created, others none; never a
-- secret
SELECT attname FROM pg_attribute
 WHERE attrelid = 'auth_keys.oauth_client_list'::regclass AND attnum > 0 ORDER BY attnum;
CREATE FUNCTION pg_temp.clients_seen(who text) RETURNS TABLE (login text, clients text)
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_keys.act_as('acme', who);
    RETURN QUERY SELECT who, coalesce(string_agg(coalesce(l.description, l.client_id), ', '
                                                 ORDER BY l.created_at), '')
                   FROM auth_keys.oauth_client_list l;
END $$;
SELECT s.* FROM unnest(ARRAY['olga', 'alice', 'aude', 'nina', 'ivan', 'mike']) AS l,
               LATERAL pg_temp.clients_seen(l) AS s;
BEGIN;
SELECT auth_keys.act_as('globex', 'gail');
SELECT count(*) AS acme_clients_seen_from_globex FROM auth_keys.oauth_client_list
 WHERE tailnet = 'acme';
COMMIT;

--
-- oauth_token: the client-credentials grant, by the delegate
--
SET SESSION AUTHORIZATION regress_oauth_backend;
SELECT access_token AS ci_token, token_type, expires_in, scopes, tags
  FROM auth_keys.oauth_token(:'ci_secret') \gset
SELECT :'ci_token' ~ '^pgak-token-[0-9A-Za-z]{12}-[0-9A-Za-z]{38}$' AS format,
       regress_with_checksum(left(:'ci_token', -6)) = :'ci_token' AS checksum,
       :'token_type' AS token_type, :'expires_in' AS expires_in, :'scopes' AS scopes,
       :'tags' AS tags;
-- narrowing: fewer scopes (a scope allows its :read scope), fewer tags
SELECT token_type, expires_in, scopes, tags
  FROM auth_keys.oauth_token(:'ci_secret', scopes => '{auth_keys:read}', tags => '{}');
SELECT scopes, tags FROM auth_keys.oauth_token(:'ci_secret', scopes => '{devices:core:read}');
SELECT scopes, tags
  FROM auth_keys.oauth_token(:'two_secret', tags => '{tag:ops,tag:ops}');
SELECT access_token AS ops_token
  FROM auth_keys.oauth_token(:'two_secret', tags => '{tag:ops}') \gset
-- ... never widening (invalid_scope 22S01, invalid_target 22T01)
SELECT * FROM auth_keys.oauth_token(:'ro_secret', scopes => '{auth_keys}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.oauth_token(:'ro_secret', scopes => '{auth_keys:read,devices:core}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.oauth_token(:'ci_secret', scopes => '{users:read}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.oauth_token(:'ci_secret', scopes => '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.oauth_token(:'ci_secret', scopes => ARRAY[NULL]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.oauth_token(:'ci_secret', tags => '{tag:web}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.oauth_token(:'ci_secret', tags => '{tag:ci,tag:ops}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.oauth_token(:'ci_secret', tags => '{web}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.oauth_token(:'ci_secret', tags => '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.oauth_token(:'ci_secret', scopes => '{devices:core}', tags => '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.oauth_token(:'ro_secret', tags => '{tag:ci}');
\echo :LAST_ERROR_SQLSTATE
-- unproven secrets: invalid_client, 28000, and nothing more said; the
-- first six are refused by their form, before any table is read
SELECT * FROM auth_keys.oauth_token('not a secret');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.oauth_token(left(:'ci_secret', -1));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.oauth_token(:'ci_secret' || 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.oauth_token(pg_temp.flip(:'ci_secret', 30));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.oauth_token(replace(:'ci_secret', '-client-', '-auth-'));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.oauth_token(:'ci_token');
\echo :LAST_ERROR_SQLSTATE
-- well formed, checksum right, secret wrong (forged), or client unknown
SELECT * FROM auth_keys.oauth_token(
    regress_with_checksum('pgak-client-' || :'ci_id' || '-' || repeat('A', 32)));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.oauth_token(
    regress_with_checksum('pgak-client-NoSuchClient-' || substr(:'ci_secret', 26, 32)));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.oauth_token(NULL);
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
-- what the table keeps of a token: its id and the SHA-256 of its secret,
-- for one hour
SELECT k.token_hash = sha256(convert_to(substr(:'ci_token', 25, 32), 'UTF8')) AS stored_hash,
       k.expires_at - k.created_at AS lifetime, k.scopes, k.tags,
       k.client_id = :'ci_id' AS of_ci
  FROM auth_keys.oauth_tokens k WHERE k.token_id = split_part(:'ci_token', '-', 3);
SELECT actor, action, detail - 'expires_at' AS detail
  FROM auth_keys.events WHERE action = 'oauth_token.granted' ORDER BY event_id LIMIT 2;
-- only delegates get tokens; a delegate for globex gets none for acme
SET SESSION AUTHORIZATION regress_oauth_alice;
SELECT * FROM auth_keys.oauth_token(:'ci_secret');
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_oauth_globex;
SELECT * FROM auth_keys.oauth_token(:'ci_secret');
\echo :LAST_ERROR_SQLSTATE
SELECT access_token AS gx_token FROM auth_keys.oauth_token(:'gx_secret') \gset
RESET SESSION AUTHORIZATION;

--
-- Acting as the client: tagged keys that belong to the tailnet
--
SET SESSION AUTHORIZATION regress_oauth_backend;
BEGIN;
SELECT auth_keys.act_as_token(:'ci_token');
SELECT auth_keys.actor_login() AS actor_login, auth_keys.actor_tailnet_id() AS actor_tailnet;
SELECT key_id AS ci_key_id, key AS ci_key
  FROM auth_keys.create_key(tags => '{tag:web}', reusable => true, description => 'web pool') \gset
-- tags the client's tags own, through other tags too
SELECT count(*) AS made FROM auth_keys.create_key(tags => '{tag:db,tag:ci}');
SELECT key_id AS ci_key2_id FROM auth_keys.create_key(tags => '{tag:ci}', description => 'spare') \gset
SELECT * FROM auth_keys.create_key();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT auth_keys.act_as_token(:'ci_token');
SELECT * FROM auth_keys.create_key(tags => '{tag:ops}');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT auth_keys.act_as_token(:'ci_token');
SELECT * FROM auth_keys.create_key(tags => '{tag:nope}');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT auth_keys.act_as_token(:'ci_token');
SELECT key_id AS ci_key_id, key AS ci_key
  FROM auth_keys.create_key(tags => '{tag:web}', reusable => true, description => 'web pool') \gset
SELECT key_id AS ci_key2_id FROM auth_keys.create_key(tags => '{tag:ci}', description => 'spare') \gset
SELECT count(*) AS made FROM auth_keys.create_key(tags => '{tag:db,tag:ci}', description => 'db');
INSERT INTO ids VALUES (:'ci_key_id', 'web pool key'), (:'ci_key2_id', 'spare key');
-- a client sees the keys clients minted (its own and others'), not the
-- members' keys
SELECT description, created_by, tags, oauth_client_id = :'ci_id' AS by_ci, status
  FROM auth_keys.key_list ORDER BY description;
SELECT count(*) AS members_seen FROM auth_keys.member_list;
SELECT count(*) AS events_seen FROM auth_keys.event_list;
COMMIT;
-- a token narrowed to tag:ops mints tag:ops, and nothing that tag:ci owns
BEGIN;
SELECT auth_keys.act_as_token(:'ops_token');
SELECT count(*) AS made FROM auth_keys.create_key(tags => '{tag:ops}', description => 'ops');
SELECT * FROM auth_keys.create_key(tags => '{tag:web}');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- bad and forged tokens: 28000, nothing said
SELECT auth_keys.act_as_token('pgak-token-short');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.act_as_token(:'ci_secret');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.act_as_token(pg_temp.flip(:'ci_token', 30));
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.act_as_token(
    regress_with_checksum('pgak-token-' || split_part(:'ci_token', '-', 3) || '-' || repeat('A', 32)));
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.act_as_token(NULL);
\echo :LAST_ERROR_SQLSTATE
-- a token is granted only where writes are (it is stored); acting as the
-- client is a read, which a read-only transaction allows
BEGIN READ ONLY;
SELECT * FROM auth_keys.oauth_token(:'ci_secret');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN READ ONLY;
SELECT auth_keys.act_as_token(:'ci_token');
SELECT count(*) AS keys_read_only FROM auth_keys.key_list;
COMMIT;
-- outside a transaction block it lasts for its statement, and warns
SELECT auth_keys.act_as_token(:'ci_token');
SELECT count(*) AS keys_after_autocommit FROM auth_keys.key_list;
-- a savepoint rolled back takes the client away again
BEGIN;
SELECT auth_keys.act_as('acme', 'olga');
SAVEPOINT s;
SELECT auth_keys.act_as_token(:'ci_token');
SELECT count(*) AS keys_as_ci FROM auth_keys.key_list;
ROLLBACK TO SAVEPOINT s;
SELECT auth_keys.actor_login() AS back_to;
COMMIT;
RESET SESSION AUTHORIZATION;
-- the key belongs to the tailnet, with the client recorded; its node takes
-- the identity of its tags
SELECT description, created_by, oauth_client_id = :'ci_id' AS by_ci, tags
  FROM auth_keys.keys WHERE oauth_client_id IS NOT NULL ORDER BY description;
SELECT actor, action, detail->'tags' AS tags
  FROM auth_keys.events WHERE action = 'key.created' ORDER BY event_id;
SELECT node_id AS web1_id
  FROM auth_keys.register_node(:'ci_key', ('nodekey:' || repeat('0', 63) || '1')::auth_keys.nodekey,
                               'web-1') \gset
SELECT user_login, tags, key_expiry_disabled FROM auth_keys.nodes WHERE node_id = :web1_id;

-- Keys minted by clients, in the members' lists: owners, admins and
-- auditors see them, with their client; the network admin who made the
-- client does not (it has no personal creator)
CREATE FUNCTION pg_temp.client_keys_seen(who text) RETURNS TABLE (login text, keys text)
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_keys.act_as('acme', who);
    RETURN QUERY SELECT who, coalesce(string_agg(l.description, ', ' ORDER BY l.description), '')
                   FROM auth_keys.key_list l WHERE l.oauth_client_id IS NOT NULL;
END $$;
SELECT s.* FROM unnest(ARRAY['olga', 'alice', 'aude', 'nina', 'ivan', 'mike']) AS l,
               LATERAL pg_temp.client_keys_seen(l) AS s;
BEGIN;
SELECT auth_keys.act_as('acme', 'aude');
SELECT description, created_by, oauth_client_id = :'ci_id' AS by_ci
  FROM auth_keys.key_list WHERE oauth_client_id IS NOT NULL ORDER BY description;
SELECT actor, action
  FROM auth_keys.event_list WHERE actor LIKE 'client:%' ORDER BY event_id;
COMMIT;

-- Who revokes a client's key: that client, and the tailnet's owners and
-- admins; not another client, not the member who made the client
SET SESSION AUTHORIZATION regress_oauth_backend;
SELECT access_token AS nina_token FROM auth_keys.oauth_token(:'nina_secret') \gset
BEGIN;
SELECT auth_keys.act_as_token(:'nina_token');
SELECT pg_temp.outcome(format('SELECT auth_keys.revoke_key(%L)', :'ci_key2_id'));
ROLLBACK;
BEGIN;
SELECT auth_keys.act_as('acme', 'nina');
SELECT pg_temp.outcome(format('SELECT auth_keys.revoke_key(%L)', :'ci_key2_id'));
ROLLBACK;
BEGIN;
SELECT auth_keys.act_as('acme', 'aude');
SELECT pg_temp.outcome(format('SELECT auth_keys.revoke_key(%L)', :'ci_key2_id'));
ROLLBACK;
BEGIN;
SELECT auth_keys.act_as('acme', 'olga');
SELECT auth_keys.revoke_key(:'ci_key2_id');
ROLLBACK;
BEGIN;
SELECT auth_keys.act_as_token(:'ci_token');
SELECT auth_keys.revoke_key(:'ci_key2_id');
SET client_min_messages = warning;     -- the notice names the key
SELECT pg_temp.outcome(format('SELECT auth_keys.revoke_key(%L)', :'ci_key2_id')) AS again;
RESET client_min_messages;
SELECT description, status, revoked_by LIKE 'client:%' AS by_a_client
  FROM auth_keys.recent_invalid_keys;
COMMIT;
RESET SESSION AUTHORIZATION;

--
-- Tailnets apart: a globex client, its delegate and its owner know nothing
-- of acme's keys, nodes and clients (42704, as for what does not exist)
--
SET SESSION AUTHORIZATION regress_oauth_globex;
BEGIN;
SELECT auth_keys.act_as_token(:'gx_token');
SELECT count(*) AS keys, (SELECT count(*) FROM auth_keys.node_list) AS nodes
  FROM auth_keys.key_list;
SELECT pg_temp.outcome(format('SELECT auth_keys.revoke_key(%L)', :'ci_key_id'));
ROLLBACK;
BEGIN;
SELECT auth_keys.act_as_token(:'gx_token');
SELECT auth_keys.delete_node(:web1_id);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- an acme token is refused to the globex delegate once proven
BEGIN;
SELECT auth_keys.act_as_token(:'ci_token');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
RESET SESSION AUTHORIZATION;
BEGIN;
SELECT auth_keys.act_as('globex', 'gail');
SELECT auth_keys.revoke_oauth_client(:'ci_id');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT auth_keys.act_as('globex', 'gail');
SELECT auth_keys.revoke_oauth_client('NoSuchClient');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- The tables' row-level security agrees with the views: an operator who is
-- also a delegate reads, as the client, the keys clients minted and the
-- nodes, and nothing else of the tailnet
CREATE ROLE regress_oauth_opdel;
SELECT auth_keys.grant_tier('operator', 'regress_oauth_opdel');
SELECT auth_keys.grant_tier('delegate', 'regress_oauth_opdel');
SET SESSION AUTHORIZATION regress_oauth_opdel;
BEGIN;
SELECT auth_keys.act_as_token(:'ci_token');
SELECT (SELECT count(key_id) FROM auth_keys.keys) AS keys,
       (SELECT count(key_id) FROM auth_keys.keys WHERE oauth_client_id IS NULL) AS members_keys,
       (SELECT count(*) FROM auth_keys.nodes) AS nodes,
       (SELECT count(*) FROM auth_keys.members) AS members,
       (SELECT count(*) FROM auth_keys.events) AS events;
COMMIT;
RESET SESSION AUTHORIZATION;
SELECT auth_keys.revoke_tier('operator', 'regress_oauth_opdel');
SELECT auth_keys.revoke_tier('delegate', 'regress_oauth_opdel');
DROP ROLE regress_oauth_opdel;

--
-- Expiry, without waiting an hour: auth_keys.oauth_token_lifetime
-- (superuser; one second to one hour) makes tokens that live a second
--
SET SESSION AUTHORIZATION regress_oauth_backend;
SET auth_keys.oauth_token_lifetime = '1s';
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
SET auth_keys.oauth_token_lifetime = 0;
\echo :LAST_ERROR_SQLSTATE
SET auth_keys.oauth_token_lifetime = '61min';
\echo :LAST_ERROR_SQLSTATE
SET auth_keys.oauth_token_lifetime = '1s';
SELECT access_token AS short_token, expires_in
  FROM auth_keys.oauth_token(:'ci_secret') \gset
\echo expires_in :expires_in
RESET auth_keys.oauth_token_lifetime;
SET SESSION AUTHORIZATION regress_oauth_backend;
BEGIN;
SELECT auth_keys.act_as_token(:'short_token');
SELECT count(*) AS made FROM auth_keys.create_key(tags => '{tag:ci}', description => 'in time');
SELECT pg_sleep(1.2);
-- the next call of the open transaction finds the token expired
SELECT * FROM auth_keys.create_key(tags => '{tag:ci}');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- presented again, a proven token says it expired; reads see nothing
SELECT auth_keys.act_as_token(:'short_token');
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
-- the client's next token purges its expired ones
SELECT count(*) AS expired_tokens_kept FROM auth_keys.oauth_tokens
 WHERE client_id = :'ci_id' AND expires_at <= now();
SELECT count(*) > 0 AS got_one FROM auth_keys.oauth_token(:'ci_secret');
SELECT count(*) AS expired_tokens_kept FROM auth_keys.oauth_tokens
 WHERE client_id = :'ci_id' AND expires_at <= now();

--
-- Revocation: the tokens end at once, the keys stay valid unless
-- revoke_keys; who may revoke
--
BEGIN;
SELECT auth_keys.act_as('acme', 'mike');
SELECT auth_keys.revoke_oauth_client(:'ci_id');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT auth_keys.act_as('acme', 'nina');
SELECT auth_keys.revoke_oauth_client(:'ci_id');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT auth_keys.act_as('acme', 'aude');
SELECT auth_keys.revoke_oauth_client(:'ci_id');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- the creator revokes while she generates keys; demoted, she may not
SELECT auth_keys.set_member('acme', 'nina', 'auditor');
BEGIN;
SELECT auth_keys.act_as('acme', 'nina');
SELECT auth_keys.revoke_oauth_client(:'nina_id');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT auth_keys.set_member('acme', 'nina', 'network_admin');
BEGIN;
SELECT auth_keys.act_as('acme', 'nina');
SELECT auth_keys.revoke_oauth_client(:'nina_id');
COMMIT;
SELECT count(*) AS tokens_left FROM auth_keys.oauth_tokens WHERE client_id = :'nina_id';

-- revoking the pipeline's client: its tokens end, its keys stay
SELECT count(*) AS tokens_before FROM auth_keys.oauth_tokens WHERE client_id = :'ci_id';
SET SESSION AUTHORIZATION regress_oauth_alice;
SELECT auth_keys.revoke_oauth_client(:'ci_id');
SELECT auth_keys.revoke_oauth_client(:'ci_id');
SELECT description, status, last_used_at IS NOT NULL AS used, revoked_by, minted_keys, valid_keys
  FROM auth_keys.oauth_client_list ORDER BY created_at;
RESET SESSION AUTHORIZATION;
SELECT count(*) AS tokens_left FROM auth_keys.oauth_tokens WHERE client_id = :'ci_id';
SELECT status FROM auth_keys.validate_key(:'ci_key');
SELECT reauthenticated
  FROM auth_keys.register_node(:'ci_key', ('nodekey:' || repeat('0', 63) || '2')::auth_keys.nodekey,
                               'web-2');
SET SESSION AUTHORIZATION regress_oauth_backend;
SELECT * FROM auth_keys.oauth_token(:'ci_secret');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.act_as_token(:'ci_token');
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
-- later, its keys too: each revoked in the same transaction, with an event
SET SESSION AUTHORIZATION regress_oauth_alice;
SELECT auth_keys.revoke_oauth_client(:'ci_id', revoke_keys => true);
SELECT description, minted_keys, valid_keys FROM auth_keys.oauth_client_list
 WHERE client_id = :'ci_id';
RESET SESSION AUTHORIZATION;
SELECT description, auth_keys.key_status(revoked_at, used_up_at, expires_at) AS status,
       revoked_by FROM auth_keys.keys WHERE oauth_client_id = :'ci_id' ORDER BY description;
SELECT status FROM auth_keys.validate_key(:'ci_key');
SELECT actor, action, detail - 'client_id' AS detail
  FROM auth_keys.events
 WHERE action IN ('oauth_client.revoked', 'key.revoked') AND event_id > (
       SELECT max(event_id) FROM auth_keys.events WHERE action = 'oauth_client.revoked'
          AND detail->>'client_id' = :'ci_id' AND NOT (detail->'revoke_keys')::boolean)
 ORDER BY event_id;
-- nodes enrolled by the revoked keys stay
SELECT hostname, tags FROM auth_keys.nodes ORDER BY hostname;

--
-- Direct INSERTs of keys minted by a client hold the same rules
--
INSERT INTO auth_keys.keys (key_id, tailnet_id, description, tags, expires_at, secret_hash)
VALUES ('NoCreator001', :acme_id, 'nobody', '{tag:ci}', now() + interval '1 day', sha256('x'));
\echo :LAST_ERROR_SQLSTATE
INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, oauth_client_id, tags, expires_at,
                            secret_hash)
VALUES ('TwoCreator01', :acme_id, 'alice', :'two_id', '{tag:ci}', now() + interval '1 day',
        sha256('x'));
\echo :LAST_ERROR_SQLSTATE
INSERT INTO auth_keys.keys (key_id, tailnet_id, oauth_client_id, expires_at, secret_hash)
VALUES ('Untagged0001', :acme_id, :'two_id', now() + interval '1 day', sha256('x'));
\echo :LAST_ERROR_SQLSTATE
INSERT INTO auth_keys.keys (key_id, tailnet_id, oauth_client_id, tags, expires_at, secret_hash)
VALUES ('Revoked00001', :acme_id, :'ci_id', '{tag:ci}', now() + interval '1 day', sha256('x'));
\echo :LAST_ERROR_SQLSTATE
INSERT INTO auth_keys.keys (key_id, tailnet_id, oauth_client_id, tags, expires_at, secret_hash)
VALUES ('ReadOnly0001', :acme_id, :'ro_id', '{tag:ci}', now() + interval '1 day', sha256('x'));
\echo :LAST_ERROR_SQLSTATE
INSERT INTO auth_keys.keys (key_id, tailnet_id, oauth_client_id, tags, expires_at, secret_hash)
VALUES ('NotOwned0001', :acme_id, :'two_id', '{tag:other}', now() + interval '1 day', sha256('x'));
\echo :LAST_ERROR_SQLSTATE
INSERT INTO auth_keys.keys (key_id, tailnet_id, oauth_client_id, tags, expires_at, secret_hash)
VALUES ('OtherNet0001', :acme_id, :'gx_id', '{tag:ci}', now() + interval '1 day', sha256('x'));
\echo :LAST_ERROR_SQLSTATE
INSERT INTO auth_keys.keys (key_id, tailnet_id, oauth_client_id, tags, expires_at, secret_hash)
VALUES ('Direct000001', :acme_id, :'two_id', '{tag:web}', now() + interval '1 day', sha256('x'));
UPDATE auth_keys.keys SET oauth_client_id = :'ro_id' WHERE key_id = 'Direct000001';
\echo :LAST_ERROR_SQLSTATE
SELECT actor, action FROM auth_keys.events WHERE key_id = 'Direct000001';

-- Deleting the tailnet takes its clients and tokens with it
SELECT auth_keys.delete_tailnet('acme');
SELECT (SELECT count(*) FROM auth_keys.oauth_clients) AS clients,
       (SELECT count(*) FROM auth_keys.oauth_tokens) AS tokens;

--
-- Clean up
--
DROP EXTENSION auth_keys;
DROP SCHEMA auth_keys;
DROP FUNCTION regress_with_checksum(text), regress_crc32(text);
DROP ROLE regress_oauth_backend, regress_oauth_globex, regress_oauth_alice;
