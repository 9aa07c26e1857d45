-- test/bench/scripts/nodes_seen_ours.sql
-- nodes_seen of a batch of 100 enrolled nodes (bench.seen_batch), as a
-- coordination server sends the heartbeats it gathered
--
-- Copyright (c) 2026, auth_keys developers

\set b random(1, :nbatches)
SELECT count(*) FROM auth_keys.nodes_seen((SELECT node_keys FROM bench.seen_batch WHERE b = :b));
