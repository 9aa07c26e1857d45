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

#include "fmgr.h"

#include "node.h"
#include "schema.h"

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
		type = SchemaType("nodekey");
	return type;
}
