--
-- The rules of names, logins and hostnames for characters beyond U+00FF,
-- which only a UTF8 database holds.  Other encodings skip it
-- (name_rules_utf8_1.out).
--
SELECT getdatabaseencoding() OPERATOR(pg_catalog.<>) 'UTF8' AS skip_test \gset
\if :skip_test
\quit
\endif
CREATE EXTENSION auth_keys;
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on

SELECT v.what,
       auth_keys.tailnet_name_is_valid(v.value) AS tailnet_name,
       auth_keys.login_is_valid(v.value) AS login,
       auth_keys.hostname_is_valid(v.value) AS hostname
  FROM (VALUES (1, 'letters', 'münchen-東京'),
               (2, 'emoji', 'fleet-' || chr(128640)),
               (3, 'ogham space U+1680', 'a' || chr(5760) || 'b'),
               (4, 'en quad U+2000', 'a' || chr(8192) || 'b'),
               (5, 'zero-width space U+200B', 'ac' || chr(8203) || 'me'),
               (6, 'zero-width joiner U+200D', 'ac' || chr(8205) || 'me'),
               (7, 'right-to-left mark U+200F', 'ac' || chr(8207) || 'me'),
               (8, 'line separator U+2028', 'a' || chr(8232) || 'b'),
               (9, 'right-to-left override U+202E', 'ac' || chr(8238) || 'me'),
               (10, 'narrow no-break space U+202F', 'a' || chr(8239) || 'b'),
               (11, 'word joiner U+2060', 'ac' || chr(8288) || 'me'),
               (12, 'ideographic space U+3000', 'a' || chr(12288) || 'b'),
               (13, 'Hangul filler U+3164', 'a' || chr(12644)),
               (14, 'variation selector U+FE0F', 'a' || chr(65039)),
               (15, 'byte order mark U+FEFF', chr(65279) || 'acme'),
               (16, 'tag character U+E0041', 'acme' || chr(917569)),
               (17, '50 two-byte characters', repeat('é', 50)),
               (18, '51 two-byte characters', repeat('é', 51)),
               (19, '255 two-byte characters', repeat('é', 255)),
               (20, '256 two-byte characters', repeat('é', 256))) AS v(ord, what, value)
 ORDER BY v.ord;

-- The functions and the constraints agree.
SELECT auth_keys.create_tailnet('ac' || chr(8203) || 'me') IS NOT NULL AS created;
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.create_tailnet('münchen') IS NOT NULL AS created;
SELECT auth_keys.set_member('münchen', 'jürgen' || chr(8206), 'admin');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
INSERT INTO auth_keys.tailnets (name) VALUES ('ac' || chr(8203) || 'me');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO auth_keys.members (tailnet_id, login, role)
SELECT tailnet_id, 'jürgen' || chr(8206), 'member' FROM auth_keys.tailnets;
\echo :LAST_ERROR_SQLSTATE
SELECT name FROM auth_keys.tailnets;

DROP EXTENSION auth_keys;
