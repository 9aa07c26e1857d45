--
-- validate_key: what a key would do, without spending it
--
CREATE EXTENSION auth_keys;
CREATE EXTENSION pgcrypto;
\set SHOW_CONTEXT never

-- Keys built by hand, independently of the extension's C code.
\i test/fixtures/key_checksum.sql

-- the standard check value of CRC-32
SELECT regress_crc32('123456789') = x'CBF43926'::bigint AS crc32_check;

SELECT auth_keys.create_tailnet('acme') AS acme_id \gset
SELECT auth_keys.set_member('acme', 'olivia', 'owner');
SELECT auth_keys.set_tag_owners('acme', 'tag:web', '{autogroup:admin}');
CREATE ROLE regress_validate_key_node;
SELECT auth_keys.grant_tier('node', 'regress_validate_key_node');

BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT key_id AS one_id, key AS one_key, expires_at AS one_expires
  FROM auth_keys.create_key(expiry => '7 days') \gset
SELECT key_id AS multi_id, key AS multi_key, expires_at AS multi_expires
  FROM auth_keys.create_key(reusable => true, ephemeral => true, preauthorized => true,
                            tags => '{tag:web}') \gset
SELECT key_id AS limited_id, key AS limited_key
  FROM auth_keys.create_key(reusable => true, max_uses => 5) \gset
SELECT key_id AS revoked_id, key AS revoked_key
  FROM auth_keys.create_key() \gset
SELECT key_id AS used_id, key AS used_key
  FROM auth_keys.create_key() \gset
SELECT auth_keys.revoke_key(:'revoked_id');
COMMIT;

-- The helper reproduces the checksum of the keys create_key hands out.
SELECT regress_with_checksum(left(k, -6)) = k AS same_checksum
  FROM unnest(ARRAY[:'one_key', :'multi_key', :'limited_key']) AS k;

-- The pgcrypto oracle: the stored hash is the SHA-256 of the 32-character
-- secret, which follows the key id.
SELECT k.key_id = :'one_id' AS one, k.key_id = :'multi_id' AS multi,
       k.secret_hash = digest(left(split_part(v.key, '-', 4), 32), 'sha256') AS hash_matches
  FROM auth_keys.keys k
  JOIN (VALUES (:'one_id', :'one_key'), (:'multi_id', :'multi_key'),
               (:'limited_id', :'limited_key')) AS v(key_id, key) USING (key_id)
 ORDER BY 1, 2;

--
-- Keys that exist, with their status
--

SET SESSION AUTHORIZATION regress_validate_key_node;

-- A valid one-off key: one use left.
SELECT key_id = :'one_id' AS key_id, tailnet, status, reusable, ephemeral, preauthorized,
       tags, expires_at = :'one_expires' AS expires_at, uses_left
  FROM auth_keys.validate_key(:'one_key');

-- A reusable key without a limit has no count of uses left.
SELECT key_id = :'multi_id' AS key_id, tailnet, status, reusable, ephemeral, preauthorized,
       tags, expires_at = :'multi_expires' AS expires_at, uses_left
  FROM auth_keys.validate_key(:'multi_key');

-- A reusable key with a limit counts down.
SELECT key_id = :'limited_id' AS key_id, status, reusable, uses_left
  FROM auth_keys.validate_key(:'limited_key');
RESET SESSION AUTHORIZATION;
UPDATE auth_keys.keys SET uses = 2 WHERE key_id = :'limited_id';
SET SESSION AUTHORIZATION regress_validate_key_node;
SELECT status, uses_left FROM auth_keys.validate_key(:'limited_key');

-- A revoked key.
SELECT key_id = :'revoked_id' AS key_id, tailnet, status, uses_left
  FROM auth_keys.validate_key(:'revoked_key');

-- A used one-off key.
RESET SESSION AUTHORIZATION;
UPDATE auth_keys.keys SET uses = 1, used_up_at = now() WHERE key_id = :'used_id';
SET SESSION AUTHORIZATION regress_validate_key_node;
SELECT key_id = :'used_id' AS key_id, tailnet, status, uses_left
  FROM auth_keys.validate_key(:'used_key');

-- An expired key.  Expiry is fixed at creation, so the row is inserted with
-- its times in the past, for a key built here: its hash from pgcrypto, its
-- checksum from the helper.
RESET SESSION AUTHORIZATION;
\set expired_secret 'ExpiredSecret0123456789abcdefghi'
SELECT regress_with_checksum('pgak-auth-ExpiredKey01-' || :'expired_secret') AS expired_key
\gset
SET session_replication_role = replica;  -- history, loaded past the guard
INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, tags, created_at, expires_at,
                            secret_hash)
VALUES ('ExpiredKey01', :acme_id, 'olivia', '{tag:web}', now() - interval '10 days',
        now() - interval '5 days', digest(:'expired_secret', 'sha256'));
RESET session_replication_role;
SET SESSION AUTHORIZATION regress_validate_key_node;
SELECT key_id, tailnet, status, reusable, ephemeral, preauthorized, tags,
       expires_at < now() AS in_the_past, uses_left
  FROM auth_keys.validate_key(:'expired_key');

-- Revoked takes precedence over expired.
RESET SESSION AUTHORIZATION;
UPDATE auth_keys.keys SET revoked_at = now(), revoked_by = 'olivia'
 WHERE key_id = 'ExpiredKey01';
SET SESSION AUTHORIZATION regress_validate_key_node;
SELECT status FROM auth_keys.validate_key(:'expired_key');
RESET SESSION AUTHORIZATION;

--
-- Keys that are not keys: status invalid, and nothing else
--

CREATE TABLE regress_variants (name text PRIMARY KEY, key text);
GRANT SELECT ON regress_variants TO regress_validate_key_node;
SELECT left(:'one_key', 10) AS prefix, substr(:'one_key', 11, 12) AS key_id,
       substr(:'one_key', 24, 32) AS secret \gset
SELECT regexp_instr(:'one_key', '[A-Za-z]', 24) AS letter_at \gset
INSERT INTO regress_variants VALUES
    ('original', :'one_key'),
    ('empty', ''),
    ('null', NULL),
    ('truncated by one', left(:'one_key', -1)),
    ('one extra character', :'one_key' || 'x'),
    ('one extra digit', :'one_key' || '0'),
    ('upper case', upper(:'one_key')),
    ('secret letter case flipped',
     overlay(:'one_key' placing
             CASE WHEN substr(:'one_key', :letter_at, 1) ~ '[a-z]'
                  THEN upper(substr(:'one_key', :letter_at, 1))
                  ELSE lower(substr(:'one_key', :letter_at, 1)) END
             from :letter_at for 1)),
    ('checksum digit changed',
     left(:'one_key', -1) || CASE WHEN right(:'one_key', 1) = '0' THEN '1' ELSE '0' END),
    ('key id changed',
     overlay(:'one_key' placing
             CASE WHEN substr(:'one_key', 11, 1) = 'a' THEN 'b' ELSE 'a' END from 11 for 1)),
    ('forged secret, right checksum',
     regress_with_checksum(:'prefix' || :'key_id' || '-' || repeat('A', 32))),
    ('unknown key id, right checksum',
     regress_with_checksum(:'prefix' || 'NoSuchKeyId0' || '-' || :'secret')),
    ('secret too short, right checksum',
     regress_with_checksum(:'prefix' || :'key_id' || '-' || left(:'secret', 31))),
    ('other product prefix', 'tskey-auth-' || substr(:'one_key', 11)),
    ('upper-case prefix', 'PGAK-auth-' || substr(:'one_key', 11)),
    ('no prefix', substr(:'one_key', 5)),
    ('leading space', ' ' || :'one_key'),
    ('trailing space', :'one_key' || ' '),
    ('trailing newline', :'one_key' || E'\n'),
    ('space inside', overlay(:'one_key' placing ' ' from 30 for 0)),
    ('newline inside', overlay(:'one_key' placing E'\n' from 30 for 0)),
    ('space for a dash', overlay(:'one_key' placing ' ' from 23 for 1)),
    ('key id only', :'key_id'),
    ('secret only', :'secret');

SET SESSION AUTHORIZATION regress_validate_key_node;
SELECT v.name, r.status,
       num_nulls(r.key_id, r.tailnet, r.reusable, r.ephemeral, r.preauthorized, r.tags,
                 r.expires_at, r.uses_left) AS null_columns
  FROM regress_variants v, auth_keys.validate_key(v.key) r
 ORDER BY v.name;
-- one row, even for NULL
SELECT count(*) AS rows FROM auth_keys.validate_key(NULL);

-- The prefix is not part of what is proven: a key id and secret presented
-- under another well-formed prefix, with the checksum to match, are the
-- same key.
SELECT status FROM auth_keys.validate_key(
    regress_with_checksum('tskey-auth-' || :'key_id' || '-' || :'secret'));
RESET SESSION AUTHORIZATION;

--
-- validate_key consumes nothing
--

SELECT count(*) AS events_before FROM auth_keys.events \gset
SET SESSION AUTHORIZATION regress_validate_key_node;
SELECT status FROM auth_keys.validate_key(:'one_key');
SELECT status FROM auth_keys.validate_key(:'one_key');
SELECT status FROM auth_keys.validate_key(:'limited_key');
RESET SESSION AUTHORIZATION;
SELECT key_id = :'one_id' AS one, uses, last_used_at IS NULL AS never_used,
       used_up_at IS NULL AS not_used_up
  FROM auth_keys.keys WHERE key_id IN (:'one_id', :'limited_id') ORDER BY 1;
SELECT count(*) - :events_before AS new_events FROM auth_keys.events;

DROP TABLE regress_variants;
DROP FUNCTION regress_with_checksum(text);
DROP FUNCTION regress_crc32(text);
DROP EXTENSION pgcrypto;
DROP EXTENSION auth_keys;
DROP SCHEMA auth_keys;
DROP ROLE regress_validate_key_node;
