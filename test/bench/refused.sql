-- test/bench/refused.sql
--
-- Keys that validate_key refuses after the lookup, for the comparison of
-- an unknown key id with a known key id and a wrong secret: both well
-- formed, with the right checksum (test/fixtures/key_checksum.sql), so
-- that each gets as far as the table.  Row i of bench.refused goes with
-- row i of bench.sample:
--
--   unknown_id    a key id that no key has, with the sampled key's secret
--   wrong_secret  the sampled key's id, with a secret that is not its own
--
-- Run after setup.sql, with -v nrefused=N (at most the sample's size).
--
-- Copyright (c) 2026, auth_keys developers

\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET search_path = bench, public;

CREATE TABLE bench.refused (
    i             integer PRIMARY KEY,
    unknown_id    text NOT NULL,
    wrong_secret  text NOT NULL
);
INSERT INTO bench.refused
SELECT i,
       regress_with_checksum(split_part(key, '-', 1) || '-auth-'
                             || 'zz' || lpad(i::text, 10, '0') || '-' || secret),
       regress_with_checksum(split_part(key, '-', 1) || '-auth-'
                             || key_id || '-' || md5('wrong' || i))
  FROM bench.sample
 WHERE i <= :nrefused;

-- Both kinds are refused, and the unknown ids are unknown.
DO $$
BEGIN
    IF EXISTS (SELECT FROM bench.refused r,
                      LATERAL (SELECT * FROM auth_keys.validate_key(r.unknown_id)
                               UNION ALL
                               SELECT * FROM auth_keys.validate_key(r.wrong_secret)) AS v
                WHERE r.i <= 100 AND v.status IS DISTINCT FROM 'invalid')
       OR EXISTS (SELECT FROM bench.refused r JOIN auth_keys.keys k
                      ON k.key_id = split_part(r.unknown_id, '-', 3)) THEN
        RAISE EXCEPTION 'a refused benchmark key is not refused as it should be';
    END IF;
END $$;

VACUUM ANALYZE bench.refused;
