--
-- lock: Tailnet Lock in SQL.  lock_decode on the public vectors and on bad
-- input; the authority log (genesis, refusals, forks, the head, sync);
-- node key signatures at registration and later; each node's lock status
-- following the head; the views; read-only transactions; disablement; the
-- node tier's privileges.  The AUMs and signatures come from the oracle
-- (test/fixtures/lock_fixtures.sql, written by test/lock/oracle.py); every
-- scenario of the oracle runs against the database in test/t/010_lock.pl.
--
CREATE EXTENSION auth_keys;
\set SHOW_CONTEXT never
\set ECHO none
\i test/fixtures/lock_fixtures.sql
\set ECHO all

-- the hash of a fixture AUM, as lock_decode computes it
CREATE FUNCTION pg_temp.h(aum bytea) RETURNS bytea
    LANGUAGE sql IMMUTABLE
    RETURN decode(auth_keys.lock_decode(aum, 'aum') ->> 'hash', 'hex');

--
-- lock_decode, for anyone who may use the schema (every tier may; this
-- role holds none)
--
CREATE ROLE regress_lock_none NOLOGIN;
GRANT USAGE ON SCHEMA auth_keys TO regress_lock_none;
SET SESSION AUTHORIZATION regress_lock_none;
-- public vector 1: an AddKey AUM, statically invalid (0 votes)
SELECT d ->> 'structure' AS structure, d ->> 'kind' AS kind, d ->> 'hash' AS hash,
       d -> 'parent' AS parent, d -> 'key' AS key, d -> 'valid' AS valid,
       d ->> 'invalid_reason' AS reason
  FROM auth_keys.lock_decode('\xa3010102f603a301010200034401020304') AS d;
-- public vector 3: the real credential
SELECT d ->> 'structure' AS structure, d ->> 'kind' AS kind, d ->> 'key_id' AS key_id,
       d ->> 'wrapping_public_key' AS wrapping_public_key,
       d ->> 'authorizing_key' = d ->> 'key_id' AS authorized_by_its_key
  FROM auth_keys.lock_decode('\xa401030358209d7bb0e3f7d69cd594c1ca0e8cb7a684ebe69758ee325e6584b998e6c054b23f0458401f2f681d783f60f150f0e6d81cc428871a511bebb0605360e5173640a62e0b85e2c9ada03ea588d3182855869673d62ca204f0fe536ab10d001b337f96158d04065820c6656a1b9dc7bb4460f8a9872453255217e0ce8f8040febe2a4f46cef2493ace') AS d;
-- the genesis checkpoint, its state, and a key
SELECT d ->> 'kind' AS kind, d -> 'valid' AS valid, d -> 'state' -> 'state_id1' AS id1,
       d -> 'state' -> 'state_id2' AS id2,
       jsonb_array_length(d -> 'state' -> 'keys') AS keys,
       jsonb_array_length(d -> 'state' -> 'disablement_values') AS disablement_values,
       d -> 'state' -> 'keys' -> 2 -> 'meta' AS third_key_meta,
       jsonb_array_length(d -> 'signatures') AS signatures
  FROM auth_keys.lock_decode(:'lock_genesis') AS d;
SELECT auth_keys.lock_decode('\xa301f602f603f6', 'state');
SELECT auth_keys.lock_decode('\xa3010102000344' || '\x01020304'::bytea, 'key');
-- node key signatures: a rotation over a credential, and the node key it signs
SELECT d ->> 'kind' AS kind, d ->> 'node_key' = :'lock_node4' AS signs_node4,
       d -> 'nested' ->> 'kind' AS nested, d ->> 'authorizing_key' = encode(:'lock_pre', 'hex') AS by_pre
  FROM auth_keys.lock_decode(:'lock_sig_presigned_n4') AS d;
SELECT auth_keys.lock_decode(:'lock_sig_signer_n1', 'aum');
SELECT auth_keys.lock_decode(NULL) IS NULL AS null_is_null;
-- input that is not exactly canonical, or not the structure named
SELECT auth_keys.lock_decode('\x00');
SELECT auth_keys.lock_decode('');
SELECT auth_keys.lock_decode(:'lock_noncanonical');
SELECT auth_keys.lock_decode(:'lock_sig_noncanonical', 'signature');
SELECT auth_keys.lock_decode(:'lock_genesis' || '\x00'::bytea, 'aum');
SELECT auth_keys.lock_decode('\xa401f602f603f60400', 'state');
SELECT auth_keys.lock_decode('\xa30101020003f6', 'key');
SELECT auth_keys.lock_decode(:'lock_genesis', 'checkpoint');
-- an unknown AUM kind decodes (lock_decode judges nothing) and says why it is invalid
SELECT d ->> 'kind' AS kind, d -> 'kind_number' AS kind_number, d -> 'valid' AS valid,
       d ->> 'invalid_reason' AS reason
  FROM auth_keys.lock_decode(:'lock_unknown_kind') AS d;
RESET SESSION AUTHORIZATION;

--
-- Set-up: three tailnets, a node-tier role, owners and a plain member
--
CREATE ROLE regress_lock_node NOLOGIN;
CREATE ROLE regress_lock_acme NOLOGIN;
CREATE ROLE regress_lock_globex NOLOGIN;
CREATE ROLE regress_lock_member NOLOGIN;
CREATE ROLE regress_lock_operator NOLOGIN;
SELECT auth_keys.grant_tier('node', 'regress_lock_node');
SELECT auth_keys.grant_tier('operator', 'regress_lock_operator');
SELECT auth_keys.grant_tier('actor', r)
  FROM unnest(ARRAY['regress_lock_acme', 'regress_lock_globex',
                    'regress_lock_member']::regrole[]) AS r;
SELECT auth_keys.create_tailnet(t) > 0 AS created
  FROM unnest(ARRAY['acme', 'globex', 'initech']) AS t;
SELECT auth_keys.set_member('acme', 'olivia', 'owner', 'regress_lock_acme');
SELECT auth_keys.set_member('globex', 'gail', 'owner', 'regress_lock_globex');
SELECT auth_keys.set_member('globex', 'max', 'member', 'regress_lock_member');
SELECT auth_keys.set_member('initech', 'ida', 'owner');
SET SESSION AUTHORIZATION regress_lock_globex;
SELECT key AS gx FROM auth_keys.create_key(reusable => true) \gset
RESET SESSION AUTHORIZATION;
BEGIN;
SELECT auth_keys.act_as('initech', 'ida');
SELECT key AS it FROM auth_keys.create_key(reusable => true) \gset
COMMIT;

--
-- The node tier's functions are nobody else's
--
SET SESSION AUTHORIZATION regress_lock_none;
SELECT auth_keys.lock_head('acme');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.lock_submit('acme', ARRAY[:'lock_genesis'::bytea]);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM auth_keys.lock_aums('acme');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.lock_sign_node(:'lock_node1', :'lock_sig_signer_n1');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.lock_disable('acme', :'lock_secret');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM auth_keys.lock_keys;
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_lock_acme;
SELECT auth_keys.lock_head('acme');
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;

-- From here on, the node-facing backend calls.
SET SESSION AUTHORIZATION regress_lock_node;

--
-- A tailnet without Tailnet Lock
--
SELECT auth_keys.lock_head('acme') IS NULL AS no_head;
SELECT count(*) AS aums FROM auth_keys.lock_aums('acme');
SELECT auth_keys.lock_head('no such tailnet');
SELECT auth_keys.lock_submit('acme', '{}') IS NULL AS nothing_submitted;
SELECT auth_keys.lock_disable('acme', :'lock_secret');
-- nodes enrol as before; a signature is only checked to be well formed
SELECT 'nodekey:' || repeat('ab', 32) AS plain \gset
SELECT authorized FROM auth_keys.register_node(:'it', :'plain', 'plain-1');
SELECT authorized FROM auth_keys.register_node(:'it', :'plain', 'plain-1', :'lock_sig_extra_n5');
SELECT authorized FROM auth_keys.register_node(:'it', :'plain', 'plain-1', :'lock_sig_noncanonical');
SELECT auth_keys.lock_sign_node(:'plain', :'lock_sig_extra_n5');

--
-- The genesis: only a signed Checkpoint without a parent starts an authority
--
SELECT auth_keys.lock_submit('acme', ARRAY[:'lock_unsigned'::bytea]);
SELECT auth_keys.lock_submit('acme', ARRAY[:'lock_add'::bytea]);
SELECT auth_keys.lock_submit('acme', ARRAY[:'lock_noncanonical'::bytea]);
SELECT auth_keys.lock_submit('acme', ARRAY[:'lock_genesis'::bytea]) = pg_temp.h(:'lock_genesis')
    AS head_is_genesis;
SELECT auth_keys.lock_head('acme') = pg_temp.h(:'lock_genesis') AS head_is_genesis;
SELECT count(*) AS aums FROM auth_keys.lock_aums('acme');
-- the same genesis again is stored already: skipped
SELECT auth_keys.lock_submit('acme', ARRAY[:'lock_genesis'::bytea]) = pg_temp.h(:'lock_genesis')
    AS head_is_genesis;

--
-- AUMs that are refused, each with its reason; nothing of a call that
-- fails is stored
--
SELECT auth_keys.lock_submit('acme', ARRAY[:'lock_forged'::bytea]);
SELECT auth_keys.lock_submit('acme', ARRAY[:'lock_unsigned'::bytea]);
SELECT auth_keys.lock_submit('acme', ARRAY[:'lock_orphan'::bytea]);
SELECT auth_keys.lock_submit('acme', ARRAY[:'lock_unknown_kind'::bytea]);
SELECT auth_keys.lock_submit('acme', ARRAY[:'lock_genesis', :'lock_sig_signer_n1']::bytea[]);
SELECT auth_keys.lock_submit('acme', ARRAY[:'lock_add', :'lock_forged']::bytea[]);
SELECT auth_keys.lock_submit('acme', ARRAY[:'lock_add', NULL]::bytea[]);
SELECT auth_keys.lock_submit('acme', ARRAY[[:'lock_add'::bytea]]);
SELECT auth_keys.lock_submit('acme', array_fill(:'lock_add'::bytea, ARRAY[4097]));
SELECT auth_keys.lock_submit('acme', NULL);
SELECT auth_keys.lock_submit(NULL, ARRAY[:'lock_add'::bytea]);
SELECT count(*) AS aums FROM auth_keys.lock_aums('acme');

--
-- Forks: every valid AUM is kept; the head follows the highest weight,
-- then a RemoveKey, then the lowest hash
--
-- weight 1 after the genesis: it becomes the head
SELECT auth_keys.lock_submit('acme', ARRAY[:'lock_fork_light'::bytea]) = pg_temp.h(:'lock_fork_light')
    AS head_is_light;
-- weight 2 beside it, and a child of that one: the head moves over
SELECT auth_keys.lock_submit('acme', ARRAY[:'lock_add', :'lock_remove_signer']::bytea[])
       = pg_temp.h(:'lock_remove_signer') AS head_is_remove_signer;
-- weight 3 beside them: the head moves back to the genesis's heaviest child
SELECT auth_keys.lock_submit('acme', ARRAY[:'lock_fork_heavy'::bytea]) = pg_temp.h(:'lock_fork_heavy')
    AS head_is_heavy;
-- a RemoveKey of weight 2 beside lock_add (weight 2): it wins that tie, but not the head
SELECT auth_keys.lock_submit('acme', ARRAY[:'lock_remove_signer_early'::bytea])
       = pg_temp.h(:'lock_fork_heavy') AS head_is_heavy;
RESET SESSION AUTHORIZATION;
SELECT u.depth, u.kind, u.weight,
       CASE u.aum_hash WHEN pg_temp.h(:'lock_genesis') THEN 'genesis'
                       WHEN pg_temp.h(:'lock_fork_light') THEN 'fork_light'
                       WHEN pg_temp.h(:'lock_fork_heavy') THEN 'fork_heavy'
                       WHEN pg_temp.h(:'lock_add') THEN 'add'
                       WHEN pg_temp.h(:'lock_remove_signer') THEN 'remove_signer'
                       WHEN pg_temp.h(:'lock_remove_signer_early') THEN 'remove_signer_early'
       END AS aum,
       u.aum = CASE u.aum_hash WHEN pg_temp.h(:'lock_genesis') THEN :'lock_genesis'::bytea
                               WHEN pg_temp.h(:'lock_fork_light') THEN :'lock_fork_light'
                               WHEN pg_temp.h(:'lock_fork_heavy') THEN :'lock_fork_heavy'
                               WHEN pg_temp.h(:'lock_add') THEN :'lock_add'
                               WHEN pg_temp.h(:'lock_remove_signer') THEN :'lock_remove_signer'
                               WHEN pg_temp.h(:'lock_remove_signer_early') THEN :'lock_remove_signer_early'
                  END AS stored_as_sent,
       u.parent_hash = pg_temp.h(:'lock_genesis') AS after_genesis
  FROM auth_keys.lock_updates u
  JOIN auth_keys.tailnets t USING (tailnet_id)
 WHERE t.name = 'acme'
 ORDER BY u.depth, u.kind, u.weight;
SELECT action, detail ->> 'stored' AS stored, detail ->> 'trusted_keys' AS trusted_keys
  FROM auth_keys.events WHERE action LIKE 'lock.%' ORDER BY event_id;
SET SESSION AUTHORIZATION regress_lock_node;

-- sync: the chain to the head, whole or after a given AUM; from a losing
-- branch, from where it leaves the chain
SELECT pg_temp.h(a) = pg_temp.h(:'lock_genesis') AS genesis,
       pg_temp.h(a) = pg_temp.h(:'lock_fork_heavy') AS fork_heavy
  FROM auth_keys.lock_aums('acme') AS a;
SELECT count(*) AS after_genesis FROM auth_keys.lock_aums('acme', pg_temp.h(:'lock_genesis'));
SELECT count(*) AS after_head FROM auth_keys.lock_aums('acme', pg_temp.h(:'lock_fork_heavy'));
SELECT pg_temp.h(a) = pg_temp.h(:'lock_fork_heavy') AS fork_heavy
  FROM auth_keys.lock_aums('acme', pg_temp.h(:'lock_remove_signer')) AS a;
SELECT count(*) FROM auth_keys.lock_aums('acme', '\x0000');
SELECT count(*) FROM auth_keys.lock_aums('globex');
RESET SESSION AUTHORIZATION;

-- the trusted keys at the head (the genesis's three), as the owner sees them
SET SESSION AUTHORIZATION regress_lock_acme;
SELECT tailnet, public_key = 'tlpub:' || encode(:'lock_admin', 'hex') AS admin,
       public_key = 'tlpub:' || encode(:'lock_signer', 'hex') AS signer,
       public_key = 'tlpub:' || encode(:'lock_pre', 'hex') AS pre,
       votes, meta, purpose, auth_key_id
  FROM auth_keys.lock_keys ORDER BY votes DESC, purpose NULLS FIRST;
SELECT count(*) AS stale FROM auth_keys.lock_stale_keys;
RESET SESSION AUTHORIZATION;

--
-- Node key signatures: globex is locked, with the extra key added
--
SET SESSION AUTHORIZATION regress_lock_node;
SELECT auth_keys.lock_submit('globex', ARRAY[:'lock_genesis', :'lock_add']::bytea[])
       = pg_temp.h(:'lock_add') AS head_is_add;
SELECT auth_keys.lock_head('globex') = pg_temp.h(:'lock_add') AS head_is_add;
-- Direct signatures, a rotation, and a pre-signed enrolment (a rotation
-- over the pre-auth lock key's credential; its key names no auth key)
SELECT tailnet, reauthenticated
  FROM auth_keys.register_node(:'gx', :'lock_node1', 'signer-1', :'lock_sig_signer_n1');
SELECT tailnet FROM auth_keys.register_node(:'gx', :'lock_node2', 'admin-2', :'lock_sig_admin_n2');
SELECT tailnet FROM auth_keys.register_node(:'gx', :'lock_node3', 'rotated-3', :'lock_sig_rotation_n3');
SELECT tailnet FROM auth_keys.register_node(:'gx', :'lock_node4', 'presigned-4',
                                            node_key_signature => :'lock_sig_presigned_n4');
-- without a signature, then signed later on a signing node
SELECT tailnet FROM auth_keys.register_node(:'gx', :'lock_node5', 'later-5');
-- refused: nothing enrolled, nothing spent
SELECT * FROM auth_keys.register_node(:'gx', :'lock_node1', 'x', :'lock_sig_outsider_n1');
SELECT * FROM auth_keys.register_node(:'gx', :'lock_node4', 'x', :'lock_sig_credential');
SELECT * FROM auth_keys.register_node(:'gx', :'lock_node2', 'x', :'lock_sig_signer_n1');
SELECT * FROM auth_keys.register_node(:'gx', :'lock_node2', 'x', :'lock_sig_noncanonical');
SELECT * FROM auth_keys.register_node(:'gx', :'lock_node2', 'x', '\x');
-- the key is proven before the signature is looked at (its checksum,
-- the last character, changed: never the same key)
SELECT * FROM auth_keys.register_node(
    left(:'gx', -1) || CASE WHEN right(:'gx', 1) = 'x' THEN 'y' ELSE 'x' END,
    :'lock_node2', 'x', :'lock_sig_noncanonical');
-- lock_sign_node
SELECT auth_keys.lock_sign_node(:'lock_node5', :'lock_sig_signer_n1');
SELECT auth_keys.lock_sign_node(:'lock_node5', :'lock_sig_extra_n5');
SELECT auth_keys.lock_sign_node(('nodekey:' || repeat('77', 32))::auth_keys.nodekey,
                                :'lock_sig_extra_n5');
SELECT auth_keys.lock_sign_node(:'lock_node5', NULL);
SELECT auth_keys.lock_sign_node(:'lock_node5', :'lock_sig_noncanonical');
RESET SESSION AUTHORIZATION;

SET SESSION AUTHORIZATION regress_lock_globex;
SELECT hostname, status, lock_status FROM auth_keys.node_list ORDER BY hostname;
-- members read the views, not the tables
SELECT count(*) AS signatures FROM auth_keys.lock_node_signatures;
RESET SESSION AUTHORIZATION;
-- the node tier sees each node's lock status as node_list does
SET SESSION AUTHORIZATION regress_lock_node;
SELECT s.lock_status, s.status FROM auth_keys.node_status(:'lock_node4') AS s;
SELECT s.lock_status FROM auth_keys.node_status(:'plain') AS s;
RESET SESSION AUTHORIZATION;
-- a plain member sees no node but their own, and the trusted keys
SET SESSION AUTHORIZATION regress_lock_member;
SELECT count(*) AS nodes FROM auth_keys.node_list;
SELECT count(*) AS trusted_keys FROM auth_keys.lock_keys;
RESET SESSION AUTHORIZATION;
-- an operator reads the tables, row-level security limiting them to the
-- tailnet acted in, and a plain member's signatures to their own nodes'
SET SESSION AUTHORIZATION regress_lock_operator;
BEGIN;
SELECT auth_keys.act_as('globex', 'gail') \gset
SELECT (SELECT count(*) FROM auth_keys.lock_node_signatures) AS signatures,
       (SELECT count(*) FROM auth_keys.lock_updates) AS aums,
       (SELECT count(*) FROM auth_keys.lock_authorities) AS authorities,
       (SELECT count(*) FROM auth_keys.lock_trusted_keys) AS trusted_keys;
COMMIT;
BEGIN;
SELECT auth_keys.act_as('globex', 'max') \gset
SELECT (SELECT count(*) FROM auth_keys.lock_node_signatures) AS signatures,
       (SELECT count(*) FROM auth_keys.lock_updates) AS aums;
COMMIT;
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia') \gset
SELECT (SELECT count(*) FROM auth_keys.lock_node_signatures) AS signatures,
       (SELECT count(*) FROM auth_keys.lock_updates) AS aums,
       (SELECT count(*) FROM auth_keys.lock_authorities) AS authorities;
COMMIT;
RESET SESSION AUTHORIZATION;
SELECT n.hostname, s.authorizing_key = :'lock_admin' AS by_admin,
       s.authorizing_key = :'lock_signer' AS by_signer, s.authorizing_key = :'lock_pre' AS by_pre,
       s.authorizing_key = :'lock_extra' AS by_extra
  FROM auth_keys.lock_node_signatures s JOIN auth_keys.nodes n USING (node_id)
 ORDER BY n.hostname;
SELECT e.action, n.hostname, e.detail ->> 'lock_status' AS lock_status,
       e.detail ->> 'authorizing_key' = encode(:'lock_extra', 'hex') AS by_extra
  FROM auth_keys.events e JOIN auth_keys.nodes n USING (node_id)
 WHERE e.tailnet_id = (SELECT tailnet_id FROM auth_keys.tailnets WHERE name = 'globex')
 ORDER BY e.event_id;

--
-- A RemoveKey moves the head: the nodes its key signed are key_removed at
-- once, and that key signs nothing more
--
SET SESSION AUTHORIZATION regress_lock_node;
SELECT auth_keys.lock_submit('globex', ARRAY[:'lock_remove_signer'::bytea])
       = pg_temp.h(:'lock_remove_signer') AS head_is_remove_signer;
SELECT * FROM auth_keys.register_node(:'gx', :'lock_node1', 'signer-1', :'lock_sig_signer_n1');
-- re-authenticating without a signature keeps the node's signature
SELECT reauthenticated FROM auth_keys.register_node(:'gx', :'lock_node1', 'signer-1');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_lock_globex;
SELECT hostname, lock_status FROM auth_keys.node_list ORDER BY hostname;
SELECT public_key = 'tlpub:' || encode(:'lock_admin', 'hex') AS admin,
       public_key = 'tlpub:' || encode(:'lock_extra', 'hex') AS extra, votes, meta
  FROM auth_keys.lock_keys ORDER BY votes DESC, meta::text;
RESET SESSION AUTHORIZATION;

--
-- Each tailnet sees its own authority only
--
SET SESSION AUTHORIZATION regress_lock_acme;
SELECT DISTINCT tailnet FROM auth_keys.lock_keys;
SELECT count(*) AS stale FROM auth_keys.lock_stale_keys;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_lock_globex;
SELECT DISTINCT tailnet FROM auth_keys.lock_keys;
RESET SESSION AUTHORIZATION;

--
-- A read-only transaction reads the log and writes nothing
--
SET SESSION AUTHORIZATION regress_lock_node;
BEGIN READ ONLY;
SELECT auth_keys.lock_head('globex') = pg_temp.h(:'lock_remove_signer') AS head;
SELECT count(*) AS aums FROM auth_keys.lock_aums('globex');
SELECT d ->> 'kind' AS kind FROM auth_keys.lock_decode(:'lock_add') AS d;
SELECT auth_keys.lock_submit('globex', ARRAY[:'lock_fork_heavy'::bytea]);
ROLLBACK;
BEGIN READ ONLY;
SELECT auth_keys.lock_sign_node(:'lock_node2', :'lock_sig_admin_n2');
ROLLBACK;
BEGIN READ ONLY;
SELECT auth_keys.lock_disable('globex', :'lock_secret');
ROLLBACK;

--
-- Disablement: the secret, checked with Argon2i against the head's values
--
SELECT auth_keys.lock_disable('globex', 'not the secret');
SELECT auth_keys.lock_disable('globex', '');
SELECT auth_keys.lock_disable('globex', decode(repeat('00', 1025), 'hex'));
SELECT auth_keys.lock_disable('globex', NULL);
SELECT auth_keys.lock_disable('globex', :'lock_secret');
SELECT auth_keys.lock_head('globex') IS NULL AS no_head;
SELECT count(*) AS aums FROM auth_keys.lock_aums('globex');
SELECT auth_keys.lock_disable('globex', :'lock_secret');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_lock_globex;
SELECT hostname, lock_status FROM auth_keys.node_list ORDER BY hostname;
SELECT count(*) AS trusted_keys FROM auth_keys.lock_keys;
RESET SESSION AUTHORIZATION;
SELECT (SELECT count(*) FROM auth_keys.lock_updates u JOIN auth_keys.tailnets t USING (tailnet_id)
         WHERE t.name = 'globex') AS aums,
       (SELECT count(*) FROM auth_keys.lock_node_signatures s JOIN auth_keys.tailnets t USING (tailnet_id)
         WHERE t.name = 'globex') AS signatures,
       (SELECT count(*) FROM auth_keys.lock_authorities) AS authorities;
SELECT action, detail ->> 'head' = encode(pg_temp.h(:'lock_remove_signer'), 'hex') AS head
  FROM auth_keys.events WHERE action = 'lock.disabled';
-- a new genesis turns the lock on again; the old signatures are gone
SET SESSION AUTHORIZATION regress_lock_node;
SELECT auth_keys.lock_submit('globex', ARRAY[:'lock_genesis'::bytea]) = pg_temp.h(:'lock_genesis')
    AS head_is_genesis;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_lock_globex;
SELECT hostname, lock_status FROM auth_keys.node_list ORDER BY hostname;
RESET SESSION AUTHORIZATION;

--
-- A key string holding a pre-signed key's private part ("--TL") is an
-- invalid key like any other, and reaches no table
--
SELECT count(*) AS events_before FROM auth_keys.events \gset
SET SESSION AUTHORIZATION regress_lock_node;
SELECT * FROM auth_keys.register_node(:'gx' || '--TL' || encode(:'lock_sig_credential', 'base64')
                                      || '-' || repeat('A', 86), :'lock_node2', 'wrapped');
SELECT status FROM auth_keys.validate_key(:'gx' || '--TLAAAA-AAAA');
RESET SESSION AUTHORIZATION;
SELECT count(*) - :events_before AS new_events FROM auth_keys.events;

-- a node deleted takes its signature along
SELECT auth_keys.lock_submit('globex', ARRAY[:'lock_add'::bytea]) = pg_temp.h(:'lock_add') AS head_is_add;
SELECT count(*) AS signed FROM auth_keys.register_node(:'gx', :'lock_node5', 'later-5', :'lock_sig_extra_n5');
SELECT count(*) AS signatures FROM auth_keys.lock_node_signatures;
BEGIN;
SELECT auth_keys.act_as('globex', 'gail');
SELECT auth_keys.delete_node(node_id) FROM auth_keys.node_list WHERE hostname = 'later-5';
COMMIT;
SELECT count(*) AS signatures FROM auth_keys.lock_node_signatures;

-- a node presenting its spent one-off key again renews nothing, but a
-- signature it brings is verified and stored
SET SESSION AUTHORIZATION regress_lock_globex;
SELECT key AS once FROM auth_keys.create_key() \gset
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_lock_node;
SELECT reauthenticated FROM auth_keys.register_node(:'once', :'lock_node5', 'once-5');
SELECT s.lock_status FROM auth_keys.node_status(:'lock_node5') AS s;
SELECT reauthenticated FROM auth_keys.register_node(:'once', :'lock_node5', 'once-5', :'lock_sig_extra_n5');
SELECT s.lock_status FROM auth_keys.node_status(:'lock_node5') AS s;
SELECT * FROM auth_keys.register_node(:'once', :'lock_node5', 'once-5', :'lock_sig_signer_n1');
RESET SESSION AUTHORIZATION;
SELECT action FROM auth_keys.events WHERE node_id = (SELECT node_id FROM auth_keys.nodes WHERE hostname = 'once-5')
 ORDER BY event_id;

-- clean up
DROP FUNCTION pg_temp.h(bytea);
REVOKE USAGE ON SCHEMA auth_keys FROM regress_lock_none;
DROP EXTENSION auth_keys;
DROP SCHEMA auth_keys;
DROP ROLE regress_lock_none, regress_lock_node, regress_lock_acme, regress_lock_globex,
          regress_lock_member, regress_lock_operator;
