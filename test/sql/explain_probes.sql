--
-- explain_probes: a tenant learns nothing about another tenant from
-- EXPLAIN (ANALYZE) row counts, under any planner setting it can change.
-- For every view a tenant reads, every column it could probe, and every
-- enable_* setting off in turn (then all of them, then extreme costs), the
-- plan of a probe for a value that another tenant has must read exactly as
-- the plan of a probe for a value that nobody has.  The control shows the
-- probe works: on a table read directly under row-level security (as 1.0
-- let members read them), the same probes tell the two apart.
--
CREATE EXTENSION auth_keys;
\set SHOW_CONTEXT never

SELECT auth_keys.create_tailnet('alpha.example') IS NOT NULL AS created;
SELECT auth_keys.create_tailnet('beta.example') IS NOT NULL AS created;
SELECT auth_keys.set_member('alpha.example', 'owner@alpha', 'owner');
SELECT auth_keys.set_member('beta.example', 'owner@beta', 'owner');
SELECT auth_keys.set_tag_owners(t, 'tag:probe', '{autogroup:admin}')
  FROM unnest(ARRAY['alpha.example', 'beta.example']) AS t;

-- Each tailnet has 20 keys, made in a transaction of its own (so that
-- their times differ), and 20 nodes.
CREATE TEMP TABLE made (tailnet text, key_id text, key text);
CREATE FUNCTION pg_temp.make_keys(t text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auth_keys.act_as(t, 'owner@' || split_part(t, '.', 1));
    FOR i IN 1 .. 20 LOOP
        INSERT INTO made
        SELECT t, k.key_id, k.key
          FROM auth_keys.create_key(reusable => true, tags => '{tag:probe}',
                                    description => 'probe') AS k;
    END LOOP;
END;
$$;
-- and an OAuth client each, which mints a key (after its tailnet's keys:
-- every time of beta's is later than alpha's)
CREATE TEMP TABLE clients (tailnet text, client_id text);
CREATE FUNCTION pg_temp.make_client(t text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    c record;
BEGIN
    PERFORM auth_keys.act_as(t, 'owner@' || split_part(t, '.', 1));
    SELECT * INTO c FROM auth_keys.create_oauth_client('{auth_keys}', '{tag:probe}', 'probe');
    INSERT INTO clients VALUES (t, c.client_id);
    PERFORM auth_keys.act_as_token(access_token) FROM auth_keys.oauth_token(c.secret);
    PERFORM auth_keys.create_key(tags => '{tag:probe}', description => 'minted');
END;
$$;
SELECT pg_temp.make_keys('alpha.example');
SELECT pg_temp.make_client('alpha.example');
SELECT pg_sleep(0.01);
SELECT pg_temp.make_keys('beta.example');
SELECT pg_temp.make_client('beta.example');
SELECT count(*) AS enrolled
  FROM (SELECT m.*, row_number() OVER (ORDER BY m.tailnet, m.key_id) AS i FROM made m) AS m,
       LATERAL auth_keys.register_node(m.key,
                                       ('nodekey:' || lpad(to_hex(m.i::int), 64, '0'))::auth_keys.nodekey,
                                       'host-' || m.tailnet || '-' || m.i) AS r;
CREATE TEMP VIEW beta AS SELECT tailnet_id FROM auth_keys.tailnets WHERE name = 'beta.example';

-- a role mapped to alpha's owner, with the actor tier
CREATE ROLE regress_probe_alpha NOLOGIN;
SELECT auth_keys.grant_tier('actor', 'regress_probe_alpha');
SELECT auth_keys.set_member('alpha.example', 'owner@alpha', 'owner', db_role => 'regress_probe_alpha');

-- The probes: for each relation and column, a value only beta has, and one
-- of the same kind that nobody has.
CREATE TEMP TABLE probes (relation text, col text, op text, beta_value text, no_value text);
INSERT INTO probes
SELECT 'auth_keys.' || v, c, o, b, n
  FROM (VALUES
    ('key_list', 'key_id', '=',
     (SELECT max(key_id) FROM made WHERE tailnet = 'beta.example'), 'NoSuchKey123'),
    ('key_list', 'created_by', '=', 'owner@beta', 'owner@gamm'),
    ('key_list', 'oauth_client_id', '=',
     (SELECT client_id FROM clients WHERE tailnet = 'beta.example'), 'NoSuchClient'),
    ('key_list', 'tailnet', '=', 'beta.example', 'zeta.example'),
    ('key_list', 'expires_at', '=',
     (SELECT max(expires_at)::text FROM auth_keys.keys WHERE tailnet_id = (SELECT * FROM beta)),
     (SELECT (max(expires_at) + interval '1 hour')::text FROM auth_keys.keys)),
    ('key_list', 'expires_at', '>',
     (SELECT (min(expires_at) - interval '1 microsecond')::text
        FROM auth_keys.keys WHERE tailnet_id = (SELECT * FROM beta)),
     (SELECT max(expires_at)::text FROM auth_keys.keys)),
    ('recent_invalid_keys', 'key_id', '=',
     (SELECT max(key_id) FROM made WHERE tailnet = 'beta.example'), 'NoSuchKey123'),
    ('node_list', 'node_id', '=',
     (SELECT max(node_id)::text FROM auth_keys.nodes WHERE tailnet_id = (SELECT * FROM beta)),
     '999999'),
    ('node_list', 'node_id', '>',
     (SELECT (min(node_id) - 1)::text FROM auth_keys.nodes WHERE tailnet_id = (SELECT * FROM beta)),
     (SELECT max(node_id)::text FROM auth_keys.nodes)),
    ('node_list', 'node_key', 'OPERATOR(auth_keys.=)',
     (SELECT max(node_key::text) FROM auth_keys.nodes WHERE tailnet_id = (SELECT * FROM beta)),
     'nodekey:' || repeat('ee', 32)),
    ('node_list', 'hostname', '=',
     (SELECT max(hostname) FROM auth_keys.nodes WHERE tailnet_id = (SELECT * FROM beta)),
     'host-zeta.example-99'),
    ('node_list', 'auth_key_id', '=',
     (SELECT max(auth_key_id) FROM auth_keys.nodes WHERE tailnet_id = (SELECT * FROM beta)),
     'NoSuchKey123'),
    ('member_list', 'login', '=', 'owner@beta', 'owner@gamm'),
    ('tag_list', 'tailnet', '=', 'beta.example', 'zeta.example'),
    ('event_list', 'event_id', '=',
     (SELECT max(event_id)::text FROM auth_keys.events WHERE tailnet_id = (SELECT * FROM beta)),
     '999999'),
    ('event_list', 'actor', '=', 'owner@beta', 'owner@gamm'),
    ('tailnet_settings', 'tailnet', '=', 'beta.example', 'zeta.example'),
    ('oauth_client_list', 'client_id', '=',
     (SELECT client_id FROM clients WHERE tailnet = 'beta.example'), 'NoSuchClient'),
    ('oauth_client_list', 'created_by', '=', 'owner@beta', 'owner@gamm'),
    ('oauth_client_list', 'tailnet', '=', 'beta.example', 'zeta.example')) AS p (v, c, o, b, n);
GRANT SELECT ON probes TO PUBLIC;

-- The plan of a query, run, with the probed value (a quoted literal in the
-- plan) written as ?.
CREATE FUNCTION pg_temp.plan_of(relation text, col text, op text, value text) RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    line text;
    plan text := '';
BEGIN
    FOR line IN EXECUTE format('EXPLAIN (ANALYZE, TIMING OFF, COSTS OFF, SUMMARY OFF, BUFFERS OFF) '
                               'SELECT 1 FROM %s WHERE %I %s %L', relation, col, op, value) LOOP
        plan := plan || replace(line, quote_literal(value), '?') || E'\n';
    END LOOP;
    RETURN plan;
END;
$$;

-- The planner settings to try: each enable_* off alone, all off, and costs
-- that make any index look free.
CREATE TEMP TABLE settings (name text, statements text);
INSERT INTO settings
SELECT 'default', ''
UNION ALL
SELECT name || ' off', format('SET %s = off;', name)
  FROM pg_settings WHERE name LIKE 'enable\_%' AND vartype = 'bool'
UNION ALL
SELECT 'every enable_* off',
       (SELECT string_agg(format('SET %s = off;', name), ' ')
          FROM pg_settings WHERE name LIKE 'enable\_%' AND vartype = 'bool')
UNION ALL
SELECT 'issue probe settings', 'SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_sort = off;'
UNION ALL
SELECT 'indexes free', 'SET random_page_cost = 0; SET seq_page_cost = 1000; SET cpu_index_tuple_cost = 0;';
GRANT SELECT ON settings TO PUBLIC;

-- Every probe under every setting: where the plans differ, the tenant
-- could tell that the other tenant has the value.
CREATE FUNCTION pg_temp.probe_all() RETURNS TABLE (setting text, relation text, col text, differ boolean)
    LANGUAGE plpgsql AS $$
DECLARE
    s record;
    p record;
    with_value text;
    without text;
BEGIN
    FOR s IN SELECT * FROM settings LOOP
        FOR p IN SELECT * FROM probes LOOP
            EXECUTE 'RESET ALL; ' || s.statements;
            with_value := pg_temp.plan_of(p.relation, p.col, p.op, p.beta_value);
            without := pg_temp.plan_of(p.relation, p.col, p.op, p.no_value);
            setting := s.name;
            relation := p.relation;
            col := p.col;
            differ := with_value IS DISTINCT FROM without;
            RETURN NEXT;
        END LOOP;
    END LOOP;
    RESET ALL;
END;
$$;

SET SESSION AUTHORIZATION regress_probe_alpha;
-- alpha sees its own rows, and none of beta's
SELECT count(*) AS keys, count(*) FILTER (WHERE tailnet <> 'alpha.example') AS others
  FROM auth_keys.key_list;
CREATE TEMP TABLE results AS SELECT * FROM pg_temp.probe_all();
RESET SESSION AUTHORIZATION;
SELECT count(*) AS probes, count(DISTINCT setting) AS settings,
       count(*) FILTER (WHERE differ) AS telling
  FROM results;
SELECT setting, relation, col FROM results WHERE differ ORDER BY 1, 2, 3;

--
-- Control: the same probes on a table that a role reads directly under
-- row-level security, as the actor tier of 1.0 read the tables.
--
CREATE ROLE regress_probe_table NOLOGIN;
GRANT USAGE ON SCHEMA auth_keys TO regress_probe_table;
GRANT SELECT ON auth_keys.tailnets, auth_keys.nodes, auth_keys.events TO regress_probe_table;
SELECT auth_keys.set_member('alpha.example', 'member@alpha', 'member', db_role => 'regress_probe_table');
DELETE FROM probes;
INSERT INTO probes VALUES
    ('auth_keys.tailnets', 'name', '=', 'beta.example', 'zeta.example'),
    ('auth_keys.nodes', 'node_id', '=',
     (SELECT max(node_id)::text FROM auth_keys.nodes WHERE tailnet_id = (SELECT * FROM beta)), '999999'),
    ('auth_keys.events', 'event_id', '=',
     (SELECT max(event_id)::text FROM auth_keys.events WHERE tailnet_id = (SELECT * FROM beta)), '999999');
DROP TABLE results;
SET SESSION AUTHORIZATION regress_probe_table;
CREATE TEMP TABLE results AS SELECT * FROM pg_temp.probe_all();
RESET SESSION AUTHORIZATION;
-- the issue's own probe: an index condition before the policy's filter
-- (events.event_id is in no index since 1.1, and no longer tells)
SELECT relation, col, differ FROM results WHERE setting = 'issue probe settings' ORDER BY 1, 2;
SELECT count(*) FILTER (WHERE differ) > 0 AS the_probe_tells FROM results;

DROP TABLE results;
DROP VIEW beta;
REVOKE ALL ON auth_keys.tailnets, auth_keys.nodes, auth_keys.events FROM regress_probe_table;
REVOKE USAGE ON SCHEMA auth_keys FROM regress_probe_table;
SELECT auth_keys.revoke_tier('actor', 'regress_probe_alpha');
DROP EXTENSION auth_keys;
DROP SCHEMA auth_keys;
DROP ROLE regress_probe_alpha;
DROP ROLE regress_probe_table;
