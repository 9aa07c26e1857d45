-- test/bench/scripts/validate_ours.sql
-- validate_key of a sampled key
--
-- Copyright (c) 2026, auth_keys developers

\set i random(1, :nsample)
SELECT * FROM auth_keys.validate_key((SELECT key FROM bench.sample WHERE i = :i));
