--
-- tag_graph: tags owned through other tags.  set_tag_owners refuses a
-- definition that would let a tag own itself (naming the cycle) and keeps
-- each owner once; deciding whether an actor may apply a tag reads each
-- tag at most once, however the tags own each other, so graphs that a DBA
-- (or an earlier version) stored with cycles, repeated owners or many
-- paths cost no more than any other.  Arrays of tens of thousands of tags
-- are checked in O(n log n).  (Cancelling such work: test/t/009_cancel.pl.)
--
CREATE EXTENSION auth_keys;
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on

SELECT auth_keys.create_tailnet('acme') IS NOT NULL AS created;
SELECT auth_keys.set_member('acme', 'olivia', 'owner');
SELECT auth_keys.set_member('acme', 'nina', 'network_admin');
SELECT auth_keys.set_member('acme', 'ivan', 'it_admin');

--
-- Definitions
--

-- Repeated owners are kept once, sorted.
SELECT auth_keys.set_tag_owners('acme', 'tag:a', '{nina, nina, olivia, nina, autogroup:admin}');
SELECT owners FROM auth_keys.tag_owners WHERE tag = 'tag:a';
SELECT auth_keys.set_tag_owners('acme', 'tag:b', ARRAY(SELECT 'tag:a' FROM generate_series(1, 10000)));
SELECT owners FROM auth_keys.tag_owners WHERE tag = 'tag:b';

-- A chain tag:d -> tag:c -> tag:b -> tag:a (each owned by the next).
SELECT auth_keys.set_tag_owners('acme', 'tag:c', '{tag:b}');
SELECT auth_keys.set_tag_owners('acme', 'tag:d', '{tag:c}');

-- Closing it is refused, with the cycle in the hint, at any length.
SELECT auth_keys.set_tag_owners('acme', 'tag:a', '{tag:b}');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_tag_owners('acme', 'tag:a', '{olivia, tag:d}');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_tag_owners('acme', 'tag:b', '{tag:a, tag:c}');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_tag_owners('acme', 'tag:new', '{tag:new}');
\echo :LAST_ERROR_SQLSTATE
-- nothing was changed by the refusals
SELECT tag, owners FROM auth_keys.tag_owners ORDER BY tag;

-- Redefining a tag replaces its owners: tag:d may be owned by tag:a too,
-- and once tag:c is no longer owned by tag:b, tag:b may be owned by tag:c.
SELECT auth_keys.set_tag_owners('acme', 'tag:d', '{tag:a, tag:c}');
SELECT auth_keys.set_tag_owners('acme', 'tag:c', '{ivan}');
SELECT auth_keys.set_tag_owners('acme', 'tag:b', '{tag:c}');
SELECT tag, owners FROM auth_keys.tag_owners ORDER BY tag;

--
-- Applying tags
--

-- nina owns tag:a; through tag:a she owns tag:d; tag:c is ivan's, and
-- through it tag:b.
BEGIN;
SELECT auth_keys.act_as('acme', 'nina');
SELECT key_id AS made FROM auth_keys.create_key(tags => '{tag:a, tag:d}') \gset
SELECT tags FROM auth_keys.keys WHERE key_id = :'made';
SELECT * FROM auth_keys.create_key(tags => '{tag:b}');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.act_as('acme', 'ivan');
SELECT key_id AS made FROM auth_keys.create_key(tags => '{tag:b, tag:c, tag:d}') \gset
SELECT tags FROM auth_keys.keys WHERE key_id = :'made';
COMMIT;

--
-- Graphs stored by a DBA, as the checks of set_tag_owners never saw them
--

-- Twelve tags that each own the other eleven, each owner listed 50 times,
-- and none owned by a member: every path is a cycle.
INSERT INTO auth_keys.tag_owners (tailnet_id, tag, owners)
SELECT t.tailnet_id, 'tag:k' || i,
       ARRAY(SELECT 'tag:k' || j FROM generate_series(1, 12) AS j, generate_series(1, 50)
              WHERE j <> i)
  FROM auth_keys.tailnets t, generate_series(1, 12) AS i;
SELECT count(*) AS tags, sum(cardinality(owners)) AS owner_entries
  FROM auth_keys.tag_owners WHERE tag LIKE 'tag:k%';
BEGIN;
SELECT auth_keys.act_as('acme', 'nina');
SELECT * FROM auth_keys.create_key(tags => ARRAY(SELECT 'tag:k' || i FROM generate_series(1, 12) AS i));
\echo :LAST_ERROR_SQLSTATE
COMMIT;

-- Give one tag of the cycle an owner: all twelve are then owned by nina,
-- since each reaches it.
UPDATE auth_keys.tag_owners SET owners = owners || '{nina}'::text[] WHERE tag = 'tag:k7';
BEGIN;
SELECT auth_keys.act_as('acme', 'nina');
SELECT key_id AS made FROM auth_keys.create_key(tags => ARRAY(SELECT 'tag:k' || i FROM generate_series(1, 12) AS i)) \gset
SELECT cardinality(tags) AS tags FROM auth_keys.keys WHERE key_id = :'made';
-- but not for ivan
SELECT auth_keys.act_as('acme', 'ivan');
SELECT * FROM auth_keys.create_key(tags => '{tag:k3}');
\echo :LAST_ERROR_SQLSTATE
COMMIT;

-- A layered graph with a million paths: 20 layers of 20 tags, each owned
-- by every tag of the layer above; only the top layer has an owner.
INSERT INTO auth_keys.tag_owners (tailnet_id, tag, owners)
SELECT t.tailnet_id, format('tag:l%s-%s', layer, i),
       CASE WHEN layer = 1 THEN '{olivia}'::text[]
            ELSE ARRAY(SELECT format('tag:l%s-%s', layer - 1, j) FROM generate_series(1, 20) AS j)
       END
  FROM auth_keys.tailnets t, generate_series(1, 20) AS layer, generate_series(1, 20) AS i;
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT key_id AS made FROM auth_keys.create_key(tags => '{tag:l20-1, tag:l20-20}') \gset
SELECT tags FROM auth_keys.keys WHERE key_id = :'made';
SELECT auth_keys.act_as('acme', 'nina');
SELECT * FROM auth_keys.create_key(tags => '{tag:l20-1}');
\echo :LAST_ERROR_SQLSTATE
COMMIT;

--
-- Arrays of many tags
--

SELECT auth_keys.tags_are_valid(ARRAY(SELECT 'tag:t' || i FROM generate_series(1, 60000) AS i)) AS sixty_thousand;
SELECT auth_keys.tags_are_valid(ARRAY(SELECT 'tag:t' || i FROM generate_series(1, 60000) AS i)
                                || '{tag:t31337}'::text[]) AS with_a_repeat;
SELECT auth_keys.tags_are_valid(ARRAY(SELECT 'tag:t' || (60001 - i) FROM generate_series(1, 60000) AS i)
                                || '{tag:t1}'::text[]) AS repeat_far_apart;
SELECT auth_keys.tags_are_valid('{tag:a, NULL}') AS with_null,
       auth_keys.tags_are_valid('{tag:a, tag:A}') AS upper_case,
       auth_keys.tags_are_valid('{}') AS empty,
       auth_keys.tags_are_valid('{tag:ab, tag:a}') AS prefixes;
-- create_key sorts and deduplicates them as it checks them
BEGIN;
SELECT auth_keys.act_as('acme', 'olivia');
SELECT key_id AS made FROM auth_keys.create_key(tags => ARRAY(SELECT 'tag:l1-' || (i % 20 + 1) FROM generate_series(1, 60000) AS i)) \gset
SELECT cardinality(tags) AS stored_tags FROM auth_keys.keys WHERE key_id = :'made';
COMMIT;

DROP EXTENSION auth_keys;
DROP SCHEMA auth_keys;
