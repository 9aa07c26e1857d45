--
-- revoke_key: each key manager revokes the keys they generated; revoked
-- and expired keys stay listed for a while
--
CREATE EXTENSION auth_keys;
\set SHOW_CONTEXT never

SELECT auth_keys.create_tailnet('acme') AS acme_id \gset
SELECT auth_keys.create_tailnet('globex') IS NOT NULL AS created;
SELECT auth_keys.set_member('acme', login, role)
  FROM (VALUES ('olivia', 'owner'), ('adam', 'admin'), ('ivan', 'it_admin'),
               ('nina', 'network_admin'), ('audrey', 'auditor')) AS m(login, role);
SELECT auth_keys.set_member('globex', 'gina', 'owner');

BEGIN;
SELECT auth_keys.act_as('acme', 'ivan');
SELECT key_id AS ivan_1 FROM auth_keys.create_key(description => 'ivan 1') \gset
SELECT auth_keys.act_as('acme', 'olivia');
SELECT key_id AS olivia_1 FROM auth_keys.create_key(description => 'olivia 1') \gset
COMMIT;
-- keys whose ids appear in messages have fixed ids
INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, description, expires_at,
                            secret_hash)
VALUES ('IvanKey00002', :acme_id, 'ivan', 'ivan 2', now() + interval '30 days',
        sha256('ivan 2')),
       ('NinaKey00001', :acme_id, 'nina', 'nina 1', now() + interval '30 days',
        sha256('nina 1'));
\set ivan_2 IvanKey00002
\set nina_1 NinaKey00001

--
-- Who may revoke what
--

-- The member who generated a key revokes it.
BEGIN;
SELECT auth_keys.act_as('acme', 'ivan');
SELECT auth_keys.revoke_key(:'ivan_1');
COMMIT;
SELECT description, auth_keys.key_status(revoked_at, used_up_at, expires_at) AS status,
       revoked_at IS NOT NULL AS has_revoked_at, revoked_by
  FROM auth_keys.keys ORDER BY description;
SELECT actor, action, key_id = :'ivan_1' AS same_key, detail
  FROM auth_keys.events WHERE action = 'key.revoked';

-- Nobody else does: not another admin, not the owner (42501), not a
-- member of another tailnet, to whom the key answers as an unknown key id
-- does (42704).
BEGIN;
SELECT auth_keys.act_as('acme', 'adam');
SELECT auth_keys.revoke_key(:'ivan_2');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT auth_keys.revoke_key(:'ivan_2');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT auth_keys.act_as('globex', 'gina');
SELECT auth_keys.revoke_key(:'ivan_2');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- an auditor may not revoke keys at all
BEGIN;
SELECT auth_keys.act_as('acme', 'audrey');
SELECT auth_keys.revoke_key(:'ivan_2');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- The key must exist.
BEGIN;
SELECT auth_keys.act_as('acme', 'ivan');
SELECT auth_keys.revoke_key('NoSuchKey000');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT auth_keys.act_as('acme', 'ivan');
SELECT auth_keys.revoke_key(NULL);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- Revoking twice changes nothing, with a notice.
BEGIN;
SELECT auth_keys.act_as('acme', 'ivan');
SELECT auth_keys.revoke_key(:'ivan_2');
SELECT auth_keys.revoke_key(:'ivan_2');
COMMIT;
BEGIN;
SELECT auth_keys.act_as('acme', 'ivan');
SELECT auth_keys.revoke_key(:'ivan_2');
COMMIT;
SELECT count(*) AS revoke_events FROM auth_keys.events
 WHERE action = 'key.revoked' AND key_id = :'ivan_2';

-- A member whose role no longer allows it cannot revoke their own keys;
-- nor need they: the change of role revoked the keys still valid, as
-- removing the member would (by the operator, with an event).
SELECT auth_keys.set_member('acme', 'nina', 'member');
SELECT key_id, action, actor, detail FROM auth_keys.events
 WHERE action = 'key.revoked' AND key_id = :'nina_1';
BEGIN;
SELECT auth_keys.act_as('acme', 'nina');
SELECT auth_keys.revoke_key(:'nina_1');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- Only ivan's keys, and nina's by the change of her role, were revoked.
SELECT description, auth_keys.key_status(revoked_at, used_up_at, expires_at) AS status,
       revoked_by
  FROM auth_keys.keys ORDER BY description;

--
-- Recently invalid keys
--

CREATE ROLE regress_revoke_key_owner;
CREATE ROLE regress_revoke_key_other;
SELECT auth_keys.grant_tier('actor', 'regress_revoke_key_owner');
SELECT auth_keys.grant_tier('actor', 'regress_revoke_key_other');
SELECT auth_keys.set_member('acme', 'olivia', 'owner', db_role => 'regress_revoke_key_owner');
SELECT auth_keys.set_member('globex', 'gina', 'owner', db_role => 'regress_revoke_key_other');

-- A used key, and older keys: one revoked two hours ago, one that expired
-- five days ago.
UPDATE auth_keys.keys SET uses = 1, used_up_at = now() WHERE key_id = :'olivia_1';
SET session_replication_role = replica;  -- history, loaded past the guard
INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, description, created_at,
                            expires_at, revoked_at, revoked_by, secret_hash)
VALUES ('OldRevoked01', :acme_id, 'olivia', 'old revoked', now() - interval '10 days',
        now() + interval '20 days', now() - interval '2 hours', 'olivia',
        sha256('not a real secret')),
       ('OldExpired01', :acme_id, 'olivia', 'old expired', now() - interval '10 days',
        now() - interval '5 days', NULL, NULL, sha256('not a real secret either'));
RESET session_replication_role;

-- Revoked, used and expired keys are listed, with the time they became
-- invalid and when a sweep may purge them: by default 90 days later.
SHOW auth_keys.invalid_key_retention;
SET SESSION AUTHORIZATION regress_revoke_key_owner;
CREATE TEMP TABLE listed AS SELECT * FROM auth_keys.recent_invalid_keys;
RESET SESSION AUTHORIZATION;
SELECT r.description, r.tailnet, r.created_by, r.status, r.revoked_by,
       r.invalid_since = coalesce(k.revoked_at, k.used_up_at, k.expires_at) AS invalid_since,
       r.purge_after - r.invalid_since AS retention
  FROM listed r JOIN auth_keys.keys k USING (key_id)
 ORDER BY r.description;
DROP TABLE listed;
-- only the tailnet's own keys
SET SESSION AUTHORIZATION regress_revoke_key_other;
SELECT count(*) AS listed FROM auth_keys.recent_invalid_keys;
RESET SESSION AUTHORIZATION;

-- A shorter retention lists fewer keys.
SET auth_keys.invalid_key_retention = '1 hour';
SET SESSION AUTHORIZATION regress_revoke_key_owner;
SELECT description, status, purge_after - invalid_since AS retention
  FROM auth_keys.recent_invalid_keys ORDER BY description;
RESET SESSION AUTHORIZATION;
RESET auth_keys.invalid_key_retention;

-- The retention is a positive interval.
SET auth_keys.invalid_key_retention = '0';
\echo :LAST_ERROR_SQLSTATE
SET auth_keys.invalid_key_retention = 'abc';
\echo :LAST_ERROR_SQLSTATE
SET auth_keys.invalid_key_retention = '-1 day';
\echo :LAST_ERROR_SQLSTATE
SHOW auth_keys.invalid_key_retention;

-- Only superusers change it.
SET SESSION AUTHORIZATION regress_revoke_key_owner;
SET auth_keys.invalid_key_retention = '1 day';
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;

DROP EXTENSION auth_keys;
DROP SCHEMA auth_keys;
DROP ROLE regress_revoke_key_owner;
DROP ROLE regress_revoke_key_other;
