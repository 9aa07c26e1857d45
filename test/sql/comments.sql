--
-- comments: every object of the extension explains itself in \df+, \d+
-- and \dT+: functions, tables, views, types, operators, operator
-- classes, every column of a table or view, and every setting.
--
CREATE EXTENSION auth_keys;

-- members of the extension without a comment (operator families and
-- sequences excepted: psql shows those of their operator classes and
-- identity columns)
SELECT pg_describe_object(d.classid, d.objid, 0) AS undocumented
  FROM pg_depend d
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'auth_keys'
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND d.classid <> 'pg_opfamily'::regclass
   AND NOT (d.classid = 'pg_class'::regclass
            AND (SELECT relkind FROM pg_class WHERE oid = d.objid) = 'S')
   AND obj_description(d.objid, (SELECT relname FROM pg_class WHERE oid = d.classid)) IS NULL
 ORDER BY 1;

-- columns of the extension's tables and views without a comment (a
-- partition's columns are its table's, and psql shows those)
SELECT c.relname || '.' || a.attname AS undocumented_column
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'auth_keys'
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition
   AND col_description(c.oid, a.attnum) IS NULL
 ORDER BY 1;

-- settings without a description
SELECT name AS undocumented_setting
  FROM pg_settings
 WHERE name LIKE 'auth\_keys.%' AND coalesce(short_desc, '') = ''
 ORDER BY 1;
SELECT count(*) AS settings FROM pg_settings WHERE name LIKE 'auth\_keys.%';

-- what the checks above look at is there
SELECT d.classid::regclass AS catalog, count(*) AS documented
  FROM pg_depend d
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'auth_keys'
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND obj_description(d.objid, (SELECT relname FROM pg_class WHERE oid = d.classid)) IS NOT NULL
 GROUP BY 1 ORDER BY 1;

DROP EXTENSION auth_keys;
DROP SCHEMA auth_keys;
