-- test/bench/scripts/validate_unknown_id.sql
-- validate_key of 100 refused keys in one statement: key ids that no key has, so
-- that the difference per key is not lost in the cost of a transaction
--
-- Copyright (c) 2026, auth_keys developers

\set i random(0, :nrefused / 100 - 1)
SELECT count(*) FROM bench.refused r, LATERAL auth_keys.validate_key(r.unknown_id) v
 WHERE r.i > :i * 100 AND r.i <= (:i + 1) * 100;
