--
-- actor: who is acting, by act_as() for one transaction or by a database
-- role mapped to a member
--
CREATE EXTENSION auth_keys;
\set SHOW_CONTEXT never

SELECT auth_keys.create_tailnet('acme') IS NOT NULL AS created;
SELECT auth_keys.create_tailnet('globex') IS NOT NULL AS created;
SELECT auth_keys.set_member('acme', 'alice', 'owner');
SELECT auth_keys.set_member('acme', 'bob', 'admin');
SELECT auth_keys.set_member('globex', 'gina', 'owner');

-- Who is acting, as one row.
CREATE VIEW actor AS
SELECT auth_keys.actor_login() AS login,
       (SELECT name FROM auth_keys.tailnets
         WHERE tailnet_id = auth_keys.actor_tailnet_id()) AS tailnet;

-- With neither act_as nor a mapping, nobody is acting.
SELECT * FROM actor;

--
-- act_as checks its arguments
--

-- The tailnet must exist and the login be a member of it.
SELECT auth_keys.act_as('nowhere', 'alice');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.act_as('acme', 'nobody');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.act_as('acme', 'gina');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.act_as('acme', 'Alice');
\echo :LAST_ERROR_SQLSTATE

-- NULL is refused like any other unknown tailnet or login.
SELECT auth_keys.act_as(NULL, 'alice');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.act_as('acme', NULL);
\echo :LAST_ERROR_SQLSTATE

-- A refused act_as leaves the actor as it was.
BEGIN;
SELECT auth_keys.act_as('acme', 'alice');
SAVEPOINT s;
SELECT auth_keys.act_as('acme', 'nobody');
ROLLBACK TO SAVEPOINT s;
SELECT * FROM actor;
COMMIT;

--
-- act_as lasts for the transaction only
--

-- It holds for every statement of the transaction, and is gone after COMMIT.
BEGIN;
SELECT auth_keys.act_as('acme', 'alice');
SELECT * FROM actor;
SELECT auth_keys.actor_sees_all_keys() AS sees_all_keys;
COMMIT;
SELECT * FROM actor;

-- ... and after ROLLBACK.
BEGIN;
SELECT auth_keys.act_as('acme', 'alice');
SELECT * FROM actor;
ROLLBACK;
SELECT * FROM actor;

-- ... and after a transaction that failed.
BEGIN;
SELECT auth_keys.act_as('acme', 'alice');
SELECT 1 / 0;
ROLLBACK;
SELECT * FROM actor;

-- Without a transaction block, it lasts for its own statement only.
SELECT auth_keys.act_as('acme', 'alice');
SELECT * FROM actor;

-- A second act_as replaces the first, in another tailnet too.
BEGIN;
SELECT auth_keys.act_as('acme', 'alice');
SELECT auth_keys.act_as('globex', 'gina');
SELECT * FROM actor;
COMMIT;

--
-- act_as and savepoints
--

-- Rolling back to a savepoint taken before act_as undoes it ...
BEGIN;
SAVEPOINT s;
SELECT auth_keys.act_as('acme', 'alice');
SELECT * FROM actor;
ROLLBACK TO SAVEPOINT s;
SELECT * FROM actor;
COMMIT;

-- ... and brings back the actor from before the savepoint.
BEGIN;
SELECT auth_keys.act_as('acme', 'alice');
SAVEPOINT s;
SELECT auth_keys.act_as('acme', 'bob');
SELECT * FROM actor;
ROLLBACK TO SAVEPOINT s;
SELECT * FROM actor;
COMMIT;

-- Rolling back to a savepoint taken after act_as keeps it.
BEGIN;
SELECT auth_keys.act_as('acme', 'alice');
SAVEPOINT s;
SELECT 1 / 0;
ROLLBACK TO SAVEPOINT s;
SELECT * FROM actor;
COMMIT;

-- An act_as inside a released savepoint stays, until a rollback to an
-- enclosing savepoint.
BEGIN;
SAVEPOINT s;
SELECT auth_keys.act_as('acme', 'alice');
RELEASE SAVEPOINT s;
SELECT * FROM actor;
SAVEPOINT outer_sp;
SAVEPOINT inner_sp;
SELECT auth_keys.act_as('acme', 'bob');
RELEASE SAVEPOINT inner_sp;
SELECT * FROM actor;
ROLLBACK TO SAVEPOINT outer_sp;
SELECT * FROM actor;
COMMIT;
SELECT * FROM actor;

--
-- SET cannot forge an actor
--

-- There is no setting that holds the actor, and the auth_keys prefix is
-- reserved, so no such setting can be made up either.
SET auth_keys.actor = 'alice';
\echo :LAST_ERROR_SQLSTATE
SET auth_keys.actor_login = 'alice';
\echo :LAST_ERROR_SQLSTATE
SELECT set_config('auth_keys.actor', 'acme/alice', false);
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SET LOCAL auth_keys.actor = 'alice';
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT * FROM actor;

-- Settings outside the prefix are only settings.
SET myapp.actor = 'alice';
SET auth.actor = 'acme/alice';
SELECT current_setting('myapp.actor') AS myapp_actor, * FROM actor;
RESET myapp.actor;
RESET auth.actor;

-- The real settings of the prefix are still there.
SHOW auth_keys.key_prefix;

--
-- Database roles mapped to members
--

CREATE ROLE regress_actor_alice;
CREATE ROLE regress_actor_gina;
CREATE ROLE regress_actor_plain;
CREATE ROLE regress_actor_node;
CREATE ROLE regress_actor_operator;
SELECT auth_keys.grant_tier('actor', r::regrole)
  FROM unnest(ARRAY['regress_actor_alice', 'regress_actor_gina',
                    'regress_actor_plain']) AS r;
SELECT auth_keys.grant_tier('node', 'regress_actor_node');
SELECT auth_keys.grant_tier('operator', 'regress_actor_operator');
GRANT SELECT ON actor TO regress_actor_alice, regress_actor_gina, regress_actor_plain,
                         regress_actor_operator;
SELECT auth_keys.set_member('acme', 'alice', 'owner', db_role => 'regress_actor_alice');
SELECT auth_keys.set_member('globex', 'gina', 'owner', db_role => 'regress_actor_gina');
SELECT auth_keys.set_member('acme', 'oscar', 'member', db_role => 'regress_actor_operator');

-- A mapped role is the actor without act_as, as the session user ...
SET SESSION AUTHORIZATION regress_actor_alice;
SELECT * FROM actor;
SELECT count(*) AS keys_created FROM auth_keys.create_key(description => 'by mapping');
RESET SESSION AUTHORIZATION;
SELECT created_by, description FROM auth_keys.keys;
SELECT * FROM actor;

-- ... and through SET ROLE, which may change within a transaction.
SET ROLE regress_actor_gina;
SELECT * FROM actor;
RESET ROLE;
SELECT * FROM actor;
BEGIN;
SET LOCAL ROLE regress_actor_alice;
SELECT * FROM actor;
SET LOCAL ROLE regress_actor_gina;
SELECT * FROM actor;
RESET ROLE;
SELECT * FROM actor;
COMMIT;

-- A SECURITY DEFINER function does not change who is acting: the role in
-- effect outside any function is.
CREATE FUNCTION regress_actor_whoami() RETURNS text
    LANGUAGE sql SECURITY DEFINER
    RETURN current_user || ' acting as ' || coalesce(auth_keys.actor_login(), 'nobody');
ALTER FUNCTION regress_actor_whoami() OWNER TO regress_actor_gina;
SET ROLE regress_actor_alice;
SELECT regress_actor_whoami();
RESET ROLE;

-- act_as overrides the mapping, for its transaction only.
SET SESSION AUTHORIZATION regress_actor_operator;
SELECT * FROM actor;
BEGIN;
SELECT auth_keys.act_as('globex', 'gina');
SELECT * FROM actor;
COMMIT;
SELECT * FROM actor;

-- A change of mapping by set_member takes effect at once, within the
-- transaction that makes it.
BEGIN;
SELECT * FROM actor;
SELECT auth_keys.set_member('acme', 'oscar', 'member');
SELECT * FROM actor;
SELECT auth_keys.set_member('acme', 'bob', 'admin', db_role => 'regress_actor_operator');
SELECT * FROM actor;
SELECT auth_keys.actor_sees_all_keys() AS sees_all_keys;
COMMIT;
SELECT * FROM actor;
-- ... and so does a change of role, and the removal of the member.
SELECT auth_keys.set_member('acme', 'bob', 'billing_admin', db_role => 'regress_actor_operator');
SELECT auth_keys.actor_sees_all_keys() AS sees_all_keys;
SELECT auth_keys.remove_member('acme', 'bob');
SELECT * FROM actor;
RESET SESSION AUTHORIZATION;

-- A role with no mapping and no act_as is nobody, and the actor functions
-- say how to become somebody.
SET SESSION AUTHORIZATION regress_actor_plain;
SELECT * FROM actor;
SELECT * FROM auth_keys.create_key();
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.revoke_key('000000000000');
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;

-- act_as is for operators: EXECUTE is not granted to PUBLIC, nor with the
-- actor or node tiers.
SELECT count(*) FILTER (WHERE a.grantee = 0) AS public_grants
  FROM pg_proc p, aclexplode(p.proacl) a
 WHERE p.oid = 'auth_keys.act_as(text, text)'::regprocedure;
SET SESSION AUTHORIZATION regress_actor_plain;
SELECT auth_keys.act_as('acme', 'alice');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM actor;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_actor_node;
SELECT auth_keys.act_as('acme', 'alice');
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_actor_alice;
SELECT auth_keys.act_as('globex', 'gina');
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;

-- A mapping names the role itself, not its name: a role dropped and created
-- again under the same name is not the member (it was an owner here).
CREATE ROLE regress_actor_reborn;
SELECT auth_keys.grant_tier('actor', 'regress_actor_reborn');
SELECT auth_keys.set_member('acme', 'olivia', 'owner', db_role => 'regress_actor_reborn');
SET SESSION AUTHORIZATION regress_actor_reborn;
SELECT auth_keys.actor_login() AS acting_as;
RESET SESSION AUTHORIZATION;
SELECT auth_keys.revoke_tier('actor', 'regress_actor_reborn');
DROP ROLE regress_actor_reborn;
SELECT login, db_role IS NOT NULL AS still_mapped, db_role::oid::regrole::text ~ '^[0-9]+$' AS dangling
  FROM auth_keys.members WHERE login = 'olivia';
CREATE ROLE regress_actor_reborn;
SELECT auth_keys.grant_tier('actor', 'regress_actor_reborn');
SET SESSION AUTHORIZATION regress_actor_reborn;
SELECT auth_keys.actor_login() AS acting_as;
SELECT count(*) FROM auth_keys.create_key();
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
-- the new role may be mapped on its own, as any role
SELECT auth_keys.set_member('acme', 'olivia', 'owner', db_role => 'regress_actor_reborn');
SET SESSION AUTHORIZATION regress_actor_reborn;
SELECT auth_keys.actor_login() AS acting_as;
RESET SESSION AUTHORIZATION;
SELECT auth_keys.set_member('acme', 'olivia', 'owner');
SELECT auth_keys.revoke_tier('actor', 'regress_actor_reborn');
DROP ROLE regress_actor_reborn;

DROP FUNCTION regress_actor_whoami();
DROP VIEW actor;
DROP EXTENSION auth_keys;
-- the schema holds the USAGE grants of grant_tier
DROP SCHEMA auth_keys;
DROP ROLE regress_actor_alice;
DROP ROLE regress_actor_gina;
DROP ROLE regress_actor_plain;
DROP ROLE regress_actor_node;
DROP ROLE regress_actor_operator;
