-- examples/walkthrough.sql
--
-- A tour of auth_keys, run by examples/walkthrough.sh on a throwaway
-- cluster with pg_cron preloaded (cron.database_name names this database).
-- Read it top to bottom: each step says what it shows.  Each tier of
-- callers is a real login role, and each step connects as the role that
-- would do it in service:
--
--   platform       the platform operator (operator tier)
--   console        the admin console's backend, which acts for many
--                  members (delegate tier)
--   enrol_service  the backend that talks to devices (node tier)
--
-- The superuser only installs, grants the tiers, and plays the DBA.
--
-- psql 15 has no bind parameters, so the keys below are psql variables,
-- which end up in the text of each statement.  A backend in service sends
-- them as bind parameters instead, as the README's examples do, so that no
-- log and no pg_stat_activity ever shows them.

\set ON_ERROR_STOP 1
\set SHOW_CONTEXT never
\pset footer off

SELECT current_user AS dba \gset

\echo
\echo '1. The superuser installs pg_cron and auth_keys and gives each backend its tier.'
CREATE EXTENSION pg_cron;
CREATE EXTENSION auth_keys;
CREATE ROLE platform LOGIN;
CREATE ROLE console LOGIN;
CREATE ROLE enrol_service LOGIN;
\o /dev/null
SELECT auth_keys.grant_tier('operator', 'platform');
SELECT auth_keys.grant_tier('delegate', 'console');
SELECT auth_keys.grant_tier('node', 'enrol_service');
\o
SELECT grantee, tier FROM auth_keys.tier_grants() WHERE grantee::text <> current_user ORDER BY 2;

\echo
\echo '2. The platform operator creates a tenant ("tailnet"), its people and a tag, and'
\echo '   schedules the sweep.  The NOTICE says how the pg_cron job reaches the database.'
\connect - platform
SELECT auth_keys.create_tailnet('example.com', device_approval => true) AS tailnet_id;
\o /dev/null
SELECT auth_keys.set_member('example.com', 'alice@example.com', 'admin');
SELECT auth_keys.set_member('example.com', 'bob@example.com', 'member');
SELECT auth_keys.set_tag_owners('example.com', 'tag:server', ARRAY['autogroup:admin']);
SELECT auth_keys.set_tag_owners('example.com', 'tag:ci', ARRAY['autogroup:admin']);
SELECT auth_keys.schedule_sweep() AS job_id;
\o
SELECT name, device_approval, members, owners, tags, valid_keys, nodes FROM auth_keys.tailnet_list;

\echo
\echo '3. The console acts for Alice (an admin): a one-off key, a pre-approved tagged reusable'
\echo '   key for servers, and an ephemeral one for CI runners.  act_as() lasts until the end'
\echo '   of the transaction.  The full key is shown here, once; the database keeps its SHA-256.'
\connect - console
BEGIN;
SELECT auth_keys.act_as('example.com', 'alice@example.com') \g /dev/null
SELECT key_id AS one_off_id, key AS one_off_key FROM auth_keys.create_key(description => 'laptop') \gset
SELECT key_id AS server_id, key AS server_key
  FROM auth_keys.create_key(reusable => true, preauthorized => true, tags => ARRAY['tag:server'],
                            expiry => '30 days', description => 'web servers') \gset
SELECT key AS ci_key
  FROM auth_keys.create_key(reusable => true, ephemeral => true, preauthorized => true,
                            tags => ARRAY['tag:ci'], description => 'CI runners') \gset
COMMIT;
\echo one-off key: :one_off_key
\echo server key:  :server_key

\echo
\echo '4. What the console may not do.  Acting for Bob (a plain member), it has Bob''s rights:'
\echo '   generating a key is refused (42501).  And it administers no tenant (42501).'
\set ON_ERROR_STOP 0
BEGIN;
SELECT auth_keys.act_as('example.com', 'bob@example.com') \g /dev/null
SELECT * FROM auth_keys.create_key();
ROLLBACK;
SELECT auth_keys.create_tailnet('mine.example');
\echo '   Without act_as, the lists are empty, and a NOTICE says why:'
SELECT count(*) AS keys FROM auth_keys.key_list;
\set ON_ERROR_STOP 1

\echo
\echo '5. The node-facing backend checks a key without spending it: validate_key.'
\connect - enrol_service
SELECT key_id, tailnet, status, reusable, tags, uses_left FROM auth_keys.validate_key(:'one_off_key');
\echo '   A mistyped key is just "invalid", and nothing else is told about it:'
SELECT key_id, status FROM auth_keys.validate_key(:'one_off_key' || 'x');

\echo
\echo '6. A laptop enrols with the one-off key.  Device approval is on and the key is not'
\echo '   pre-approved, so node_status says the node waits for approval: do not serve it yet.'
SELECT node_id, user_login, tags, authorized, key_expiry_disabled, reauthenticated
  FROM auth_keys.register_node(:'one_off_key',
        ('nodekey:' || repeat('a1', 32))::auth_keys.nodekey, 'laptop');
SELECT status, authorized, user_login, lock_status
  FROM auth_keys.node_status(('nodekey:' || repeat('a1', 32))::auth_keys.nodekey);

\echo
\echo '7. Another machine tries the same one-off key: refused, the key was already used.'
\set ON_ERROR_STOP 0
SELECT * FROM auth_keys.register_node(:'one_off_key',
        ('nodekey:' || repeat('0f', 32))::auth_keys.nodekey, 'intruder');
\set ON_ERROR_STOP 1

\echo
\echo '8. Two servers enrol with the tagged key (the identity of tag:server, pre-approved, no'
\echo '   node key expiry), and a CI runner with the ephemeral key.'
SELECT node_id, user_login, tags, authorized, key_expiry_disabled
  FROM auth_keys.register_node(:'server_key',
        ('nodekey:' || repeat('b1', 32))::auth_keys.nodekey, 'web-1');
SELECT node_id, user_login, tags, authorized, key_expiry_disabled
  FROM auth_keys.register_node(:'server_key',
        ('nodekey:' || repeat('b2', 32))::auth_keys.nodekey, 'web-2');
SELECT node_id, tags, ephemeral
  FROM auth_keys.register_node(:'ci_key',
        ('nodekey:' || repeat('c1', 32))::auth_keys.nodekey, 'ci-runner');
\echo '   The coordination server sends the heartbeats of many nodes in one call:'
SELECT node_key, status FROM auth_keys.nodes_seen(ARRAY[
        'nodekey:' || repeat('a1', 32), 'nodekey:' || repeat('b1', 32),
        'nodekey:' || repeat('b2', 32), 'nodekey:' || repeat('ee', 32)]::auth_keys.nodekey[]);

\echo
\echo '9. The console, for Alice, approves the laptop, revokes the server key, and lists keys and'
\echo '   nodes.  Revoking a key leaves the nodes it enrolled authorized.'
\connect - console
BEGIN;
SELECT auth_keys.act_as('example.com', 'alice@example.com') \g /dev/null
SELECT auth_keys.approve_node(node_id) FROM auth_keys.node_list WHERE hostname = 'laptop' \g /dev/null
SELECT auth_keys.revoke_key(:'server_id') \g /dev/null
SELECT key_id, created_by, description, reusable, tags, uses, status FROM auth_keys.key_list ORDER BY created_at, description;
SELECT hostname, user_login, tags, authorized, status FROM auth_keys.node_list ORDER BY hostname;
COMMIT;
\connect - enrol_service
SELECT status FROM auth_keys.node_status(('nodekey:' || repeat('a1', 32))::auth_keys.nodekey);

\echo
\echo '10. The scheduled sweep at work.  The CI runner went away an hour ago (the DBA ages its'
\echo '    last heartbeat, so as not to wait): at the next minute pg_cron runs the sweep, which'
\echo '    removes it.  sweep_job_runs says what each run did, or why it failed.  (No ephemeral'
\echo '    node is removed until the server has run for a whole inactivity timeout since it'
\echo '    started, so that nodes whose heartbeats a restart or a crash lost can come back; this'
\echo '    server has only just started, so the DBA ages the record of its start too.)'
\connect - :dba
UPDATE auth_keys.nodes SET last_seen_at = now() - interval '1 hour' WHERE hostname = 'ci-runner';
DELETE FROM auth_keys.server_run;
INSERT INTO auth_keys.server_run VALUES (now() - interval '1 hour', pg_postmaster_start_time());
\connect - platform
\echo '    (waiting for pg_cron''s next minute)'
DO $$
BEGIN
    FOR i IN 1 .. 90 LOOP
        EXIT WHEN EXISTS (SELECT FROM auth_keys.sweep_job_runs() WHERE outcome = 'succeeded');
        PERFORM pg_sleep(1);
    END LOOP;
END
$$;
SELECT outcome, message FROM auth_keys.sweep_job_runs(max_runs => 1);
\connect - console
BEGIN;
SELECT auth_keys.act_as('example.com', 'alice@example.com') \g /dev/null
SELECT hostname, status FROM auth_keys.node_list ORDER BY hostname;

\echo
\echo '11. The audit trail: who did what, and never a key.'
SELECT event_id, actor, action, key_id, node_id FROM auth_keys.event_list ORDER BY event_id;
COMMIT;

\echo
\echo '12. A DBA reads the tables directly; the nodekey type''s operators live in schema'
\echo '    auth_keys, so name them (or put auth_keys on the search_path).'
\connect - :dba
SELECT hostname, authorized FROM auth_keys.nodes
 WHERE node_key OPERATOR(auth_keys.=) ('nodekey:' || repeat('b1', 32))::auth_keys.nodekey;

\echo
\echo '13. The operator ends a tenant: delete_tailnet removes everything in it and leaves a record.'
\connect - platform
SELECT auth_keys.create_tailnet('trial.example') \g /dev/null
SELECT auth_keys.delete_tailnet('trial.example');
SELECT name, deleted_by, members, keys, nodes FROM auth_keys.tailnet_deletions;

\echo
\echo 'Done.  The cluster is thrown away now.'
