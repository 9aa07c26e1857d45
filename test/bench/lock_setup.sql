-- test/bench/lock_setup.sql
--
-- The Tailnet Lock part of a benchmark database (after setup.sql, in the
-- same database): a second tailnet, lock.example, locked by the genesis of
-- test/bench/lock_signatures.py, with a thousand reusable keys of its own (ids from 90000001 on, which setup.sql never reaches)
-- (bench.lock_sample, made as setup.sql makes keys), the pool of node keys
-- with their Direct signatures (bench.lock_nodes), which the signed
-- registrations take one by one (bench.lock_next), and as many other node
-- keys for the unsigned ones (bench.lock_plain, bench.lock_plain_next).
--
-- Run with -v genesis=HEX -v signatures=FILE (signatures.tsv).
--
-- Copyright (c) 2026, auth_keys developers

\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET search_path = bench, public;

SELECT auth_keys.create_tailnet('lock.example') AS lock_tailnet_id \gset
SELECT auth_keys.set_member('lock.example', 'bench@example.com', 'admin') \g /dev/null

INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, reusable, expires_at, secret_hash)
SELECT bench.key_id(90000000 + i), :lock_tailnet_id, 'bench@example.com', true,
       now() + interval '90 days', sha256(convert_to(bench.secret(90000000 + i), 'UTF8'))
  FROM generate_series(1, 1000) AS i;

CREATE TABLE bench.lock_sample (
    i       integer PRIMARY KEY,
    key     text NOT NULL
);
INSERT INTO bench.lock_sample
SELECT i, regress_with_checksum(current_setting('auth_keys.key_prefix') || '-auth-'
                                || bench.key_id(90000000 + i) || '-' || bench.secret(90000000 + i))
  FROM generate_series(1, 1000) AS i;

CREATE TABLE bench.lock_nodes (
    i           integer PRIMARY KEY,
    node_key    auth_keys.nodekey NOT NULL,
    signature   bytea NOT NULL
);
\set copy '\\copy bench.lock_nodes FROM ' :'signatures'
:copy
CREATE SEQUENCE bench.lock_next;
-- as many node keys for the unsigned side, taken the same way
CREATE TABLE bench.lock_plain (
    i           integer PRIMARY KEY,
    node_key    auth_keys.nodekey NOT NULL
);
INSERT INTO bench.lock_plain
SELECT i, bench.node_key('lock plain ' || i) FROM generate_series(1, (SELECT count(*) FROM bench.lock_nodes)) AS i;
CREATE SEQUENCE bench.lock_plain_next;

SELECT auth_keys.lock_submit('lock.example', ARRAY[decode(:'genesis', 'hex')]) \g /dev/null

-- The keys prove valid and the first signature verifies, through the
-- extension itself (in a transaction rolled back).
BEGIN;
DO $$
BEGIN
    IF EXISTS (SELECT FROM bench.lock_sample s, auth_keys.validate_key(s.key) v
                WHERE v.status IS DISTINCT FROM 'valid') THEN
        RAISE EXCEPTION 'a Tailnet Lock benchmark key does not validate';
    END IF;
    PERFORM auth_keys.register_node((SELECT key FROM bench.lock_sample WHERE i = 1),
                                    n.node_key, 'check', n.signature)
       FROM bench.lock_nodes n WHERE n.i = 1;
END $$;
ROLLBACK;

VACUUM ANALYZE bench.lock_nodes;
VACUUM ANALYZE bench.lock_plain;
VACUUM ANALYZE bench.lock_sample;
