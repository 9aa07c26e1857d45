-- test/bench/scripts/node_seen_bare.sql
-- a bare UPDATE of last_seen_at
--
-- Copyright (c) 2026, auth_keys developers

\set i random(1, :nnodes)
UPDATE auth_keys.nodes SET last_seen_at = now()
 WHERE node_key OPERATOR(auth_keys.=) bench.node_key('seen' || :i);
