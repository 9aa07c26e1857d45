-- test/bench/scripts/storm_limited.sql
-- a storm on one reusable key with a use limit (too high to reach): every
-- registration spends a use of the same row
--
-- Copyright (c) 2026, auth_keys developers

\set n random(1, 9223372036854775806)
SELECT * FROM auth_keys.register_node((SELECT key FROM bench.limited WHERE side = 'ours'),
                                      bench.node_key('m' || :n), 'bench-host');
