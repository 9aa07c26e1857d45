-- test/bench/scripts/validate_wrong_secret.sql
-- validate_key of 100 refused keys in one statement: known key ids with wrong secrets, so
-- that the difference per key is not lost in the cost of a transaction
--
-- Copyright (c) 2026, auth_keys developers

\set i random(0, :nrefused / 100 - 1)
SELECT count(*) FROM bench.refused r, LATERAL auth_keys.validate_key(r.wrong_secret) v
 WHERE r.i > :i * 100 AND r.i <= (:i + 1) * 100;
