-- test/bench/scripts/register_ours.sql
-- register_node: a new node with a sampled reusable key
--
-- Copyright (c) 2026, auth_keys developers

\set i random(1, :nsample)
\set n random(1, 9223372036854775806)
SELECT * FROM auth_keys.register_node((SELECT key FROM bench.sample WHERE i = :i),
                                      bench.node_key('r' || :n), 'bench-host');
