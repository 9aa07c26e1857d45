-- test/t/extension_objects.sql
--
-- Everything that makes up the installed auth_keys, read from the
-- catalogs, one line per fact: "object | property | value".  Two databases
-- whose extension objects are the same give the same lines, whatever the
-- OIDs; 005_upgrade.pl compares a database updated from 1.0 with a fresh
-- CREATE EXTENSION this way.  Covered: which objects belong to the
-- extension; functions (the whole definition: signature, result,
-- language, volatility, strictness, security, leakproofness, parallel
-- safety, cost, rows, settings, body or C symbol) and their ACLs; tables,
-- views and sequences (columns with types, defaults, identity,
-- generation, not-null, collation; options, row-level security, ACLs,
-- column ACLs, view definitions, sequence parameters); constraints,
-- indexes, policies and triggers; types, operators and operator classes
-- with their members; what pg_dump keeps (extconfig); the schema's ACL;
-- and the comment of every object and column.
--
-- Copyright (c) 2026, auth_keys developers

WITH ext AS (
    SELECT oid FROM pg_extension WHERE extname = 'auth_keys'
), members AS (
    SELECT d.classid, d.objid
      FROM pg_depend d, ext
     WHERE d.refclassid = 'pg_extension'::regclass
       AND d.refobjid = ext.oid
       AND d.deptype = 'e'
), rels AS (
    SELECT c.*
      FROM pg_class c
      JOIN members m ON m.classid = 'pg_class'::regclass
                    AND m.objid = c.oid
), facts (object, property, value) AS (
    -- membership
    SELECT pg_describe_object(classid, objid, 0), 'member', 'yes'
      FROM members
    -- comments of members
    UNION ALL
    SELECT pg_describe_object(m.classid, m.objid, 0), 'comment', d.description
      FROM members m
      JOIN pg_description d
        ON d.classoid = m.classid
       AND d.objoid = m.objid
       AND d.objsubid = 0
    -- functions
    UNION ALL
    SELECT pg_describe_object('pg_proc'::regclass, p.oid, 0),
           'definition', pg_get_functiondef(p.oid)
      FROM pg_proc p
      JOIN members m ON m.classid = 'pg_proc'::regclass
                    AND m.objid = p.oid
    UNION ALL
    SELECT pg_describe_object('pg_proc'::regclass, p.oid, 0),
           'acl', COALESCE((SELECT string_agg(i::text, ',' ORDER BY i::text) FROM unnest(p.proacl) AS i), 'default')
      FROM pg_proc p
      JOIN members m ON m.classid = 'pg_proc'::regclass
                    AND m.objid = p.oid
    -- relations
    UNION ALL
    SELECT pg_describe_object('pg_class'::regclass, c.oid, 0),
           'relation',
           concat_ws(' ', 'kind', c.relkind, 'rls', c.relrowsecurity,
                                'force', c.relforcerowsecurity, 'options', c.reloptions::text,
                                'persistence', c.relpersistence,
                                'partitioned by', pg_get_partkeydef(c.oid),
                                'partition', pg_get_expr(c.relpartbound, c.oid))
      FROM rels c
    UNION ALL
    SELECT pg_describe_object('pg_class'::regclass, c.oid, 0),
           'acl', COALESCE((SELECT string_agg(i::text, ',' ORDER BY i::text) FROM unnest(c.relacl) AS i), 'default')
      FROM rels c
    UNION ALL
    SELECT pg_describe_object('pg_class'::regclass, c.oid, 0),
           'view', pg_get_viewdef(c.oid)
      FROM rels c WHERE c.relkind = 'v'
    UNION ALL
    SELECT pg_describe_object('pg_class'::regclass, s.seqrelid, 0),
           'sequence',
           concat_ws(' ', format_type(s.seqtypid, NULL), s.seqstart,
                                s.seqincrement, s.seqmax, s.seqmin, s.seqcache, s.seqcycle)
      FROM pg_sequence s JOIN rels c ON c.oid = s.seqrelid
    -- columns
    UNION ALL
    SELECT pg_describe_object('pg_class'::regclass, c.oid, a.attnum),
           'column',
           concat_ws(' ', a.attnum, format_type(a.atttypid, a.atttypmod),
                                CASE WHEN a.attnotnull THEN 'not null' END,
                                'identity', NULLIF(a.attidentity, ''),
                                'generated', NULLIF(a.attgenerated, ''),
                                'default', pg_get_expr(ad.adbin, ad.adrelid),
                                'collation', co.collname,
                                'storage', a.attstorage,
                                'acl', (SELECT string_agg(i::text, ',' ORDER BY i::text) FROM unnest(a.attacl) AS i))
      FROM rels c
      JOIN pg_attribute a ON a.attrelid = c.oid
      LEFT JOIN pg_attrdef ad
        ON ad.adrelid = c.oid AND ad.adnum = a.attnum
      LEFT JOIN pg_collation co
        ON co.oid = a.attcollation
       AND a.attcollation <> 0
     WHERE a.attnum > 0 AND NOT a.attisdropped
       AND c.relkind <> 'S'
    UNION ALL
    SELECT pg_describe_object('pg_class'::regclass, c.oid, d.objsubid),
           'comment', d.description
      FROM rels c
      JOIN pg_description d
        ON d.classoid = 'pg_class'::regclass
       AND d.objoid = c.oid
       AND d.objsubid > 0
    -- constraints, indexes, policies, triggers of the extension's tables
    UNION ALL
    SELECT 'constraint ' || con.conname ||
           ' on ' || c.relname,
           'definition', pg_get_constraintdef(con.oid)
      FROM rels c JOIN pg_constraint con ON con.conrelid = c.oid
    UNION ALL
    SELECT 'index ' || i.relname, 'definition',
           pg_get_indexdef(i.oid) ||
           COALESCE(' WITH ' || i.reloptions::text, '')
      FROM rels c
      JOIN pg_index x ON x.indrelid = c.oid
      JOIN pg_class i ON i.oid = x.indexrelid
    UNION ALL
    SELECT 'policy ' || pol.polname ||
           ' on ' || c.relname,
           'definition',
           concat_ws(' ', pol.polcmd, pol.polpermissive,
                                (SELECT string_agg(CASE WHEN r = 0
                                                                   THEN 'public'
                                                                   ELSE r::regrole::text END,
                                                              ',' ORDER BY 1)
                                   FROM unnest(pol.polroles) AS r),
                                'using', pg_get_expr(pol.polqual, pol.polrelid),
                                'check', pg_get_expr(pol.polwithcheck, pol.polrelid))
      FROM rels c JOIN pg_policy pol ON pol.polrelid = c.oid
    UNION ALL
    SELECT 'trigger ' || tg.tgname ||
           ' on ' || c.relname,
           'definition',
           pg_get_triggerdef(tg.oid) || ' ' || tg.tgenabled::text
      FROM rels c JOIN pg_trigger tg ON tg.tgrelid = c.oid
     WHERE NOT tg.tgisinternal
    UNION ALL
    SELECT 'trigger ' || tg.tgname || ' on ' || c.relname, 'comment', d.description
      FROM rels c JOIN pg_trigger tg ON tg.tgrelid = c.oid
      JOIN pg_description d ON d.classoid = 'pg_trigger'::regclass AND d.objoid = tg.oid
    -- types
    UNION ALL
    SELECT pg_describe_object('pg_type'::regclass, t.oid, 0),
           'type',
           concat_ws(' ', t.typtype, t.typlen, t.typbyval, t.typalign, t.typstorage,
                                t.typinput, t.typoutput, t.typreceive, t.typsend,
                                t.typcategory, t.typispreferred, 'acl', (SELECT string_agg(i::text, ',' ORDER BY i::text) FROM unnest(t.typacl) AS i))
      FROM pg_type t
      JOIN members m ON m.classid = 'pg_type'::regclass
                    AND m.objid = t.oid
    -- operators and operator classes
    UNION ALL
    SELECT pg_describe_object('pg_operator'::regclass, o.oid, 0),
           'operator',
           concat_ws(' ', o.oprcode, o.oprcom::regoperator, o.oprnegate::regoperator,
                                o.oprrest, o.oprjoin, o.oprcanhash, o.oprcanmerge)
      FROM pg_operator o
      JOIN members m ON m.classid = 'pg_operator'::regclass
                    AND m.objid = o.oid
    UNION ALL
    SELECT pg_describe_object('pg_opclass'::regclass, oc.oid, 0),
           'opclass', concat_ws(' ', oc.opcdefault, oc.opcintype::regtype)
      FROM pg_opclass oc
      JOIN members m ON m.classid = 'pg_opclass'::regclass
                    AND m.objid = oc.oid
    UNION ALL
    SELECT pg_describe_object('pg_amop'::regclass, ao.oid, 0),
           'member', 'yes'
      FROM pg_amop ao
      JOIN members m ON m.classid = 'pg_opfamily'::regclass
                    AND m.objid = ao.amopfamily
    UNION ALL
    SELECT pg_describe_object('pg_amproc'::regclass, ap.oid, 0),
           'member', 'yes'
      FROM pg_amproc ap
      JOIN members m ON m.classid = 'pg_opfamily'::regclass
                    AND m.objid = ap.amprocfamily
    -- what pg_dump keeps, and the schema
    UNION ALL
    SELECT 'extension auth_keys', 'config',
           concat_ws(' ', cfg::regclass::text, cond)
      FROM pg_extension e,
           LATERAL unnest(e.extconfig, e.extcondition) AS u (cfg, cond)
     WHERE e.extname = 'auth_keys'
    UNION ALL
    SELECT 'schema auth_keys', 'acl', COALESCE((SELECT string_agg(i::text, ',' ORDER BY i::text) FROM unnest(n.nspacl) AS i), 'default')
      FROM pg_namespace n WHERE n.nspname = 'auth_keys'
    UNION ALL
    SELECT 'schema auth_keys', 'comment', obj_description(n.oid, 'pg_namespace')
      FROM pg_namespace n WHERE n.nspname = 'auth_keys'
)
SELECT concat_ws(' | ', object, property,
                            replace(value, E'\n', E'\n    '))
  FROM facts
 ORDER BY object, property, value;
