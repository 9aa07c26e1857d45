--
-- The rules of tailnet names, logins and hostnames: one C rule for the
-- functions and the CHECK constraints, judging code points, so that every
-- encoding and locale gives the same answer.  chr() below makes the same
-- code point in UTF8, LATIN1 and SQL_ASCII databases (all under 256), so
-- this file's output is the same in each.
--
CREATE EXTENSION auth_keys;
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on

-- The rules as functions, which the constraints call.
SELECT v.what,
       auth_keys.tailnet_name_is_valid(v.value) AS tailnet_name,
       auth_keys.login_is_valid(v.value) AS login,
       auth_keys.hostname_is_valid(v.value) AS hostname
  FROM (VALUES (1, 'plain', 'acme'),
               (2, 'empty', ''),
               (3, 'space', 'my laptop'),
               (4, 'tab', 'a' || chr(9) || 'b'),
               (5, 'newline', 'a' || chr(10) || 'b'),
               (6, 'carriage return', 'a' || chr(13) || 'b'),
               (7, 'bell', 'a' || chr(7) || 'b'),
               (8, 'escape', 'a' || chr(27) || '[31m'),
               (9, 'delete', 'a' || chr(127)),
               (10, 'next line U+0085', 'a' || chr(133) || 'b'),
               (11, 'C1 U+009B', 'a' || chr(155)),
               (12, 'no-break space U+00A0', 'a' || chr(160) || 'b'),
               (13, 'soft hyphen U+00AD', 'ac' || chr(173) || 'me'),
               (14, 'letter U+00E9', 'caf' || chr(233)),
               (15, 'tag: prefix', 'tag:server'),
               (16, 'autogroup: prefix', 'autogroup:member'),
               (17, 'role: prefix', 'role:admin'),
               (18, 'Tag: in capitals', 'Tag:server'),
               (19, 'client: prefix', 'client:ci'),
               (20, '100 bytes', repeat('n', 100)),
               (21, '101 bytes', repeat('n', 101)),
               (22, '255 bytes', repeat('n', 255)),
               (23, '256 bytes', repeat('n', 256))) AS v(ord, what, value)
 ORDER BY v.ord;

-- NULL is no verdict (the columns are NOT NULL anyway).
SELECT auth_keys.tailnet_name_is_valid(NULL) IS NULL AS null_name,
       auth_keys.login_is_valid(NULL) IS NULL AS null_login,
       auth_keys.hostname_is_valid(NULL) IS NULL AS null_hostname;

-- Anyone may execute them (the constraints call them as whoever writes):
-- they judge only the text they are given.
CREATE ROLE regress_name_rules_nobody;
SELECT f AS function, has_function_privilege('regress_name_rules_nobody', f, 'EXECUTE') AS anyone
  FROM unnest(ARRAY['auth_keys.tailnet_name_is_valid(text)', 'auth_keys.login_is_valid(text)',
                    'auth_keys.hostname_is_valid(text)']) AS f;
DROP ROLE regress_name_rules_nobody;

--
-- The functions refuse with 22023 and say which rule; none writes.
--
SELECT auth_keys.create_tailnet('acme' || chr(160)) IS NOT NULL AS created;
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.create_tailnet('acme' || chr(133)) IS NOT NULL AS created;
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.create_tailnet('ac' || chr(173) || 'me') IS NOT NULL AS created;
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.create_tailnet('acme') IS NOT NULL AS created;

SELECT auth_keys.set_member('acme', 'adam' || chr(133), 'admin');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_member('acme', 'adam' || chr(160), 'admin');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_member('acme', 'role:adam', 'admin');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_member('acme', 'adam', 'admin');

BEGIN;
SELECT auth_keys.act_as('acme', 'adam');
SELECT key AS key FROM auth_keys.create_key(reusable => true) \gset
\set nodekey 'nodekey:' a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1
SELECT count(*) FROM auth_keys.register_node(:'key', :'nodekey',
    'laptop' || chr(9) || 'evil');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM auth_keys.register_node(:'key', :'nodekey',
    'laptop' || chr(10) || 'LOG:  forged line');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM auth_keys.register_node(:'key', :'nodekey',
    'laptop' || chr(133));
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM auth_keys.register_node(:'key', :'nodekey',
    repeat('h', 256));
\echo :LAST_ERROR_SQLSTATE
-- spaces and a no-break space are fine in a hostname
SELECT reauthenticated FROM auth_keys.register_node(:'key', :'nodekey',
    'Adam''s laptop');
SELECT hostname FROM auth_keys.node_list;
SELECT auth_keys.hostname_is_valid('Adam' || chr(160) || 'laptop') AS nbsp_hostname;
-- four calls refused, one accepted: one use spent
SELECT uses FROM auth_keys.key_list;
COMMIT;

--
-- Direct writes meet the same rule, as a CHECK constraint (23514).  (The
-- rows PostgreSQL prints in DETAIL hold the time of the test: not shown.)
--
\set VERBOSITY terse
INSERT INTO auth_keys.tailnets (name) VALUES ('evil' || chr(160));
\echo :LAST_ERROR_SQLSTATE
UPDATE auth_keys.tailnets SET name = 'acme' || chr(133) WHERE name = 'acme';
\echo :LAST_ERROR_SQLSTATE
INSERT INTO auth_keys.members (tailnet_id, login, role)
SELECT tailnet_id, 'eve' || chr(9), 'member' FROM auth_keys.tailnets WHERE name = 'acme';
\echo :LAST_ERROR_SQLSTATE
INSERT INTO auth_keys.members (tailnet_id, login, role)
SELECT tailnet_id, 'tag:eve', 'member' FROM auth_keys.tailnets WHERE name = 'acme';
\echo :LAST_ERROR_SQLSTATE
UPDATE auth_keys.nodes SET hostname = 'laptop' || chr(10) || 'evil';
\echo :LAST_ERROR_SQLSTATE
UPDATE auth_keys.nodes SET hostname = '';
\echo :LAST_ERROR_SQLSTATE
SELECT t.name, m.login, n.hostname
  FROM auth_keys.tailnets t JOIN auth_keys.members m USING (tailnet_id)
  JOIN auth_keys.nodes n USING (tailnet_id);

DROP EXTENSION auth_keys;
