--
-- key_guards: direct changes to auth_keys.keys keep the invariants
--
-- A trigger refuses changes that need the old row to judge (SQLSTATE
-- 23000); CHECK constraints refuse rows that contradict themselves (23514).
--
CREATE EXTENSION auth_keys;
\set SHOW_CONTEXT never

SELECT auth_keys.create_tailnet('acme') AS acme_id \gset
SELECT auth_keys.create_tailnet('globex') AS globex_id \gset
SELECT auth_keys.set_member('acme', 'olivia', 'owner');
SELECT auth_keys.set_tag_owners('acme', 'tag:web', '{olivia}');
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT key_id AS one FROM auth_keys.create_key(description => 'one-off') \gset
SELECT key_id AS limited
  FROM auth_keys.create_key(reusable => true, max_uses => 3, description => 'limited') \gset
SELECT key_id AS spare FROM auth_keys.create_key(description => 'spare') \gset
SELECT key_id AS burnt FROM auth_keys.create_key(description => 'burnt') \gset
COMMIT;

--
-- What never changes after a key is generated
--

UPDATE auth_keys.keys SET secret_hash = sha256('guess') WHERE key_id = :'one';
\echo :LAST_ERROR_SQLSTATE
UPDATE auth_keys.keys SET key_id = 'AnotherKey01' WHERE key_id = :'one';
\echo :LAST_ERROR_SQLSTATE
UPDATE auth_keys.keys SET tailnet_id = :globex_id WHERE key_id = :'one';
\echo :LAST_ERROR_SQLSTATE
UPDATE auth_keys.keys SET created_by = 'mallory' WHERE key_id = :'one';
\echo :LAST_ERROR_SQLSTATE
UPDATE auth_keys.keys SET created_at = created_at - interval '1 hour' WHERE key_id = :'one';
\echo :LAST_ERROR_SQLSTATE
UPDATE auth_keys.keys SET reusable = true WHERE key_id = :'one';
\echo :LAST_ERROR_SQLSTATE
UPDATE auth_keys.keys SET ephemeral = true WHERE key_id = :'one';
\echo :LAST_ERROR_SQLSTATE
UPDATE auth_keys.keys SET preauthorized = true WHERE key_id = :'one';
\echo :LAST_ERROR_SQLSTATE
UPDATE auth_keys.keys SET tags = '{tag:web}' WHERE key_id = :'one';
\echo :LAST_ERROR_SQLSTATE
UPDATE auth_keys.keys SET expires_at = expires_at - interval '1 day' WHERE key_id = :'one';
\echo :LAST_ERROR_SQLSTATE
UPDATE auth_keys.keys SET expires_at = expires_at + interval '1 second' WHERE key_id = :'one';
\echo :LAST_ERROR_SQLSTATE
UPDATE auth_keys.keys SET max_uses = 5 WHERE key_id = :'limited';
\echo :LAST_ERROR_SQLSTATE
UPDATE auth_keys.keys SET max_uses = NULL WHERE key_id = :'limited';
\echo :LAST_ERROR_SQLSTATE

-- Setting a column to the value it has is no change.
UPDATE auth_keys.keys SET secret_hash = secret_hash, expires_at = expires_at, tags = tags
 WHERE key_id = :'one';

--
-- What may change, and how
--

-- The description, freely.
UPDATE auth_keys.keys SET description = 'renamed' WHERE key_id = :'one';
UPDATE auth_keys.keys SET description = NULL WHERE key_id = :'spare';
SELECT key_id = :'one' AS one, description FROM auth_keys.keys
 WHERE key_id IN (:'one', :'spare') ORDER BY 1;

-- Revocation, once: revoked_at and revoked_by together, then never again.
UPDATE auth_keys.keys SET revoked_at = now(), revoked_by = 'dba' WHERE key_id = :'spare';
SELECT auth_keys.key_status(revoked_at, used_up_at, expires_at) AS status, revoked_by
  FROM auth_keys.keys WHERE key_id = :'spare';
UPDATE auth_keys.keys SET revoked_at = NULL, revoked_by = NULL WHERE key_id = :'spare';
\echo :LAST_ERROR_SQLSTATE
UPDATE auth_keys.keys SET revoked_at = NULL WHERE key_id = :'spare';
\echo :LAST_ERROR_SQLSTATE
UPDATE auth_keys.keys SET revoked_by = 'someone else' WHERE key_id = :'spare';
\echo :LAST_ERROR_SQLSTATE
UPDATE auth_keys.keys SET revoked_at = revoked_at + interval '1 hour' WHERE key_id = :'spare';
\echo :LAST_ERROR_SQLSTATE

-- Uses, upwards only.
UPDATE auth_keys.keys SET uses = 2, last_used_at = now() WHERE key_id = :'limited';
UPDATE auth_keys.keys SET uses = 1 WHERE key_id = :'limited';
\echo :LAST_ERROR_SQLSTATE
SELECT uses, last_used_at IS NOT NULL AS has_last_used_at
  FROM auth_keys.keys WHERE key_id = :'limited';

-- Using up, once.
UPDATE auth_keys.keys SET uses = 1, used_up_at = now() WHERE key_id = :'burnt';
SELECT uses, auth_keys.key_status(revoked_at, used_up_at, expires_at) AS status
  FROM auth_keys.keys WHERE key_id = :'burnt';
UPDATE auth_keys.keys SET used_up_at = NULL WHERE key_id = :'burnt';
\echo :LAST_ERROR_SQLSTATE
UPDATE auth_keys.keys SET uses = 0, used_up_at = NULL WHERE key_id = :'burnt';
\echo :LAST_ERROR_SQLSTATE

--
-- What a row must say about itself (CHECK constraints)
--
-- The failing row would be printed with its random key id and times, so
-- these messages are terse.
\set VERBOSITY terse

-- revoked_at and revoked_by go together
UPDATE auth_keys.keys SET revoked_at = now() WHERE key_id = :'one';
\echo :LAST_ERROR_SQLSTATE

-- at most 50 characters of description
UPDATE auth_keys.keys SET description = repeat('d', 51) WHERE key_id = :'one';
\echo :LAST_ERROR_SQLSTATE

-- no more uses than allowed: max_uses, or one for a one-off key
UPDATE auth_keys.keys SET uses = 4, used_up_at = now() WHERE key_id = :'limited';
\echo :LAST_ERROR_SQLSTATE
UPDATE auth_keys.keys SET uses = 2, used_up_at = now() WHERE key_id = :'one';
\echo :LAST_ERROR_SQLSTATE

-- used_up_at is set exactly when the uses are spent
UPDATE auth_keys.keys SET used_up_at = now() WHERE key_id = :'one';
\echo :LAST_ERROR_SQLSTATE
UPDATE auth_keys.keys SET uses = 1 WHERE key_id = :'one';
\echo :LAST_ERROR_SQLSTATE
UPDATE auth_keys.keys SET uses = 1, used_up_at = now() WHERE key_id = :'one';
SELECT uses, auth_keys.key_status(revoked_at, used_up_at, expires_at) AS status
  FROM auth_keys.keys WHERE key_id = :'one';

-- Direct INSERTs: expiry 1 to 90 days after creation, a 32-byte hash, a
-- key id of 12 base62 characters, well-formed tags, a use limit only on
-- reusable keys.
INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, created_at, expires_at,
                            secret_hash)
VALUES ('DirectKey001', :acme_id, 'dba', '2026-01-01 00:00+00', '2026-04-02 00:00+00',
        sha256('a'));
\echo :LAST_ERROR_SQLSTATE
INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, created_at, expires_at,
                            secret_hash)
VALUES ('DirectKey001', :acme_id, 'dba', '2026-01-01 00:00+00', '2026-01-01 12:00+00',
        sha256('a'));
\echo :LAST_ERROR_SQLSTATE
INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, created_at, expires_at,
                            secret_hash)
VALUES ('DirectKey001', :acme_id, 'dba', '2026-01-01 00:00+00', '2026-01-02 00:00+00',
        substring(sha256('a') from 1 for 31));
\echo :LAST_ERROR_SQLSTATE
INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, created_at, expires_at,
                            secret_hash)
VALUES ('DirectKey01', :acme_id, 'dba', '2026-01-01 00:00+00', '2026-01-02 00:00+00',
        sha256('a'));
\echo :LAST_ERROR_SQLSTATE
INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, created_at, expires_at,
                            secret_hash)
VALUES ('Direct-Key01', :acme_id, 'dba', '2026-01-01 00:00+00', '2026-01-02 00:00+00',
        sha256('a'));
\echo :LAST_ERROR_SQLSTATE
INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, tags, created_at, expires_at,
                            secret_hash)
VALUES ('DirectKey001', :acme_id, 'dba', '{tag:Web}', '2026-01-01 00:00+00',
        '2026-01-02 00:00+00', sha256('a'));
\echo :LAST_ERROR_SQLSTATE
INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, max_uses, created_at,
                            expires_at, secret_hash)
VALUES ('DirectKey001', :acme_id, 'dba', 2, '2026-01-01 00:00+00', '2026-01-02 00:00+00',
        sha256('a'));
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default

-- The limits themselves are allowed.
INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, created_at, expires_at,
                            secret_hash)
VALUES ('DirectKey001', :acme_id, 'dba', '2026-01-01 00:00+00', '2026-04-01 00:00+00',
        sha256('a')),
       ('DirectKey002', :acme_id, 'dba', '2026-01-01 00:00+00', '2026-01-02 00:00+00',
        sha256('b'));
SELECT key_id, expires_at - created_at AS expiry FROM auth_keys.keys
 WHERE key_id LIKE 'Direct%' ORDER BY key_id;

DROP EXTENSION auth_keys;
DROP SCHEMA auth_keys;
