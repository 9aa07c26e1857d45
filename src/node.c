/*-------------------------------------------------------------------------
 *
 * node.c
 *	  Checks shared by the functions that take a node's arguments.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/node.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "node.h"

/*
 * NodeKeyArgType
 *		The OID of auth_keys.nodekey, taken from the call's argument "argno"
 *		(the type's OID changes when the extension is created again, so it
 *		cannot be a constant).
 */
Oid
NodeKeyArgType(FunctionCallInfo fcinfo, int argno)
{
	Oid			type = get_fn_expr_argtype(fcinfo->flinfo, argno);

	if (!OidIsValid(type))
		type = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
							   CStringGetDatum("nodekey"),
							   ObjectIdGetDatum(get_namespace_oid("auth_keys", false)));
	if (!OidIsValid(type))
		elog(ERROR, "type auth_keys.nodekey does not exist");
	return type;
}
