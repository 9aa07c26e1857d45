-- test/bench/scripts/node_seen_ours.sql
-- node_seen of an enrolled node
--
-- Copyright (c) 2026, auth_keys developers

\set i random(1, :nnodes)
SELECT auth_keys.node_seen(bench.node_key('seen' || :i));
