-- test/bench/backlog_setup.sql
--
-- The sweep backlog (scale.sh): :n ephemeral nodes that went offline a day
-- ago, for sweep_in_steps to remove, and a table with no other use, whose
-- dead rows show whether VACUUM can remove them while the sweep runs.  The
-- expired keys of the backlog are staged by sweep_stage.sql.
--
-- Sweeps remove ephemeral nodes only once the server has run for a whole
-- auth_keys.ephemeral_inactivity_timeout since its start (a heartbeat may
-- have been lost in a crash): the server's run is backdated by a day here,
-- as if it had been up that long.
--
-- Copyright (c) 2026, auth_keys developers

\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET search_path = bench, public;

SET session_replication_role = replica;
INSERT INTO auth_keys.nodes (tailnet_id, node_key, hostname, user_login, auth_key_id,
                             ephemeral, authorized, node_key_expires_at, last_seen_at)
SELECT (SELECT min(tailnet_id) FROM auth_keys.tailnets), bench.node_key('idle' || i),
       'idle-' || i, 'bench@example.com', bench.key_id(1), true, true,
       now() + interval '180 days', now() - interval '1 day'
  FROM generate_series(1, :n) AS i;
RESET session_replication_role;
DELETE FROM auth_keys.server_run;
INSERT INTO auth_keys.server_run VALUES (now() - interval '1 day', pg_postmaster_start_time());

CREATE TABLE bench.vacuum_probe (i integer NOT NULL, filler text NOT NULL)
    WITH (autovacuum_enabled = off);

VACUUM ANALYZE auth_keys.nodes;
