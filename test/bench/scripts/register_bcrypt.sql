-- test/bench/scripts/register_bcrypt.sql
-- the PL/pgSQL peer with bcrypt storage (crypt, gen_salt('bf'))
--
-- Copyright (c) 2026, auth_keys developers

\set i random(1, :nbcrypt)
\set n random(1, 9223372036854775806)
SELECT * FROM peer.register_node_bcrypt((SELECT key FROM bench.sample WHERE i = :i),
                                        bench.node_key('r' || :n)::text, 'bench-host');
