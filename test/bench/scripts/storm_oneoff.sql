-- test/bench/scripts/storm_oneoff.sql
-- the same storm where each node has a one-off key of its own (the next
-- of bench.oneoff): no two registrations touch one key row
--
-- Copyright (c) 2026, auth_keys developers

\set n random(1, 9223372036854775806)
SELECT * FROM auth_keys.register_node((SELECT key FROM bench.oneoff
                                        WHERE i = (SELECT nextval('bench.oneoff_seq'))),
                                      bench.node_key('o' || :n), 'bench-host');
