-- test/bench/scripts/storm_reusable.sql
-- a storm: every client registers a new node with the same reusable key,
-- which has no use limit
--
-- Copyright (c) 2026, auth_keys developers

\set n random(1, 9223372036854775806)
SELECT * FROM auth_keys.register_node((SELECT key FROM bench.sample WHERE i = 1),
                                      bench.node_key('s' || :n), 'bench-host');
