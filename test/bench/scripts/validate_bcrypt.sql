-- test/bench/scripts/validate_bcrypt.sql
-- the PL/pgSQL peer with bcrypt storage (crypt, gen_salt('bf'))
--
-- Copyright (c) 2026, auth_keys developers

\set i random(1, :nbcrypt)
SELECT * FROM peer.validate_key_bcrypt((SELECT key FROM bench.sample WHERE i = :i));
