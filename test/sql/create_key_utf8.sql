--
-- create_key in a UTF8 database: a description has at most 50
-- characters, however many bytes they take.  Other encodings skip it
-- (create_key_utf8_1.out): this file is written in UTF-8.
--
SELECT getdatabaseencoding() OPERATOR(pg_catalog.<>) 'UTF8' AS skip_test \gset
\if :skip_test
\quit
\endif
CREATE EXTENSION auth_keys;
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on

SELECT auth_keys.create_tailnet('acme') IS NOT NULL AS created;
SELECT auth_keys.set_member('acme', 'adam', 'admin');

BEGIN;
SELECT auth_keys.act_as('acme', 'adam');
SELECT count(*) FROM auth_keys.create_key(description => repeat('é', 50));
SELECT char_length(description) AS chars, octet_length(description) AS bytes
  FROM auth_keys.keys WHERE description = repeat('é', 50);
SELECT * FROM auth_keys.create_key(description => repeat('é', 51));
\echo :LAST_ERROR_SQLSTATE
-- four-byte characters count once too
SELECT count(*) FROM auth_keys.create_key(description => repeat('🔑', 50));
SELECT char_length(description) AS chars, octet_length(description) AS bytes
  FROM auth_keys.keys WHERE description = repeat('🔑', 50);
SELECT * FROM auth_keys.create_key(description => repeat('🔑', 51));
\echo :LAST_ERROR_SQLSTATE
COMMIT;

DROP EXTENSION auth_keys;
DROP SCHEMA auth_keys;
