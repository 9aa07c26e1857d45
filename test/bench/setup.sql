-- test/bench/setup.sql
--
-- Fills a benchmark database: one tailnet, :nkeys reusable keys without a
-- use limit, a sample of :nsample of them with their full key text, and
-- :nnodes enrolled nodes.  Rows are made with plain INSERT ... SELECT, not
-- with create_key, so that millions of keys take minutes, not hours; they
-- are well formed all the same:
--
--   key id  4 hex digits of md5(i), then i in 8 digits (unique, and spread
--           over the primary key index as random key ids are)
--   secret  md5('s' || i): 32 hex digits, which are base62 characters
--   hash    SHA-256 of the secret's text, as create_key stores it
--   key     prefix-auth-<key id>-<secret><checksum>, the checksum built by
--           test/fixtures/key_checksum.sql, independently of the C code
--
-- The sample (bench.sample) is what the pgbench scripts present: row i is
-- key 1 + (i - 1) * (nkeys / nsample), so the sample is spread over the
-- whole table.  Nodes enrolled here have node keys sha256('seen' || i),
-- which node_seen.sql rebuilds from i; bench.seen_batch holds them in
-- batches of 100 (nodes 1 to 100, 101 to 200, ...), for nodes_seen.
--
-- Run from the top of the source tree (for \i) as a superuser, in a new
-- database, with -v nkeys=N -v nsample=N -v nnodes=N.
--
-- Copyright (c) 2026, auth_keys developers

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE EXTENSION IF NOT EXISTS auth_keys;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE SCHEMA bench;
SET search_path = bench, public;
\i test/fixtures/key_checksum.sql

SELECT auth_keys.create_tailnet('bench.example') AS tailnet_id \gset
-- the benchmark's role acts as this member for create_key
SELECT auth_keys.set_member('bench.example', 'bench@example.com', 'admin',
                            db_role => current_user) \g /dev/null

CREATE FUNCTION bench.key_id(i bigint) RETURNS text
    LANGUAGE sql IMMUTABLE
    RETURN left(md5(i::text), 4) || lpad(i::text, 8, '0');
CREATE FUNCTION bench.secret(i bigint) RETURNS text
    LANGUAGE sql IMMUTABLE
    RETURN md5('s' || i);
-- STABLE, as convert_to is: the planner inlines it then (an IMMUTABLE SQL
-- function that calls a STABLE one is not inlined, and would cost both
-- sides of a comparison a call of an SQL function per row)
CREATE FUNCTION bench.node_key(seed text) RETURNS auth_keys.nodekey
    LANGUAGE sql STABLE
    RETURN ('nodekey:' || encode(sha256(convert_to(seed, 'UTF8')), 'hex'))::auth_keys.nodekey;

-- Keys, a million rows per statement.  Random key ids go into the primary
-- key index in random order, and every key gets its own expiry (the
-- invalid_at index would deduplicate equal ones), as they would in service.
-- Bulk data is loaded as a restore with triggers disabled would load it:
-- the guards, which check and record each direct change, stay out of it.
SET session_replication_role = replica;
SELECT format('INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, reusable,'
              ' expires_at, secret_hash)'
              ' SELECT bench.key_id(i), %s, ''bench@example.com'', true,'
              ' now() + interval ''90 days'' - i * interval ''1 millisecond'','
              ' sha256(convert_to(bench.secret(i), ''UTF8''))'
              ' FROM generate_series(%s, %s) AS i',
              :tailnet_id, lo, least(lo + 999999, :nkeys))
  FROM generate_series(1, :nkeys, 1000000) AS lo
\gexec

CREATE TABLE bench.sample (
    i       integer PRIMARY KEY,
    key_id  text NOT NULL,
    secret  text NOT NULL,
    key     text NOT NULL
);
INSERT INTO bench.sample
SELECT s, bench.key_id(j), bench.secret(j),
       regress_with_checksum(current_setting('auth_keys.key_prefix') || '-auth-'
                             || bench.key_id(j) || '-' || bench.secret(j))
  FROM generate_series(1, :nsample) AS s,
       LATERAL (SELECT 1 + (s - 1)::bigint * (:nkeys / :nsample)) AS j(j);

-- Every sampled key proves valid through the extension itself.
DO $$
BEGIN
    IF EXISTS (SELECT FROM bench.sample s, auth_keys.validate_key(s.key) v
                WHERE s.i <= 100 AND v.status IS DISTINCT FROM 'valid') THEN
        RAISE EXCEPTION 'a sampled benchmark key does not validate';
    END IF;
END $$;

INSERT INTO auth_keys.nodes (tailnet_id, node_key, hostname, user_login,
                             auth_key_id, authorized, node_key_expires_at)
SELECT :tailnet_id, bench.node_key('seen' || i), 'seen-' || i, 'bench@example.com',
       bench.key_id(1), true, now() + interval '180 days'
  FROM generate_series(1, :nnodes) AS i;
RESET session_replication_role;

CREATE TABLE bench.seen_batch (
    b           integer PRIMARY KEY,
    node_keys   auth_keys.nodekey[] NOT NULL
);
INSERT INTO bench.seen_batch
SELECT (i - 1) / 100 + 1, array_agg(bench.node_key('seen' || i) ORDER BY i)
  FROM generate_series(1, :nnodes / 100 * 100) AS i
 GROUP BY (i - 1) / 100;

-- The audit trail's partitions of this week and the next, which the
-- sweeps of a database in service have made long before (a registration
-- would otherwise write its event into events_default).
SELECT to_regproc('auth_keys.sweep_in_steps') IS NOT NULL AS has_sweep_in_steps \gset
\if :has_sweep_in_steps
CALL auth_keys.sweep_in_steps();
\endif

VACUUM ANALYZE auth_keys.keys;
VACUUM ANALYZE auth_keys.nodes;
VACUUM ANALYZE bench.sample;
VACUUM ANALYZE bench.seen_batch;
