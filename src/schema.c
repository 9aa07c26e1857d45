/*-------------------------------------------------------------------------
 *
 * schema.c
 *	  The extension's schema, and its tables and types by name.
 *
 * The extension is not relocatable: everything it makes lives in schema
 * auth_keys, and its statements name it outright.  What C needs by OID
 * (a table to open or to ask whether this database's version has it, a
 * type whose OID changes when the extension is created again) is looked up
 * here, through the system caches, so that the schema's name is written in
 * one place.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/schema.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "schema.h"

/* SchemaOid: the OID of schema auth_keys, which must exist. */
Oid
SchemaOid(void)
{
	return get_namespace_oid(AUTH_KEYS_SCHEMA, false);
}

/*
 * SchemaTable
 *		The OID of table auth_keys.<name>, or InvalidOid when this database
 *		has none (a table that a later version added, in a database still
 *		on an earlier one).
 */
Oid
SchemaTable(const char *name)
{
	return get_relname_relid(name, SchemaOid());
}

/* SchemaTableRequired: SchemaTable, for a table every version has. */
Oid
SchemaTableRequired(const char *name)
{
	Oid			relid = SchemaTable(name);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table %s.%s does not exist", AUTH_KEYS_SCHEMA, name),
				 errhint("Drop and create the extension again to restore its tables.")));
	return relid;
}

/* SchemaType: the OID of type auth_keys.<name>, which must exist. */
Oid
SchemaType(const char *name)
{
	Oid			type = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
									   CStringGetDatum(name),
									   ObjectIdGetDatum(SchemaOid()));

	if (!OidIsValid(type))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("type %s.%s does not exist", AUTH_KEYS_SCHEMA, name),
				 errhint("Drop and create the extension again to restore its types.")));
	return type;
}
