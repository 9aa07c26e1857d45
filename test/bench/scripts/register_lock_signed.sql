-- test/bench/scripts/register_lock_signed.sql
-- register_node in a locked tailnet with a node key signature (a Direct
-- signature by the trusted key): decoded, verified (Ed25519), stored.
-- Each transaction takes the next node key of the pool, so every one is a
-- new node (the pool wraps around if a run outlasts it).
--
-- Copyright (c) 2026, auth_keys developers

\set k random(1, 1000)
SELECT r.* FROM bench.lock_nodes n,
       auth_keys.register_node((SELECT key FROM bench.lock_sample WHERE i = :k),
                               n.node_key, 'bench-lock', n.signature) AS r
 WHERE n.i = (SELECT (nextval('bench.lock_next') - 1) % :nlock + 1);
