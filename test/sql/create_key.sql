--
-- create_key: generating pre-authentication keys
--
CREATE EXTENSION auth_keys;
\set SHOW_CONTEXT never
-- Each statement that fails is rolled back alone, so that one transaction
-- (and its act_as) can hold a series of good and bad calls.
\set ON_ERROR_ROLLBACK on

SELECT auth_keys.create_tailnet('acme') IS NOT NULL AS created;
SELECT auth_keys.create_tailnet('globex') IS NOT NULL AS created;
SELECT auth_keys.set_member('acme', login, role)
  FROM (VALUES ('olivia', 'owner'), ('adam', 'admin'), ('ivan', 'it_admin'),
               ('nina', 'network_admin'), ('bill', 'billing_admin'),
               ('audrey', 'auditor'), ('mike', 'member')) AS m(login, role);
SELECT auth_keys.set_member('globex', 'gina', 'owner');
SELECT auth_keys.set_tag_owners('acme', 'tag:web', '{ivan}');
SELECT auth_keys.set_tag_owners('acme', 'tag:db', '{tag:web}');
SELECT auth_keys.set_tag_owners('acme', 'tag:prod', '{autogroup:admin}');
SELECT auth_keys.set_tag_owners('globex', 'tag:remote', '{gina}');

--
-- Who may generate keys
--

-- Owners, admins, IT admins and network admins may; nobody else.
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT key_id ~ '^[0-9A-Za-z]{12}$' AS created FROM auth_keys.create_key(description => 'owner');
SELECT auth_keys.act_as('acme', 'adam');
SELECT key_id ~ '^[0-9A-Za-z]{12}$' AS created FROM auth_keys.create_key(description => 'admin');
SELECT auth_keys.act_as('acme', 'ivan');
SELECT key_id ~ '^[0-9A-Za-z]{12}$' AS created
  FROM auth_keys.create_key(description => 'it_admin');
SELECT auth_keys.act_as('acme', 'nina');
SELECT key_id ~ '^[0-9A-Za-z]{12}$' AS created
  FROM auth_keys.create_key(description => 'network_admin');
SELECT auth_keys.act_as('acme', 'bill');
SELECT * FROM auth_keys.create_key(description => 'billing_admin');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.act_as('acme', 'audrey');
SELECT * FROM auth_keys.create_key(description => 'auditor');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.act_as('acme', 'mike');
SELECT * FROM auth_keys.create_key(description => 'member');
\echo :LAST_ERROR_SQLSTATE
COMMIT;
SELECT created_by, description FROM auth_keys.keys ORDER BY created_by;

--
-- The arguments
--

BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');

-- Expiry is 1 to 90 days inclusive; left out or NULL, it is 90 days.
SELECT expires_at - now() AS expiry FROM auth_keys.create_key(expiry => '1 day');
SELECT count(*) FROM auth_keys.create_key(expiry => '90 days', description => 'expiry 90');
SELECT count(*) FROM auth_keys.create_key(description => 'expiry default');
SELECT count(*) FROM auth_keys.create_key(expiry => NULL, description => 'expiry null');
SELECT description, expires_at - created_at AS expiry,
       expires_at - created_at = '90 days' AS is_90_days
  FROM auth_keys.keys WHERE description LIKE 'expiry%' ORDER BY description;
SELECT * FROM auth_keys.create_key(expiry => '23:59:59');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.create_key(expiry => '90 days 1 second');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.create_key(expiry => '0');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.create_key(expiry => '-1 day');
\echo :LAST_ERROR_SQLSTATE

-- A description has at most 50 characters (characters, not bytes:
-- create_key_utf8).
SELECT count(*) FROM auth_keys.create_key(description => repeat('d', 50));
SELECT char_length(description) AS chars
  FROM auth_keys.keys WHERE description = repeat('d', 50);
SELECT * FROM auth_keys.create_key(description => repeat('d', 51));
\echo :LAST_ERROR_SQLSTATE

-- A use limit needs a reusable key and is at least 1.
SELECT * FROM auth_keys.create_key(max_uses => 3);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.create_key(reusable => true, max_uses => 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.create_key(reusable => true, max_uses => -1);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM auth_keys.create_key(reusable => true, max_uses => 3,
                                          description => 'three uses');
SELECT count(*) FROM auth_keys.create_key(reusable => true, description => 'unlimited');
SELECT count(*) FROM auth_keys.create_key(ephemeral => true, preauthorized => true,
                                          description => 'ephemeral preauthorized');
SELECT description, reusable, ephemeral, preauthorized, max_uses, uses
  FROM auth_keys.keys
 WHERE description IN ('three uses', 'unlimited', 'ephemeral preauthorized', 'owner')
 ORDER BY description;

-- The flags must not be NULL.
SELECT * FROM auth_keys.create_key(reusable => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.create_key(ephemeral => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.create_key(preauthorized => NULL);
\echo :LAST_ERROR_SQLSTATE
COMMIT;

--
-- Tags
--

-- A tag must be defined in the actor's tailnet and owned by the actor:
-- by login, through autogroup:admin (owners and admins), or through a tag
-- that owns it.
BEGIN;
SELECT auth_keys.act_as('acme', 'ivan');
SELECT count(*) FROM auth_keys.create_key(tags => '{tag:web}', description => 'ivan web');
SELECT count(*) FROM auth_keys.create_key(tags => '{tag:db}', description => 'ivan db');
SELECT * FROM auth_keys.create_key(tags => '{tag:prod}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.create_key(tags => '{tag:web, tag:prod}');
\echo :LAST_ERROR_SQLSTATE
-- several tags are kept sorted, and duplicates collapse
SELECT count(*) FROM auth_keys.create_key(tags => '{tag:web, tag:db}',
                                          description => 'ivan web db');
SELECT count(*) FROM auth_keys.create_key(tags => '{tag:web, tag:db, tag:web}',
                                          description => 'ivan web db web');
SELECT auth_keys.act_as('acme', 'olivia');
SELECT count(*) FROM auth_keys.create_key(tags => '{tag:prod}', description => 'olivia prod');
SELECT * FROM auth_keys.create_key(tags => '{tag:web}');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.act_as('acme', 'adam');
SELECT count(*) FROM auth_keys.create_key(tags => '{tag:prod}', description => 'adam prod');
SELECT auth_keys.act_as('acme', 'nina');
SELECT * FROM auth_keys.create_key(tags => '{tag:prod}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.create_key(tags => '{tag:db}');
\echo :LAST_ERROR_SQLSTATE

-- Undefined tags, tags of another tailnet, malformed tags and NULL
-- elements are refused; a NULL array means no tags.
SELECT * FROM auth_keys.create_key(tags => '{tag:nope}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.create_key(tags => '{tag:remote}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.create_key(tags => '{tag:Web}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.create_key(tags => '{web}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.create_key(tags => ARRAY['tag:web', NULL]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_keys.create_key(tags => '{{tag:web}, {tag:db}}');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM auth_keys.create_key(tags => NULL, description => 'nina no tags');
COMMIT;
SELECT created_by, description, tags FROM auth_keys.keys
 WHERE description LIKE 'ivan %' OR description LIKE '% prod' OR description = 'nina no tags'
 ORDER BY created_by, description;

--
-- The key returned
--

BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT key_id AS key_id, key AS key, expires_at AS expires_at
  FROM auth_keys.create_key(description => 'format') \gset
SELECT key_id AS other_key_id, key AS other_key
  FROM auth_keys.create_key(description => 'format 2') \gset
COMMIT;
SELECT split_part(:'key', '-', 4) AS secret_and_checksum \gset
SELECT left(:'secret_and_checksum', 32) AS secret \gset

-- Its format, and its key id, which is also the row's.
SELECT :'key' ~ '^pgak-auth-[0-9A-Za-z]{12}-[0-9A-Za-z]{38}$' AS well_formed,
       split_part(:'key', '-', 3) = :'key_id' AS key_id_in_key,
       length(:'key_id') AS key_id_length;
SELECT count(*) AS rows, bool_and(expires_at = :'expires_at') AS same_expiry
  FROM auth_keys.keys WHERE key_id = :'key_id';
-- two keys share neither their id nor their secret
SELECT :'key_id' <> :'other_key_id' AS other_id,
       left(split_part(:'other_key', '-', 4), 32) <> :'secret' AS other_secret;

-- The key is never stored: no column holds the key or its secret, as text
-- or as bytes.
SELECT count(*) FILTER (WHERE strpos(k::text, :'key') > 0) AS rows_with_key,
       count(*) FILTER (WHERE strpos(k::text, :'secret') > 0) AS rows_with_secret,
       count(*) FILTER (WHERE strpos(k::text, encode(convert_to(:'secret', 'UTF8'), 'hex')) > 0)
           AS rows_with_secret_bytes
  FROM auth_keys.keys k;

-- Its creation is in the audit trail, without the key or the secret.
SELECT actor, action, detail - 'expires_at' AS detail,
       (detail->>'expires_at')::timestamptz = :'expires_at' AS expires_at_recorded,
       strpos(e::text, :'secret') = 0 AS no_secret
  FROM auth_keys.events e WHERE key_id = :'key_id';
SELECT count(*) FILTER (WHERE strpos(e::text, :'secret') > 0) AS events_with_secret
  FROM auth_keys.events e;

--
-- The key prefix setting
--

-- A superuser may change the prefix of new keys.
SET auth_keys.key_prefix = 'corp';
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT key AS corp_key FROM auth_keys.create_key(description => 'corp') \gset
COMMIT;
SELECT :'corp_key' ~ '^corp-auth-[0-9A-Za-z]{12}-[0-9A-Za-z]{38}$' AS corp_format;
SET auth_keys.key_prefix = 'a234567890123456';
SHOW auth_keys.key_prefix;

-- A prefix is a lower-case letter and at most 15 more lower-case letters
-- or digits.
SET auth_keys.key_prefix = 'Bad';
\echo :LAST_ERROR_SQLSTATE
SET auth_keys.key_prefix = 'a-b';
\echo :LAST_ERROR_SQLSTATE
SET auth_keys.key_prefix = '';
\echo :LAST_ERROR_SQLSTATE
SET auth_keys.key_prefix = '1abc';
\echo :LAST_ERROR_SQLSTATE
SET auth_keys.key_prefix = 'a2345678901234567';
\echo :LAST_ERROR_SQLSTATE
SHOW auth_keys.key_prefix;

-- Keys issued under an earlier prefix stay valid.
SELECT status FROM auth_keys.validate_key(:'key');
SELECT status FROM auth_keys.validate_key(:'corp_key');
RESET auth_keys.key_prefix;
SHOW auth_keys.key_prefix;
SELECT status FROM auth_keys.validate_key(:'key');
SELECT status FROM auth_keys.validate_key(:'corp_key');

-- Only superusers change the prefix.
CREATE ROLE regress_create_key_user;
SET SESSION AUTHORIZATION regress_create_key_user;
SET auth_keys.key_prefix = 'mine';
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;

DROP EXTENSION auth_keys;
DROP SCHEMA auth_keys;
DROP ROLE regress_create_key_user;
