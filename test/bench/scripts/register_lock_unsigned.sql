-- test/bench/scripts/register_lock_unsigned.sql
-- register_node in the same locked tailnet without a signature: the node
-- is enrolled unsigned.  The node keys are taken as register_lock_signed
-- takes them, from a pool of their own.
--
-- Copyright (c) 2026, auth_keys developers

\set k random(1, 1000)
SELECT r.* FROM bench.lock_plain n,
       auth_keys.register_node((SELECT key FROM bench.lock_sample WHERE i = :k),
                               n.node_key, 'bench-lock') AS r
 WHERE n.i = (SELECT (nextval('bench.lock_plain_next') - 1) % :nlock + 1);
