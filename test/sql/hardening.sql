--
-- hardening: the rules of "Security Considerations for Extension Scripts"
-- in the PostgreSQL documentation, and the grants that keep the privileged
-- functions to themselves
--
\set SHOW_CONTEXT never

--
-- Before the extension exists, plant objects in schema public that would
-- capture any unqualified name: functions named like the ones the install
-- script and the C code call, operators on the exact argument types of the
-- built-in ones and on looser types, domains shadowing type names, and
-- implicit casts.  Each of them, when it runs, records itself in
-- public.hostile_calls and then behaves like the real thing.
--
CREATE TABLE public.hostile_calls (object text NOT NULL);
GRANT INSERT ON public.hostile_calls TO PUBLIC;

-- functions
CREATE FUNCTION public.now() RETURNS timestamptz
    LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$ BEGIN INSERT INTO public.hostile_calls VALUES ('now()');
                RETURN pg_catalog.now(); END $$;
CREATE FUNCTION public.length(pg_catalog.bytea) RETURNS integer
    LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$ BEGIN INSERT INTO public.hostile_calls VALUES ('length(bytea)');
                RETURN pg_catalog.length($1); END $$;
CREATE FUNCTION public.length(pg_catalog.text) RETURNS integer
    LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$ BEGIN INSERT INTO public.hostile_calls VALUES ('length(text)');
                RETURN pg_catalog.length($1); END $$;
CREATE FUNCTION public.octet_length(pg_catalog.text) RETURNS integer
    LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$ BEGIN INSERT INTO public.hostile_calls VALUES ('octet_length(text)');
                RETURN pg_catalog.octet_length($1); END $$;
CREATE FUNCTION public.char_length(pg_catalog.text) RETURNS integer
    LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$ BEGIN INSERT INTO public.hostile_calls VALUES ('char_length(text)');
                RETURN pg_catalog.char_length($1); END $$;
CREATE FUNCTION public.jsonb_in(pg_catalog.text) RETURNS jsonb
    LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$ BEGIN INSERT INTO public.hostile_calls VALUES ('jsonb_in(text)');
                RETURN $1::pg_catalog.jsonb; END $$;
CREATE FUNCTION public.array_to_json(pg_catalog.text[]) RETURNS json
    LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$ BEGIN INSERT INTO public.hostile_calls VALUES ('array_to_json(text[])');
                RETURN pg_catalog.array_to_json($1); END $$;
CREATE FUNCTION public.unnest(pg_catalog.text[]) RETURNS SETOF pg_catalog.text
    LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$ BEGIN INSERT INTO public.hostile_calls VALUES ('unnest(text[])');
                RETURN QUERY SELECT pg_catalog.unnest($1); END $$;
CREATE FUNCTION public.format(pg_catalog.text, pg_catalog.regrole) RETURNS text
    LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$ BEGIN INSERT INTO public.hostile_calls VALUES ('format(text, regrole)');
                RETURN pg_catalog.format($1, $2); END $$;
CREATE FUNCTION public.format(pg_catalog.text, pg_catalog.regprocedure, pg_catalog.regrole)
    RETURNS text
    LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$ BEGIN INSERT INTO public.hostile_calls
                VALUES ('format(text, regprocedure, regrole)');
                RETURN pg_catalog.format($1, $2, $3); END $$;
CREATE FUNCTION public.has_function_privilege(oid, pg_catalog.text, pg_catalog.text)
    RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$ BEGIN INSERT INTO public.hostile_calls
                VALUES ('has_function_privilege(oid, text, text)');
                RETURN pg_catalog.has_function_privilege($1, $2, $3); END $$;
CREATE FUNCTION public.least(timestamptz, timestamptz, timestamptz) RETURNS timestamptz
    LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$ BEGIN INSERT INTO public.hostile_calls VALUES ('least(timestamptz x 3)');
                RETURN LEAST($1, $2, $3); END $$;
CREATE FUNCTION public.cardinality(pg_catalog.text[]) RETURNS integer
    LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$ BEGIN INSERT INTO public.hostile_calls VALUES ('cardinality(text[])');
                RETURN pg_catalog.cardinality($1); END $$;
CREATE FUNCTION public.pg_extension_config_dump(regclass, pg_catalog.text) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$ BEGIN INSERT INTO public.hostile_calls
                VALUES ('pg_extension_config_dump(regclass, text)'); END $$;

-- operators: the built-in signatures, then looser ones that would be chosen
-- for mismatched argument types
DO $$
DECLARE
    o record;
    n integer := 0;
BEGIN
    FOR o IN SELECT * FROM (VALUES
        ('=',  'text',        'text',        'boolean',     'a OPERATOR(pg_catalog.=) b'),
        ('=',  'bigint',      'bigint',      'boolean',     'a OPERATOR(pg_catalog.=) b'),
        ('=',  'integer',     'integer',     'boolean',     'a OPERATOR(pg_catalog.=) b'),
        ('=',  'name',        'name',        'boolean',     'a OPERATOR(pg_catalog.=) b'),
        ('=',  'boolean',     'boolean',     'boolean',     'a OPERATOR(pg_catalog.=) b'),
        ('=',  'text',        'anyelement',  'boolean',
               'a OPERATOR(pg_catalog.=) b::pg_catalog.text'),
        ('=',  'bigint',      'numeric',     'boolean',
               'a::pg_catalog.numeric OPERATOR(pg_catalog.=) b'),
        ('<>', 'text',        'text',        'boolean',     'a OPERATOR(pg_catalog.<>) b'),
        ('<>', 'bigint',      'bigint',      'boolean',     'a OPERATOR(pg_catalog.<>) b'),
        ('<>', 'bigint',      'numeric',     'boolean',
               'a::pg_catalog.numeric OPERATOR(pg_catalog.<>) b'),
        ('>=', 'integer',     'integer',     'boolean',     'a OPERATOR(pg_catalog.>=) b'),
        ('>=', 'interval',    'interval',    'boolean',     'a OPERATOR(pg_catalog.>=) b'),
        ('>=', 'integer',     'numeric',     'boolean',
               'a::pg_catalog.numeric OPERATOR(pg_catalog.>=) b'),
        ('<=', 'integer',     'integer',     'boolean',     'a OPERATOR(pg_catalog.<=) b'),
        ('<=', 'interval',    'interval',    'boolean',     'a OPERATOR(pg_catalog.<=) b'),
        ('<=', 'timestamptz', 'timestamptz', 'boolean',     'a OPERATOR(pg_catalog.<=) b'),
        ('<=', 'integer',     'numeric',     'boolean',
               'a::pg_catalog.numeric OPERATOR(pg_catalog.<=) b'),
        ('>',  'timestamptz', 'timestamptz', 'boolean',     'a OPERATOR(pg_catalog.>) b'),
        ('>',  'timestamptz', 'timestamp',   'boolean',     'a OPERATOR(pg_catalog.>) b'),
        ('<',  'timestamptz', 'timestamptz', 'boolean',     'a OPERATOR(pg_catalog.<) b'),
        ('~',  'text',        'text',        'boolean',     'a OPERATOR(pg_catalog.~) b'),
        ('!~', 'text',        'text',        'boolean',     'a OPERATOR(pg_catalog.!~) b'),
        ('-',  'timestamptz', 'timestamptz', 'interval',    'a OPERATOR(pg_catalog.-) b'),
        ('-',  'timestamptz', 'interval',    'timestamptz', 'a OPERATOR(pg_catalog.-) b'),
        ('+',  'timestamptz', 'interval',    'timestamptz', 'a OPERATOR(pg_catalog.+) b'),
        ('+',  'integer',     'integer',     'integer',     'a OPERATOR(pg_catalog.+) b'),
        ('>',  'integer',     'integer',     'boolean',     'a OPERATOR(pg_catalog.>) b'),
        ('<>', 'xid',         'xid',         'boolean',     'a OPERATOR(pg_catalog.<>) b'),
        -- this one would take any type without an = of its own in the path,
        -- such as auth_keys.nodekey
        ('=',  'anyelement',  'anyelement',  'boolean',
               'a::pg_catalog.text OPERATOR(pg_catalog.=) b::pg_catalog.text')
    ) AS v(op, l, r, result, impl)
    LOOP
        n := n OPERATOR(pg_catalog.+) 1;
        EXECUTE pg_catalog.format(
            'CREATE FUNCTION public.hostile_op_%s(a %s, b %s) RETURNS %s'
            ' LANGUAGE plpgsql SET search_path = pg_catalog'
            ' AS $f$ BEGIN INSERT INTO public.hostile_calls VALUES (%L); RETURN %s; END $f$',
            n, o.l, o.r, o.result, pg_catalog.concat_ws(' ', o.l, o.op, o.r), o.impl);
        EXECUTE pg_catalog.format(
            'CREATE OPERATOR public.%s'
            ' (LEFTARG = %s, RIGHTARG = %s, FUNCTION = public.hostile_op_%s)',
            o.op, o.l, o.r, n);
    END LOOP;
END
$$;

-- domains named like built-in types, whose check records any use
CREATE FUNCTION public.hostile_check(object pg_catalog.text) RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$ BEGIN INSERT INTO public.hostile_calls VALUES (object); RETURN true; END $$;
CREATE DOMAIN public.text AS pg_catalog.text
    CHECK (public.hostile_check('domain public.text'));
CREATE DOMAIN public.timestamptz AS pg_catalog.timestamptz
    CHECK (public.hostile_check('domain public.timestamptz'));
CREATE DOMAIN public.bytea AS pg_catalog.bytea
    CHECK (public.hostile_check('domain public.bytea'));

-- a type with implicit casts from text and bigint, and an operator on it
CREATE TYPE public.hostile_t AS (v pg_catalog.text);
CREATE FUNCTION public.hostile_t_from_text(pg_catalog.text) RETURNS public.hostile_t
    LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$ BEGIN INSERT INTO public.hostile_calls VALUES ('cast text -> hostile_t');
                RETURN ROW($1)::public.hostile_t; END $$;
CREATE FUNCTION public.hostile_t_from_bigint(bigint) RETURNS public.hostile_t
    LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$ BEGIN INSERT INTO public.hostile_calls VALUES ('cast bigint -> hostile_t');
                RETURN ROW($1::pg_catalog.text)::public.hostile_t; END $$;
CREATE CAST (pg_catalog.text AS public.hostile_t)
    WITH FUNCTION public.hostile_t_from_text(pg_catalog.text) AS IMPLICIT;
CREATE CAST (bigint AS public.hostile_t)
    WITH FUNCTION public.hostile_t_from_bigint(bigint) AS IMPLICIT;
CREATE FUNCTION public.hostile_t_eq(public.hostile_t, public.hostile_t) RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$ BEGIN INSERT INTO public.hostile_calls VALUES ('hostile_t = hostile_t');
                RETURN ($1).v OPERATOR(pg_catalog.=) ($2).v; END $$;
CREATE OPERATOR public.= (LEFTARG = public.hostile_t, RIGHTARG = public.hostile_t,
                          FUNCTION = public.hostile_t_eq);

-- roles that use the extension below, as an application would
CREATE ROLE regress_hardening_owner NOLOGIN;
CREATE ROLE regress_hardening_node NOLOGIN;

--
-- Install with the planted schema first in the search path: the script
-- runs with its own search path, and names everything it does not define
-- by schema, so nothing planted runs.
--
SET search_path = public, pg_catalog;
CREATE EXTENSION auth_keys;
SELECT pg_catalog.count(*) AS hostile_calls FROM public.hostile_calls;

--
-- Use every part of the extension with the planted schema still first in
-- the search path, as a superuser and as roles with the tiers.  The queries
-- of this block spell their own operators OPERATOR(pg_catalog.x), so that
-- only the extension could set off a planted object.
--

-- operator functions
SELECT auth_keys.create_tailnet(name => 'hardening.example', device_approval => true,
                                node_key_expiry => '30 days') IS NOT NULL AS created;
SELECT auth_keys.create_tailnet(name => 'hardening.example');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_member('hardening.example', 'olivia', 'owner',
                            db_role => 'regress_hardening_owner');
SELECT auth_keys.set_member('hardening.example', 'nadia', 'network_admin');
SELECT auth_keys.set_member('hardening.example', 'mel', 'member');
SELECT auth_keys.set_member('hardening.example', 'nadia', 'admin');
SELECT auth_keys.set_tag_owners('hardening.example', 'tag:server', ARRAY['autogroup:admin']);
SELECT auth_keys.set_tag_owners('hardening.example', 'tag:web', ARRAY['tag:server', 'nadia']);
SELECT auth_keys.set_tag_owners('hardening.example', 'tag:web', ARRAY['no-such-member']);
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.configure_tailnet('hardening.example', device_approval => false,
                                   node_key_expiry => '90 days');
SELECT auth_keys.grant_tier('actor', 'regress_hardening_owner');
SELECT auth_keys.grant_tier('node', 'regress_hardening_node');

-- actor functions and views, through act_as
BEGIN;
SELECT auth_keys.act_as('hardening.example', 'nadia');
SELECT key_id AS web_key_id, key AS web_key
  FROM auth_keys.create_key(reusable => true, tags => ARRAY['tag:web'], expiry => '7 days',
                            description => 'web servers', max_uses => 3) \gset
SELECT key_id AS once_key_id, key AS once_key
  FROM auth_keys.create_key(ephemeral => true, preauthorized => true) \gset
COMMIT;
BEGIN;
SELECT auth_keys.act_as('hardening.example', 'nadia');
SELECT auth_keys.revoke_key(:'once_key_id');
SELECT pg_catalog.count(*) AS listed FROM auth_keys.key_list;
SELECT status, uses_left, tags FROM auth_keys.key_list
 WHERE key_id OPERATOR(pg_catalog.=) :'web_key_id';
SELECT status, revoked_by FROM auth_keys.recent_invalid_keys;
COMMIT;

-- OAuth clients: a client made by a member, its token, a key it mints
-- acting through the token, and its revocation with its keys
BEGIN;
SELECT auth_keys.act_as('hardening.example', 'nadia');
SELECT client_id AS ci_client_id, secret AS ci_secret
  FROM auth_keys.create_oauth_client(ARRAY['auth_keys', 'devices:core'], ARRAY['tag:server'],
                                     description => 'ci') \gset
SELECT scopes, tags, status, minted_keys FROM auth_keys.oauth_client_list;
COMMIT;
SELECT access_token AS ci_token FROM auth_keys.oauth_token(:'ci_secret') \gset
SELECT token_type, expires_in, scopes, tags
  FROM auth_keys.oauth_token(:'ci_secret', scopes => ARRAY['auth_keys:read'], tags => ARRAY[]::text[]);
SELECT auth_keys.oauth_token(:'ci_secret', scopes => ARRAY['devices:core:read', 'nope']);
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SELECT auth_keys.act_as_token(:'ci_token');
SELECT pg_catalog.count(*) AS made
  FROM auth_keys.create_key(tags => ARRAY['tag:web'], description => 'by ci');
SELECT created_by, tags, oauth_client_id OPERATOR(pg_catalog.=) :'ci_client_id' AS by_ci
  FROM auth_keys.key_list;
SELECT pg_catalog.count(*) AS nodes FROM auth_keys.node_list;
COMMIT;
BEGIN;
SELECT auth_keys.act_as('hardening.example', 'olivia');
SELECT auth_keys.revoke_oauth_client(:'ci_client_id', revoke_keys => true);
COMMIT;

-- node-facing functions
SELECT tailnet, status, reusable, tags, uses_left
  FROM auth_keys.validate_key(:'web_key');
SELECT tailnet, status, ephemeral, preauthorized, uses_left
  FROM auth_keys.validate_key(:'once_key');
SELECT status FROM auth_keys.validate_key('pgak-auth-000000000000-not-a-key');

-- the same as non-superusers: a member mapped to a role, and a node backend
SET SESSION AUTHORIZATION regress_hardening_owner;
SELECT key_id AS owner_key_id
  FROM auth_keys.create_key(tags => ARRAY['tag:server'], description => 'db') \gset
SELECT auth_keys.create_key(expiry => '91 days');
\echo :LAST_ERROR_SQLSTATE
SELECT pg_catalog.count(*) AS listed FROM auth_keys.key_list;
SELECT pg_catalog.count(*) AS rows FROM auth_keys.keys;
SELECT pg_catalog.count(*) AS rows FROM auth_keys.events;
SELECT auth_keys.revoke_key(:'owner_key_id');
SELECT auth_keys.configure_tailnet('hardening.example', device_approval => true);
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_hardening_node;
SELECT status, uses_left FROM auth_keys.validate_key(:'web_key');
RESET SESSION AUTHORIZATION;

-- nodes: enrolment and heartbeat by the node backend, then the members'
-- functions on them (the tailnet now wants device approval)
SET SESSION AUTHORIZATION regress_hardening_node;
SELECT node_id AS web_node_id, authorized, key_expiry_disabled, reauthenticated
  FROM auth_keys.register_node(
        key => :'web_key', hostname => 'web-1',
        node_key => 'nodekey:0000000000000000000000000000000000000000000000000000000000000001')
\gset
SELECT :'authorized' AS authorized, :'key_expiry_disabled' AS key_expiry_disabled,
       :'reauthenticated' AS reauthenticated;
SELECT tailnet, tags, reauthenticated
  FROM auth_keys.register_node(
        key => :'web_key', hostname => 'web-1',
        node_key => 'nodekey:0000000000000000000000000000000000000000000000000000000000000001');
SELECT auth_keys.register_node(
        key => :'once_key', hostname => 'db-1',
        node_key => 'nodekey:0000000000000000000000000000000000000000000000000000000000000002');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.node_seen(
        'nodekey:0000000000000000000000000000000000000000000000000000000000000001') AS seen;
SELECT auth_keys.node_seen(
        'nodekey:00000000000000000000000000000000000000000000000000000000000000ff') AS seen;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_hardening_owner;
SELECT hostname, status, tags FROM auth_keys.node_list;
SELECT auth_keys.approve_node(:web_node_id);
SELECT auth_keys.set_node_key_expiry(:web_node_id, disabled => false);
SELECT auth_keys.set_node_tags(:web_node_id, ARRAY['tag:server', 'tag:web']);
SELECT hostname, status, tags, key_expiry_disabled FROM auth_keys.node_list;
SELECT auth_keys.delete_node(:web_node_id);
SELECT pg_catalog.count(*) AS nodes FROM auth_keys.node_list;
RESET SESSION AUTHORIZATION;

-- direct changes to the tables, which check the constraints and fire the
-- trigger
UPDATE auth_keys.keys SET description = 'web, renamed'
 WHERE key_id OPERATOR(pg_catalog.=) :'web_key_id';
UPDATE auth_keys.keys SET revoked_at = NULL, revoked_by = NULL
 WHERE key_id OPERATOR(pg_catalog.=) :'once_key_id';
\echo :LAST_ERROR_SQLSTATE
UPDATE auth_keys.keys SET uses = uses OPERATOR(pg_catalog.-) 1
 WHERE key_id OPERATOR(pg_catalog.=) :'web_key_id';
\echo :LAST_ERROR_SQLSTATE

-- taking things away
SELECT auth_keys.remove_member('hardening.example', 'nadia');
SELECT auth_keys.revoke_tier('node', 'regress_hardening_node');
SELECT auth_keys.revoke_tier('actor', 'regress_hardening_owner');

-- none of the planted objects ran
SELECT pg_catalog.count(*) AS hostile_calls FROM public.hostile_calls;

RESET search_path;

-- what the block above did, read back with the normal search path
-- (an OAuth client is named by its random id)
SELECT action, regexp_replace(actor, '^client:.*', 'client:*') AS actor,
       key_id IS NOT NULL AS has_key
  FROM auth_keys.events ORDER BY event_id;
SELECT description, auth_keys.key_status(revoked_at, used_up_at, expires_at) AS status,
       revoked_by
  FROM auth_keys.keys
 ORDER BY created_at, description;
SELECT device_approval, node_key_expiry FROM auth_keys.tailnets;

-- Positive control: the planted objects are live, and any unqualified
-- reference to them would have been recorded.
SET search_path = public, pg_catalog;
SELECT now() IS NOT NULL AS now,
       length('\x00'::pg_catalog.bytea) AS length_bytea,
       length('ab'::pg_catalog.text) AS length_text,
       octet_length('ab'::pg_catalog.text) AS octet_length,
       char_length('ab'::pg_catalog.text) AS char_length,
       jsonb_in('{}'::pg_catalog.text) AS jsonb_in,
       array_to_json(ARRAY['a']::pg_catalog.text[]) AS array_to_json,
       (SELECT unnest(ARRAY['a']::pg_catalog.text[])) AS unnest,
       format('%s'::pg_catalog.text, 'postgres'::regrole) AS format_1,
       format('%s %s'::pg_catalog.text, 'pg_catalog.now()'::regprocedure,
              'postgres'::regrole) AS format_2,
       has_function_privilege(10::oid, 'pg_catalog.now()'::pg_catalog.text,
                              'EXECUTE'::pg_catalog.text) AS has_function_privilege,
       "least"(pg_catalog.now(), pg_catalog.now(), pg_catalog.now()) IS NOT NULL AS least,
       cardinality(ARRAY['a']::pg_catalog.text[]) AS cardinality;
SELECT 'a'::pg_catalog.text = 'a'::pg_catalog.text AS eq_text,
       1::bigint = 1::bigint AS eq_bigint,
       1 = 1 AS eq_integer,
       'a'::pg_catalog.name = 'a'::pg_catalog.name AS eq_name,
       true = true AS eq_boolean,
       '1'::pg_catalog.text = 1 AS eq_text_any,
       1::bigint = 1.0 AS eq_bigint_numeric,
       'a'::pg_catalog.text <> 'b'::pg_catalog.text AS ne_text,
       1::bigint <> 2::bigint AS ne_bigint,
       1::bigint <> 2.0 AS ne_bigint_numeric,
       2 >= 1 AS ge_integer,
       '2 days'::interval >= '1 day'::interval AS ge_interval,
       2 >= 1.0 AS ge_integer_numeric,
       1 <= 2 AS le_integer,
       '1 day'::interval <= '2 days'::interval AS le_interval,
       1 <= 2.0 AS le_integer_numeric;
SELECT pg_catalog.now() <= pg_catalog.now() AS le_timestamptz,
       pg_catalog.now() > pg_catalog.now() AS gt_timestamptz,
       pg_catalog.now() > 'infinity'::timestamp AS gt_timestamptz_timestamp,
       pg_catalog.now() < pg_catalog.now() AS lt_timestamptz,
       'ab'::pg_catalog.text ~ 'b' AS regex,
       'ab'::pg_catalog.text !~ 'c' AS not_regex,
       pg_catalog.now() - pg_catalog.now() AS minus_timestamptz,
       pg_catalog.now() - '1 day'::interval IS NOT NULL AS minus_interval,
       pg_catalog.now() + '1 day'::interval IS NOT NULL AS plus_interval,
       'a'::text AS domain_text,
       pg_catalog.now()::timestamptz IS NOT NULL AS domain_timestamptz,
       '\x00'::bytea AS domain_bytea,
       ROW('a')::hostile_t = 'a'::pg_catalog.text AS cast_text,
       ROW('1')::hostile_t = 1::bigint AS cast_bigint;
SELECT 1 + 1 AS plus_integer,
       2 > 1 AS gt_integer,
       '1'::xid <> '2'::xid AS ne_xid,
       CAST('nodekey:0000000000000000000000000000000000000000000000000000000000000001'
            AS auth_keys.nodekey)
       = CAST('nodekey:0000000000000000000000000000000000000000000000000000000000000001'
              AS auth_keys.nodekey) AS eq_nodekey;
SELECT pg_extension_config_dump('auth_keys.events', '');
RESET search_path;
SELECT DISTINCT object FROM public.hostile_calls ORDER BY object;

--
-- The extension's own objects
--

-- every object of the extension is in its schema
SELECT DISTINCT (pg_identify_object(classid, objid, objsubid)).schema
  FROM pg_depend
 WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'auth_keys')
 ORDER BY 1;

-- every SECURITY DEFINER function pins its search path (no rows)
SELECT p.oid::regprocedure AS unpinned_security_definer
  FROM pg_proc p
 WHERE p.pronamespace = 'auth_keys'::regnamespace AND p.prosecdef
   AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false);
SELECT count(*) > 0 AS has_security_definer_functions
  FROM pg_proc
 WHERE pronamespace = 'auth_keys'::regnamespace AND prosecdef;

-- functions that run SQL as written at call time pin theirs too: PL/pgSQL
-- ones, and SQL ones without a body bound at creation (no rows)
SELECT p.oid::regprocedure AS unpinned_late_bound
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = 'auth_keys'::regnamespace
   AND (l.lanname = 'plpgsql' OR (l.lanname = 'sql' AND p.prosqlbody IS NULL))
   AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false);

-- No function is executable by PUBLIC but the harmless helpers that policies,
-- constraints and views call as the caller (and the nodekey type's support
-- functions, which are harmless too, and lock_decode, which reads no
-- table); first the others (no rows) ...
SELECT p.oid::regprocedure AS executable_by_public
  FROM pg_proc p
 WHERE p.pronamespace = 'auth_keys'::regnamespace
   AND has_function_privilege('public', p.oid, 'EXECUTE')
   AND p.proname NOT IN ('tag_is_valid', 'tags_are_valid', 'key_status', 'key_uses_left',
                         'actor_tailnet_id', 'actor_login', 'actor_sees_all_keys',
                         'actor_sees_all_nodes', 'tailnet_visible', 'key_visible',
                         'node_visible', 'node_status', 'invalid_key_retention',
                         'tailnet_name_is_valid', 'login_is_valid', 'hostname_is_valid',
                         'node_lock_status', 'lock_decode',
                         'actor_client_tailnet_id', 'key_row_visible', 'node_row_visible')
   AND p.proname NOT LIKE 'nodekey\_%';

-- ... then the helpers, which must be executable by anyone for row-level
-- security to work
SELECT f::regprocedure AS helper, has_function_privilege('public', f::regprocedure, 'EXECUTE')
  FROM unnest(ARRAY['auth_keys.tag_is_valid(text)', 'auth_keys.tags_are_valid(text[])',
                    'auth_keys.key_status(timestamptz, timestamptz, timestamptz)',
                    'auth_keys.key_uses_left(boolean, integer, integer)',
                    'auth_keys.actor_tailnet_id()', 'auth_keys.actor_login()',
                    'auth_keys.actor_sees_all_keys()', 'auth_keys.tailnet_visible(bigint)',
                    'auth_keys.key_visible(bigint, text)', 'auth_keys.actor_sees_all_nodes()',
                    'auth_keys.node_visible(bigint, text)',
                    'auth_keys.node_status(boolean, timestamptz)',
                    'auth_keys.invalid_key_retention()',
                    'auth_keys.tailnet_name_is_valid(text)', 'auth_keys.login_is_valid(text)',
                    'auth_keys.hostname_is_valid(text)',
                    'auth_keys.node_lock_status(boolean, boolean, boolean)',
                    'auth_keys.lock_decode(bytea, text)',
                    'auth_keys.actor_client_tailnet_id(text)',
                    'auth_keys.key_row_visible(bigint, text, text)',
                    'auth_keys.node_row_visible(bigint, text)']) AS f
 ORDER BY f::regprocedure::text;

-- the tier functions, grant_tier, revoke_tier, tier_grants and uninstall are
-- nobody's by default
SELECT p.proname, has_function_privilege('public', p.oid, 'EXECUTE') AS public
  FROM pg_proc p
 WHERE p.pronamespace = 'auth_keys'::regnamespace
   AND p.proname IN ('create_tailnet', 'set_member', 'remove_member', 'set_tag_owners',
                     'configure_tailnet', 'act_as', 'create_key', 'revoke_key',
                     'delete_node', 'approve_node', 'set_node_key_expiry', 'set_node_tags',
                     'validate_key', 'register_node', 'node_seen',
                     'grant_tier', 'revoke_tier', 'tier_functions',
                     'nodes_seen', 'delete_tailnet', 'tailnet_list_rows',
                     'tailnet_deletion_rows', 'sweep_job_runs', 'tier_grants', 'uninstall',
                     'operator_relations',
                     'lock_submit', 'lock_head', 'lock_aums', 'lock_sign_node', 'lock_disable',
                     'create_oauth_client', 'revoke_oauth_client',
                     'oauth_token', 'act_as_token', 'oauth_client_list_rows')
 ORDER BY 1;

-- PUBLIC may not use the schema nor read any relation (no rows)
SELECT has_schema_privilege('public', 'auth_keys', 'USAGE') AS public_usage;
SELECT c.oid::regclass AS accessible_by_public
  FROM pg_class c
 WHERE c.relnamespace = 'auth_keys'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'S')
   AND (has_table_privilege('public', c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE')
        OR has_any_column_privilege('public', c.oid, 'SELECT, INSERT, UPDATE'));

-- every table (partitions too) has row-level security, and every table
-- that a tier may read has a policy
SELECT c.oid::regclass AS table_without_rls
  FROM pg_class c
 WHERE c.relnamespace = 'auth_keys'::regnamespace AND c.relkind IN ('r', 'p')
   AND (NOT c.relrowsecurity
        OR (NOT EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = c.oid)
            AND (c.oid IN (SELECT auth_keys.tier_relations(t)
                             FROM unnest(ARRAY['operator', 'actor', 'node']) AS t)
                 OR c.oid = 'auth_keys.keys'::regclass)));
-- the tables without a policy: no one but the extension's owner reads them
-- (the audit trail's partitions are read through events, and its policy)
SELECT c.oid::regclass AS table_without_policy
  FROM pg_class c
 WHERE c.relnamespace = 'auth_keys'::regnamespace AND c.relkind IN ('r', 'p')
   AND NOT EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = c.oid)
 ORDER BY c.oid::regclass::text;
-- Every view is a scan of one function of the definer, which returns the
-- actor's rows (the planner cannot push a caller's conditions into it),
-- and reads no table itself.
SELECT c.oid::regclass AS view, d.refobjid::regprocedure AS rows_from,
       p.prosecdef AS definer, p.proconfig AS settings
  FROM pg_class c
  JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass
                  AND d.objid = (SELECT oid FROM pg_rewrite WHERE ev_class = c.oid)
                  AND d.refclassid = 'pg_proc'::regclass
  JOIN pg_proc p ON p.oid = d.refobjid
 WHERE c.relnamespace = 'auth_keys'::regnamespace AND c.relkind = 'v'
 ORDER BY c.oid::regclass::text;
SELECT c.oid::regclass AS view_reading_a_table
  FROM pg_class c
  JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass
                  AND d.objid = (SELECT oid FROM pg_rewrite WHERE ev_class = c.oid)
                  AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> c.oid
 WHERE c.relnamespace = 'auth_keys'::regnamespace AND c.relkind = 'v';

-- clean up
DROP EXTENSION auth_keys;
SET client_min_messages = warning;
DROP TABLE public.hostile_calls;
DROP TYPE public.hostile_t CASCADE;
DROP DOMAIN public.text, public.timestamptz, public.bytea;
DROP FUNCTION public.hostile_check(pg_catalog.text);
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT oid FROM pg_proc
              WHERE pronamespace = 'public'::regnamespace AND proname LIKE 'hostile\_op\_%' LOOP
        EXECUTE format('DROP FUNCTION %s CASCADE', f);
    END LOOP;
END
$$;
DROP FUNCTION public.now(), public.length(bytea), public.length(text),
    public.octet_length(text), public.char_length(text), public.jsonb_in(text),
    public.array_to_json(text[]), public.unnest(text[]), public.format(text, regrole),
    public.format(text, regprocedure, regrole), public.has_function_privilege(oid, text, text),
    public.least(timestamptz, timestamptz, timestamptz), public.cardinality(text[]),
    public.pg_extension_config_dump(regclass, text);
RESET client_min_messages;
DROP OWNED BY regress_hardening_owner, regress_hardening_node;
DROP ROLE regress_hardening_owner, regress_hardening_node;
SELECT count(*) AS hostile_objects_left
  FROM pg_proc
 WHERE pronamespace = 'public'::regnamespace
   AND (proname LIKE 'hostile%' OR proname IN ('now', 'length', 'octet_length', 'char_length',
        'jsonb_in', 'array_to_json', 'unnest', 'format', 'has_function_privilege', 'least',
        'cardinality', 'pg_extension_config_dump'));
