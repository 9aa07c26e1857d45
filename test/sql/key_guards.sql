--
-- key_guards: direct changes to auth_keys.keys keep the invariants, and
-- are recorded
--
-- The trigger keys_guard refuses changes that need the old row to judge
-- (SQLSTATE 23000) and rows that contradict themselves (23514, 23502),
-- with messages that never show the row (a constraint's "Failing row
-- contains" would print the secret's hash).  A key INSERTed directly must
-- be a new key, as create_key makes it; COPY, which restores dumps, loads
-- keys as they were.  Every change the extension's functions did not make
-- leaves an event naming the database role.
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
-- What a row must say about itself
--

-- Messages name the rule and never show the row (its DETAIL says why).

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

-- Rows that contradict themselves, whoever inserts them: expiry 1 to 90
-- days after creation, a 32-byte hash, a key id of 12 base62 characters,
-- well-formed tags, a use limit only on reusable keys, no missing values.
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
INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, expires_at, secret_hash)
VALUES ('DirectKey001', :acme_id, 'olivia', now() + interval '1 day', NULL);
\echo :LAST_ERROR_SQLSTATE

-- COPY, as a dump is restored, loads keys as they were: the limits
-- themselves are allowed, and nothing is recorded.
COPY auth_keys.keys (key_id, tailnet_id, created_by, created_at, expires_at, secret_hash) FROM STDIN;
DirectKey001	1	dba	2026-01-01 00:00+00	2026-04-01 00:00+00	\\xca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb
DirectKey002	1	dba	2026-01-01 00:00+00	2026-01-02 00:00+00	\\x3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d
\.
SELECT key_id, expires_at - created_at AS expiry FROM auth_keys.keys
 WHERE key_id LIKE 'Direct%' ORDER BY key_id;
-- COPY still refuses a row that contradicts itself
COPY auth_keys.keys (key_id, tailnet_id, created_by, created_at, expires_at, secret_hash) FROM STDIN;
DirectKey003	1	dba	2026-01-01 00:00+00	2026-05-01 00:00+00	\\xca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb
\.

--
-- A key INSERTed directly is a new key, as create_key makes it
--

-- a member who may generate keys, a key created now and unused: allowed,
-- and recorded under the database role
INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, tags, expires_at, secret_hash)
VALUES ('DirectKey004', :acme_id, 'olivia', '{tag:web}', now() + interval '7 days', sha256('d'));
SELECT key_id, action, actor, detail FROM auth_keys.events
 WHERE key_id = 'DirectKey004' ORDER BY event_id;
-- a creator who is no member, or may not generate keys
SELECT auth_keys.set_member('acme', 'mike', 'member');
INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, expires_at, secret_hash)
VALUES ('DirectKey005', :acme_id, 'mallory', now() + interval '7 days', sha256('e'));
\echo :LAST_ERROR_SQLSTATE
INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, expires_at, secret_hash)
VALUES ('DirectKey005', :acme_id, 'mike', now() + interval '7 days', sha256('e'));
\echo :LAST_ERROR_SQLSTATE
-- a tag the creator may not apply
SELECT auth_keys.set_member('acme', 'adam', 'admin');
INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, tags, expires_at, secret_hash)
VALUES ('DirectKey005', :acme_id, 'adam', '{tag:web}', now() + interval '7 days', sha256('e'));
\echo :LAST_ERROR_SQLSTATE
-- history is not a new key
INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, created_at, expires_at, secret_hash)
VALUES ('DirectKey005', :acme_id, 'olivia', now() - interval '1 day', now() + interval '7 days',
        sha256('e'));
\echo :LAST_ERROR_SQLSTATE

-- A used one-off key deleted and inserted again, unused, with a far
-- expiry, does not come back: the row as it was is history, and a row
-- made new again is refused for what it says about its creation.
SELECT to_jsonb(k) AS burnt_row FROM auth_keys.keys k WHERE key_id = :'burnt' \gset
DELETE FROM auth_keys.keys WHERE key_id = :'burnt';
\set columns 'key_id, tailnet_id, created_by, description, reusable, ephemeral, preauthorized, tags, max_uses, uses, created_at, expires_at, revoked_at, revoked_by, last_used_at, used_up_at, secret_hash'
INSERT INTO auth_keys.keys (:columns)
SELECT :columns FROM jsonb_populate_record(NULL::auth_keys.keys,
                                           :'burnt_row'::jsonb || '{"uses": 0, "used_up_at": null}');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO auth_keys.keys (:columns)
SELECT :columns FROM jsonb_populate_record(NULL::auth_keys.keys,
                                           :'burnt_row'::jsonb || jsonb_build_object(
                                               'uses', 0, 'used_up_at', NULL,
                                               'expires_at', now() + interval '89 days'));
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS burnt_is_back FROM auth_keys.keys WHERE key_id = :'burnt';

-- Every direct change is in the audit trail, with the database role.
SELECT action, actor, key_id IN (:'one', :'limited', :'spare', :'burnt') AS known_key,
       detail
  FROM auth_keys.events
 WHERE actor LIKE 'role:%' AND action LIKE 'key.%'
 ORDER BY event_id;
TRUNCATE auth_keys.keys CASCADE;
SELECT action, actor, tailnet_id, detail FROM auth_keys.events WHERE action LIKE '%.truncated';

DROP EXTENSION auth_keys;
DROP SCHEMA auth_keys;
