/*-------------------------------------------------------------------------
 *
 * delegate.c
 *	  The delegate tier: application backends that act for many members
 *	  (act_as), limited to named tailnets or not.
 *
 * A delegate is a database role granted the tier with grant_tier('delegate',
 * role, tailnets => ...): EXECUTE on act_as and the actor functions, and a
 * row in auth_keys.delegates for each tailnet it may act in (a row with a
 * NULL tailnet_id: every tailnet).  Operators hold act_as too, and act in
 * any tailnet; anyone else who may execute act_as must be a delegate for
 * that tailnet, directly or through a role it inherits from.
 *
 * Deleting a tailnet deletes its rows here (a foreign key), so a delegate
 * limited to it acts nowhere afterwards, never everywhere.  The functions
 * that later join the tier (act_as_token, oauth_token) check through the
 * same DelegateRequireTailnet.
 *
 * A delegate that may not act in a tailnet learns nothing about it: the
 * error is the same whether the tailnet exists or not.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/delegate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "actor.h"
#include "delegate.h"
#include "query.h"
#include "schema.h"

/*
 * DelegateRequireTailnet
 *		Error unless the calling role may act in the tailnet of that name:
 *		an operator, or a delegate for that tailnet or for every tailnet.
 *		Runs its own SPI connection.
 */
void
DelegateRequireTailnet(const char *tailnet)
{
	static SqlStatement allowed = {
		"SELECT EXISTS ("
		"  SELECT FROM auth_keys.delegates d"
		"   WHERE pg_catalog.pg_has_role($1, d.delegate::pg_catalog.oid, 'USAGE')"
		"     AND (d.tailnet_id IS NULL"
		"          OR d.tailnet_id OPERATOR(pg_catalog.=)"
		"             (SELECT t.tailnet_id FROM auth_keys.tailnets t"
		"               WHERE t.name OPERATOR(pg_catalog.=) $2)))",
		2, {OIDOID, TEXTOID}
	};
	Oid			user = GetOuterUserId();
	Datum		values[2];
	bool		ok;

	if (CallerIsOperator())
		return;

	/*
	 * A database still on version 1.0 has no delegates table, and no tier
	 * but the operator's holds act_as there.
	 */
	if (!OidIsValid(SchemaTable("delegates")))
		return;

	values[0] = ObjectIdGetDatum(user);
	values[1] = CStringGetTextDatum(tailnet);
	SPI_connect();
	QueryRun(&allowed, values, NULL, true);
	ok = DatumGetBool(QueryGetNotNull(0, 1));
	SPI_finish();

	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to act in tailnet \"%s\"", tailnet),
				 errdetail("Role \"%s\" is not a delegate for that tailnet.",
						   GetUserNameFromId(user, false)),
				 errhint("A superuser makes a role a delegate for a tailnet with auth_keys.grant_tier('delegate', role, tailnets => ...).")));
}
