--
-- delegate: the tier of an application backend that acts for many members
-- (act_as and every actor function, no tenant administration), for every
-- tailnet or for named ones; act_as outside a transaction block warns; a
-- read with no actor says so
--
CREATE EXTENSION auth_keys;
\set SHOW_CONTEXT never

SELECT auth_keys.create_tailnet(name) > 0 AS created
  FROM (VALUES ('acme'), ('globex'), ('initech')) AS t(name);
SELECT auth_keys.set_member('acme', 'alice', 'admin');
SELECT auth_keys.set_member('acme', 'mike', 'member');
SELECT auth_keys.set_member('acme', 'olga', 'owner');
SELECT auth_keys.set_member('globex', 'gail', 'owner');
SELECT auth_keys.set_member('initech', 'ian', 'owner');
SELECT auth_keys.set_tag_owners('acme', 'tag:server', '{autogroup:admin}');

-- a console for every tenant, a backend for acme and globex only, a role
-- that inherits from the limited one, and a role with no tier
CREATE ROLE regress_delegate_console;
CREATE ROLE regress_delegate_acme;
CREATE ROLE regress_delegate_acme_member IN ROLE regress_delegate_acme;
CREATE ROLE regress_delegate_none;

-- grant_tier checks its arguments before granting anything
SELECT auth_keys.grant_tier('delegate', 'regress_delegate_acme', tailnets => '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.grant_tier('delegate', 'regress_delegate_acme', tailnets => '{acme,nowhere}');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.grant_tier('delegate', 'regress_delegate_acme', tailnets => ARRAY['acme', NULL]);
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.grant_tier('actor', 'regress_delegate_acme', tailnets => '{acme}');
\echo :LAST_ERROR_SQLSTATE
SELECT has_function_privilege('regress_delegate_acme', 'auth_keys.act_as(text, text)', 'EXECUTE')
    AS granted_anyway;

SELECT auth_keys.grant_tier('delegate', 'regress_delegate_console');
SELECT auth_keys.grant_tier('delegate', 'regress_delegate_acme', tailnets => '{acme}');
-- granting adds: globex too, and acme twice changes nothing
SELECT auth_keys.grant_tier('delegate', 'regress_delegate_acme', tailnets => '{globex,acme}');
SELECT grantee, tier, tailnets FROM auth_keys.tier_grants()
 WHERE grantee::text LIKE 'regress\_delegate\_%' ORDER BY grantee::text, tier;
SELECT d.delegate, t.name FROM auth_keys.delegates d
  LEFT JOIN auth_keys.tailnets t USING (tailnet_id) ORDER BY d.delegate::text, t.name;

-- What the tier gives: act_as and the actor functions, not administration.
SELECT f AS function,
       has_function_privilege('regress_delegate_console', f, 'EXECUTE') AS delegate
  FROM unnest(ARRAY['auth_keys.act_as(text, text)',
                    'auth_keys.create_key(boolean, boolean, boolean, text[], interval, text, integer)',
                    'auth_keys.revoke_key(text)', 'auth_keys.delete_node(bigint)',
                    'auth_keys.approve_node(bigint)',
                    'auth_keys.set_node_key_expiry(bigint, boolean)',
                    'auth_keys.set_node_tags(bigint, text[])',
                    'auth_keys.configure_tailnet(text, boolean, interval)',
                    'auth_keys.create_tailnet(text, boolean, interval)',
                    'auth_keys.set_member(text, text, text, name)',
                    'auth_keys.remove_member(text, text)',
                    'auth_keys.set_tag_owners(text, text, text[])',
                    'auth_keys.delete_tailnet(text)', 'auth_keys.sweep(integer)',
                    'auth_keys.schedule_sweep(text)', 'auth_keys.validate_key(text)',
                    'auth_keys.register_node(text, auth_keys.nodekey, text, bytea)',
                    'auth_keys.grant_tier(text, regrole, text[])']::regprocedure[]) AS f;
SELECT has_table_privilege('regress_delegate_console', 'auth_keys.key_list', 'SELECT') AS key_list,
       has_table_privilege('regress_delegate_console', 'auth_keys.tailnet_list', 'SELECT') AS tailnet_list,
       has_column_privilege('regress_delegate_console', 'auth_keys.keys', 'secret_hash', 'SELECT')
           AS secret_hash;

--
-- The console acts for anyone in any tailnet, with the member's rights.
--
SET SESSION AUTHORIZATION regress_delegate_console;
BEGIN;
SELECT auth_keys.act_as('acme', 'alice');
SELECT length(key) > 0 AS made FROM auth_keys.create_key(tags => '{tag:server}',
                                                         description => 'by the console');
SELECT created_by, description, tags, status FROM auth_keys.key_list;
SELECT auth_keys.configure_tailnet('acme', device_approval => true);
COMMIT;
BEGIN;
SELECT auth_keys.act_as('globex', 'gail');
SELECT count(*) AS acme_keys_seen_from_globex FROM auth_keys.key_list;
COMMIT;
-- a member's own limits still hold
BEGIN;
SELECT auth_keys.act_as('acme', 'mike');
SELECT * FROM auth_keys.create_key();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT auth_keys.act_as('acme', 'mike');
SELECT auth_keys.configure_tailnet('acme', device_approval => false);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- and no tenant administration, acting or not
SELECT auth_keys.create_tailnet('console.example');
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SELECT auth_keys.act_as('acme', 'olga');
SELECT auth_keys.set_member('acme', 'mallory', 'owner');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT auth_keys.set_tag_owners('acme', 'tag:server', '{mike}');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.delete_tailnet('initech');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM auth_keys.tailnet_list;
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.grant_tier('delegate', 'regress_delegate_none');
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;

--
-- The acme backend acts in acme and globex only; elsewhere it learns
-- nothing, not even whether the tailnet exists.
--
SET SESSION AUTHORIZATION regress_delegate_acme;
BEGIN;
SELECT auth_keys.act_as('acme', 'alice');
SELECT count(*) AS acme_keys FROM auth_keys.key_list;
COMMIT;
BEGIN;
SELECT auth_keys.act_as('globex', 'gail');
COMMIT;
BEGIN;
SELECT auth_keys.act_as('initech', 'ian');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT auth_keys.act_as('nowhere', 'ian');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
RESET SESSION AUTHORIZATION;
-- a role that inherits the delegate role's tier acts where it may
SET SESSION AUTHORIZATION regress_delegate_acme_member;
BEGIN;
SELECT auth_keys.act_as('acme', 'alice');
COMMIT;
BEGIN;
SELECT auth_keys.act_as('initech', 'ian');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
RESET SESSION AUTHORIZATION;
-- without the tier, act_as is not even executable
SET SESSION AUTHORIZATION regress_delegate_none;
SELECT auth_keys.act_as('acme', 'alice');
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;

-- revoke_tier with tailnets takes those away and keeps the tier
SELECT auth_keys.revoke_tier('delegate', 'regress_delegate_acme', tailnets => '{globex}');
SET SESSION AUTHORIZATION regress_delegate_acme;
BEGIN;
SELECT auth_keys.act_as('globex', 'gail');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT auth_keys.act_as('acme', 'alice');
COMMIT;
RESET SESSION AUTHORIZATION;

-- Deleting its only tailnet leaves the limited delegate acting nowhere,
-- never everywhere.
SELECT auth_keys.create_tailnet('soon-gone') > 0 AS created;
SELECT auth_keys.set_member('soon-gone', 'sam', 'owner');
CREATE ROLE regress_delegate_gone;
SELECT auth_keys.grant_tier('delegate', 'regress_delegate_gone', tailnets => '{soon-gone}');
SELECT auth_keys.delete_tailnet('soon-gone');
SELECT count(*) AS rows_left FROM auth_keys.delegates
 WHERE delegate = 'regress_delegate_gone'::regrole;
SET SESSION AUTHORIZATION regress_delegate_gone;
BEGIN;
SELECT auth_keys.act_as('acme', 'alice');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
RESET SESSION AUTHORIZATION;

-- revoke_tier takes the whole tier: act_as, the actor functions, the rows
SELECT auth_keys.revoke_tier('delegate', 'regress_delegate_acme');
SELECT has_function_privilege('regress_delegate_acme', 'auth_keys.act_as(text, text)', 'EXECUTE')
           AS act_as,
       has_function_privilege('regress_delegate_acme', 'auth_keys.revoke_key(text)', 'EXECUTE')
           AS revoke_key,
       has_table_privilege('regress_delegate_acme', 'auth_keys.key_list', 'SELECT') AS key_list,
       has_schema_privilege('regress_delegate_acme', 'auth_keys', 'USAGE') AS usage,
       (SELECT count(*) FROM auth_keys.delegates
         WHERE delegate = 'regress_delegate_acme'::regrole) AS rows_left;
-- an operator who is also a delegate keeps act_as when the delegate tier goes
CREATE ROLE regress_delegate_operator;
SELECT auth_keys.grant_tier('operator', 'regress_delegate_operator');
SELECT auth_keys.grant_tier('delegate', 'regress_delegate_operator');
SELECT auth_keys.revoke_tier('delegate', 'regress_delegate_operator');
SELECT has_function_privilege('regress_delegate_operator', 'auth_keys.act_as(text, text)',
                              'EXECUTE') AS act_as,
       has_function_privilege('regress_delegate_operator', 'auth_keys.revoke_key(text)',
                              'EXECUTE') AS revoke_key;

--
-- act_as outside a transaction block lasts for its own statement, and
-- warns; inside a function or a transaction block it does not.
--
SET SESSION AUTHORIZATION regress_delegate_console;
SELECT auth_keys.act_as('acme', 'alice');
SELECT auth_keys.actor_login() AS actor_after_autocommit;
BEGIN;
SELECT auth_keys.act_as('acme', 'alice');
SELECT auth_keys.actor_login() AS actor_in_block;
COMMIT;
-- a function or DO block may use the actor itself: no warning
DO $$
BEGIN
    PERFORM auth_keys.act_as('acme', 'alice');
    RAISE NOTICE 'actor inside the DO block: %', auth_keys.actor_login();
END
$$;

--
-- A read with no actor sees no rows and says so, once per statement.
--
SELECT count(*) AS keys FROM auth_keys.key_list;
SELECT count(*) AS nodes FROM auth_keys.node_list;
SELECT count(*) AS tailnets FROM auth_keys.tailnet_settings;
BEGIN;
SELECT auth_keys.act_as('acme', 'alice');
SELECT count(*) AS keys_with_an_actor FROM auth_keys.key_list;
COMMIT;
RESET SESSION AUTHORIZATION;

--
-- Clean up
--
DROP EXTENSION auth_keys;
DROP SCHEMA auth_keys;
DROP ROLE regress_delegate_console, regress_delegate_acme_member, regress_delegate_acme,
          regress_delegate_none, regress_delegate_gone, regress_delegate_operator;
