-- test/bench/scripts/validate_plpgsql.sql
-- the PL/pgSQL peer with pgcrypto's digest (SHA-256)
--
-- Copyright (c) 2026, auth_keys developers

\set i random(1, :nsample)
SELECT * FROM peer.validate_key((SELECT key FROM bench.sample WHERE i = :i));
