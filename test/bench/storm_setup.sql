-- test/bench/storm_setup.sql
--
-- The keys of the enrolment storms (scale.sh): :noneoff one-off keys, one
-- for each registration of the storm with a key each, handed out in order
-- by bench.oneoff_seq; and two reusable keys with a use limit too high to
-- reach, one for register_node and one for the bare SQL, so that neither
-- side's row carries the other's updates.  The storm with one reusable key
-- without a limit presents sampled key 1 (setup.sql).  Keys are made as
-- setup.sql makes them, numbered after its :nkeys keys.
--
-- Run after setup.sql, from the top of the source tree, with -v nkeys=N
-- -v noneoff=N.
--
-- Copyright (c) 2026, auth_keys developers

\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET search_path = bench, public;
-- for auth_keys.key_prefix
LOAD 'auth_keys';

SET session_replication_role = replica;
INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, reusable, max_uses,
                            expires_at, secret_hash)
SELECT bench.key_id(i), (SELECT min(tailnet_id) FROM auth_keys.tailnets), 'bench@example.com',
       i > :nkeys + :noneoff, CASE WHEN i > :nkeys + :noneoff THEN 2000000000 END,
       now() + interval '90 days', sha256(convert_to(bench.secret(i), 'UTF8'))
  FROM generate_series(:nkeys + 1, :nkeys + :noneoff + 2) AS i;
RESET session_replication_role;

CREATE TABLE bench.oneoff (
    i       integer PRIMARY KEY,
    key     text NOT NULL
);
INSERT INTO bench.oneoff
SELECT j - :nkeys,
       regress_with_checksum(current_setting('auth_keys.key_prefix') || '-auth-'
                             || bench.key_id(j) || '-' || bench.secret(j))
  FROM generate_series(:nkeys + 1, :nkeys + :noneoff) AS j;
CREATE SEQUENCE bench.oneoff_seq;

-- the keys with a limit: 'ours' for register_node, 'bare' for the bare SQL
CREATE TABLE bench.limited (
    side    text PRIMARY KEY,
    key_id  text NOT NULL,
    secret  text NOT NULL,
    key     text NOT NULL
);
INSERT INTO bench.limited
SELECT side, bench.key_id(j), bench.secret(j),
       regress_with_checksum(current_setting('auth_keys.key_prefix') || '-auth-'
                             || bench.key_id(j) || '-' || bench.secret(j))
  FROM (VALUES ('ours', :nkeys + :noneoff + 1), ('bare', :nkeys + :noneoff + 2)) AS l(side, j);

DO $$
BEGIN
    IF EXISTS (SELECT FROM bench.limited l, auth_keys.validate_key(l.key) v
                WHERE v.status IS DISTINCT FROM 'valid' OR v.uses_left IS NULL)
       OR EXISTS (SELECT FROM bench.oneoff o, auth_keys.validate_key(o.key) v
                   WHERE o.i <= 10 AND (v.status IS DISTINCT FROM 'valid' OR v.reusable)) THEN
        RAISE EXCEPTION 'a storm key does not validate as made';
    END IF;
END $$;

VACUUM ANALYZE auth_keys.keys;
VACUUM ANALYZE bench.oneoff;
VACUUM ANALYZE bench.limited;
