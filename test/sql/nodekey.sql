--
-- nodekey: the type of Curve25519 public keys
--
CREATE EXTENSION auth_keys;

--
-- Text input and output
--

-- Hexadecimal digits are accepted in any case and printed in lower case.
SELECT 'nodekey:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'::auth_keys.nodekey AS lower_case;
SELECT 'nodekey:0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF'::auth_keys.nodekey AS upper_case;
SELECT 'nodekey:0123456789aBcDeF0123456789AbCdEf0123456789aBcDeF0123456789AbCdEf'::auth_keys.nodekey AS mixed_case;

-- The input function is strict.
SELECT NULL::auth_keys.nodekey IS NULL AS is_null;

-- The operators live in schema auth_keys: reachable by OPERATOR() ...
SELECT 'nodekey:0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF'::auth_keys.nodekey
    OPERATOR(auth_keys.=)
    'nodekey:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'::auth_keys.nodekey AS same_key;

-- ... or through the search path, as in the rest of this test.
SET search_path = public, auth_keys;

CREATE TABLE nodekey_samples (name text PRIMARY KEY, k auth_keys.nodekey NOT NULL);
INSERT INTO nodekey_samples VALUES
    ('zero', 'nodekey:0000000000000000000000000000000000000000000000000000000000000000'),
    ('ascending', 'nodekey:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'),
    ('below_half', 'nodekey:7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'),
    ('half', 'nodekey:8000000000000000000000000000000000000000000000000000000000000000'),
    ('descending', 'nodekey:FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210'),
    ('max', 'nodekey:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff');

-- Output reads back as the same key, through the automatic text casts too.
SELECT name, k,
       k::text::auth_keys.nodekey = k AS round_trip,
       k::text = lower(k::text) AS lower_case
FROM nodekey_samples ORDER BY name;

--
-- Rejected text input
--

-- A short literal is quoted in the message; the detail says what is wrong.
SELECT 'nodekey:012g456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'::auth_keys.nodekey;
\echo :SQLSTATE
SELECT 'NODEKEY:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'::auth_keys.nodekey;
\echo :SQLSTATE
SELECT ''::auth_keys.nodekey;
\echo :SQLSTATE

-- A long one is not.
SELECT ('nodekey:' || repeat('0', 100000))::auth_keys.nodekey;
\echo :SQLSTATE

-- SQLSTATE and detail for a range of bad literals.
CREATE FUNCTION nodekey_try(input text, OUT code text, OUT reason text)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM input::auth_keys.nodekey;
    code := '00000';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE,
                            reason = PG_EXCEPTION_DETAIL;
END
$$;

SELECT label, code, reason
FROM (VALUES
    ('good (control)', 'nodekey:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'),
    ('missing prefix', '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'),
    ('other prefix', 'mkey:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'),
    ('prefix without colon', 'nodekey0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'),
    ('upper-case prefix', 'NODEKEY:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'),
    ('mixed-case prefix', 'NodeKey:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'),
    ('empty string', ''),
    ('prefix only', 'nodekey:'),
    ('short prefix', 'node'),
    ('63 digits', 'nodekey:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde'),
    ('65 digits', 'nodekey:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0'),
    ('non-hex letter', 'nodekey:012g456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'),
    ('0x after prefix', 'nodekey:0x23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'),
    ('double quote', 'nodekey:"123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'),
    ('leading space', ' nodekey:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'),
    ('space after prefix', 'nodekey: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'),
    ('embedded space', 'nodekey:01234567 89abcdef0123456789abcdef0123456789abcdef0123456789abcdef'),
    ('trailing space', 'nodekey:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef '),
    ('trailing newline', E'nodekey:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n'),
    ('tab', E'nodekey:\t0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'),
    ('non-ASCII', E'nodekey:\xc3\xa9123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'),
    ('very long', 'nodekey:' || repeat('0', 100000)),
    ('very long, junk at end', 'nodekey:' || repeat('0', 100000) || 'x')
) AS t(label, input), LATERAL nodekey_try(input);

--
-- Binary output and input
--

-- The binary form is the 32 bytes of the key.
SELECT name, length(nodekey_send(k)) AS length,
       encode(nodekey_send(k), 'hex') = substr(k::text, 9) AS same_digits
FROM nodekey_samples ORDER BY name;

-- COPY in binary format runs the receive function on what send produced.
-- The files go to results/, which pg_regress creates in the directory it
-- runs in (client-side \copy paths are relative to that directory).
CREATE TABLE nodekey_copy (name text, k auth_keys.nodekey);
\copy (SELECT name, k FROM nodekey_samples) TO 'results/nodekey_samples.bin' WITH (FORMAT binary)
\copy nodekey_copy FROM 'results/nodekey_samples.bin' WITH (FORMAT binary)
SELECT c.name, c.k = s.k AS same_key
FROM nodekey_copy c JOIN nodekey_samples s USING (name) ORDER BY c.name;

-- The binary form of a bytea is its raw bytes, so a bytea column can hand
-- any bytes to the receive function.  Exactly 32 are a key ...
\copy (SELECT 'raw', decode(repeat('a5', 32), 'hex')) TO 'results/nodekey_32.bin' WITH (FORMAT binary)
\copy nodekey_copy FROM 'results/nodekey_32.bin' WITH (FORMAT binary)
SELECT k FROM nodekey_copy WHERE name = 'raw';

-- ... but fewer or more are rejected.  psql does not record the SQLSTATE
-- of a failed \copy, so it is shown on its own first.
\copy (SELECT 'short', decode(repeat('a5', 31), 'hex')) TO 'results/nodekey_31.bin' WITH (FORMAT binary)
\copy (SELECT 'long', decode(repeat('a5', 33), 'hex')) TO 'results/nodekey_33.bin' WITH (FORMAT binary)
\copy (SELECT 'empty', ''::bytea) TO 'results/nodekey_0.bin' WITH (FORMAT binary)
\set VERBOSITY sqlstate
\copy nodekey_copy FROM 'results/nodekey_31.bin' WITH (FORMAT binary)
\copy nodekey_copy FROM 'results/nodekey_33.bin' WITH (FORMAT binary)
\copy nodekey_copy FROM 'results/nodekey_0.bin' WITH (FORMAT binary)
\set VERBOSITY default
\copy nodekey_copy FROM 'results/nodekey_31.bin' WITH (FORMAT binary)
\copy nodekey_copy FROM 'results/nodekey_33.bin' WITH (FORMAT binary)
\copy nodekey_copy FROM 'results/nodekey_0.bin' WITH (FORMAT binary)
SELECT count(*) AS rows_copied FROM nodekey_copy;

--
-- Comparison
--

-- Keys compare as unsigned bytes, which is also the order of their text.
SELECT a.name AS a, b.name AS b,
       a.k < b.k AS lt, a.k <= b.k AS le, a.k = b.k AS eq,
       a.k <> b.k AS ne, a.k >= b.k AS ge, a.k > b.k AS gt,
       nodekey_cmp(a.k, b.k) AS cmp
FROM nodekey_samples a, nodekey_samples b
WHERE a.name IN ('zero', 'below_half', 'half') AND b.name IN ('zero', 'below_half', 'half')
ORDER BY a.k, b.k;

SELECT name, k FROM nodekey_samples ORDER BY k;
SELECT name, k FROM nodekey_samples ORDER BY k DESC LIMIT 2;
SELECT string_agg(name, ',' ORDER BY k) = string_agg(name, ',' ORDER BY k::text COLLATE "C")
       AS same_order
FROM nodekey_samples;

-- Both operator classes are complete and consistent.
SELECT c.opcname, a.amname, c.opcdefault, amvalidate(c.oid)
FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
WHERE c.opcintype = 'auth_keys.nodekey'::regtype
ORDER BY c.opcname;

--
-- btree: a unique index and its use
--

CREATE TABLE nodekey_nodes (id int PRIMARY KEY, k auth_keys.nodekey UNIQUE);
INSERT INTO nodekey_nodes SELECT row_number() OVER (ORDER BY name), k FROM nodekey_samples;

-- The same key in upper case is a duplicate.
INSERT INTO nodekey_nodes VALUES
    (100, 'nodekey:0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF');
\echo :SQLSTATE
INSERT INTO nodekey_nodes VALUES
    (101, 'nodekey:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdee');

ANALYZE nodekey_nodes;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF)
SELECT id FROM nodekey_nodes
WHERE k = 'nodekey:0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF';
SELECT id FROM nodekey_nodes
WHERE k = 'nodekey:0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF';
EXPLAIN (COSTS OFF)
SELECT id FROM nodekey_nodes
WHERE k >= 'nodekey:8000000000000000000000000000000000000000000000000000000000000000'
ORDER BY k;
SELECT id FROM nodekey_nodes
WHERE k >= 'nodekey:8000000000000000000000000000000000000000000000000000000000000000'
ORDER BY k;
RESET enable_seqscan;

--
-- Hashing: hash index, hash join, hash aggregation, hash partitioning
--

-- The hash depends on the key, not on how it was written, and the
-- extended hash with seed 0 agrees with the plain one in its low 32 bits.
SELECT nodekey_hash('nodekey:0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF')
       = nodekey_hash('nodekey:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef')
       AS case_blind;
SELECT name,
       (nodekey_hash_extended(k, 0) & 4294967295) = (nodekey_hash(k)::int8 & 4294967295) AS low_bits_agree,
       nodekey_hash_extended(k, 0) <> nodekey_hash_extended(k, 1) AS seed_matters
FROM nodekey_samples ORDER BY name;

CREATE TABLE nodekey_peers (k auth_keys.nodekey NOT NULL, peer text NOT NULL);
INSERT INTO nodekey_peers
SELECT k, name || '-' || i FROM nodekey_samples, generate_series(1, 3) AS i
WHERE name <> 'max';
CREATE INDEX nodekey_peers_k_hash ON nodekey_peers USING hash (k);
ANALYZE nodekey_peers;

SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF)
SELECT peer FROM nodekey_peers
WHERE k = 'nodekey:8000000000000000000000000000000000000000000000000000000000000000';
SELECT peer FROM nodekey_peers
WHERE k = 'nodekey:8000000000000000000000000000000000000000000000000000000000000000'
ORDER BY peer;
RESET enable_seqscan;
RESET enable_bitmapscan;

SET enable_mergejoin = off;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF)
SELECT n.id, p.peer FROM nodekey_nodes n JOIN nodekey_peers p ON n.k = p.k;
SELECT n.id, p.peer FROM nodekey_nodes n JOIN nodekey_peers p ON n.k = p.k
ORDER BY n.id, p.peer;
RESET enable_mergejoin;
RESET enable_nestloop;

-- = also supports merge joins.
SET enable_hashjoin = off;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF)
SELECT n.id, p.peer FROM nodekey_nodes n JOIN nodekey_peers p ON n.k = p.k;
SELECT count(*) FROM nodekey_nodes n JOIN nodekey_peers p ON n.k = p.k;
RESET enable_hashjoin;
RESET enable_nestloop;

SET enable_sort = off;
EXPLAIN (COSTS OFF)
SELECT k, count(*) FROM nodekey_peers GROUP BY k;
SELECT k, count(*) FROM nodekey_peers GROUP BY k ORDER BY k;
RESET enable_sort;

CREATE TABLE nodekey_parts (k auth_keys.nodekey) PARTITION BY HASH (k);
CREATE TABLE nodekey_parts_0 PARTITION OF nodekey_parts FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE nodekey_parts_1 PARTITION OF nodekey_parts FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO nodekey_parts SELECT k FROM nodekey_samples;
SELECT count(*) FROM nodekey_parts;
SELECT count(*) FROM nodekey_parts
WHERE k = 'nodekey:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF';

--
-- Clean up
--
DROP TABLE nodekey_parts;
DROP TABLE nodekey_peers;
DROP TABLE nodekey_nodes;
DROP TABLE nodekey_copy;
DROP TABLE nodekey_samples;
DROP FUNCTION nodekey_try(text);
RESET search_path;
DROP EXTENSION auth_keys;
