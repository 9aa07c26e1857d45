-- test/bench/scripts/register_plpgsql.sql
-- the PL/pgSQL peer with pgcrypto's digest (SHA-256)
--
-- Copyright (c) 2026, auth_keys developers

\set i random(1, :nsample)
\set n random(1, 9223372036854775806)
SELECT * FROM peer.register_node((SELECT key FROM bench.sample WHERE i = :i),
                                 bench.node_key('r' || :n)::text, 'bench-host');
