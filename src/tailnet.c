/*-------------------------------------------------------------------------
 *
 * tailnet.c
 *	  Operator functions for tailnets: create_tailnet, configure_tailnet.
 *
 * A tailnet is a tenant: one private network with its members, tags, keys
 * and nodes, and two settings, device approval and node key expiry (1 to
 * 180 days, 180 by default).
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/tailnet.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "actor.h"
#include "arguments.h"
#include "auth_keys.h"
#include "event.h"
#include "name_rules.h"
#include "query.h"
#include "tailnet.h"
#include "writable.h"

PG_FUNCTION_INFO_V1(auth_keys_create_tailnet);
PG_FUNCTION_INFO_V1(auth_keys_configure_tailnet);

#define NODE_KEY_EXPIRY_MIN_DAYS 1
#define NODE_KEY_EXPIRY_MAX_DAYS 180

/*
 * TailnetIdByName
 *		The id of a tailnet, or an error if there is none by that name.
 *		Caller is connected to SPI.
 */
int64
TailnetIdByName(const char *name)
{
	static SqlStatement lookup = {
		"SELECT tailnet_id FROM auth_keys.tailnets"
		" WHERE name OPERATOR(pg_catalog.=) $1",
		1, {TEXTOID}
	};
	Datum		value = CStringGetTextDatum(name);

	if (QueryRun(&lookup, &value, NULL, true) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("tailnet \"%s\" does not exist", name)));
	return DatumGetInt64(QueryGetNotNull(0, 1));
}

/* Error unless a node key expiry lies within 1 to 180 days. */
static void
require_node_key_expiry(const Interval *expiry)
{
	int64		usecs = IntervalAbsoluteUsecs(expiry);

	if (usecs < NODE_KEY_EXPIRY_MIN_DAYS * USECS_PER_DAY ||
		usecs > NODE_KEY_EXPIRY_MAX_DAYS * USECS_PER_DAY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("node key expiry must be between %d and %d days",
						NODE_KEY_EXPIRY_MIN_DAYS, NODE_KEY_EXPIRY_MAX_DAYS),
				 errhint("Use an interval such as '180 days'.")));
}

/*
 * auth_keys.create_tailnet(name text, device_approval boolean DEFAULT false,
 *		node_key_expiry interval DEFAULT '180 days') RETURNS bigint
 *		Create a tailnet and return its id.  Operator tier.
 */
Datum
auth_keys_create_tailnet(PG_FUNCTION_ARGS)
{
	static SqlStatement insert = {
		"INSERT INTO auth_keys.tailnets (name, device_approval, node_key_expiry)"
		" VALUES ($1, $2, $3)"
		" ON CONFLICT (name) DO NOTHING"
		" RETURNING tailnet_id",
		3, {TEXTOID, BOOLOID, INTERVALOID}
	};
	char	   *name;
	Datum		values[3];
	int64		tailnet_id;
	EventDetail detail;

	RequireWritable(fcinfo);
	RequireArguments(fcinfo, 3);
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	RequireTailnetName(name);
	require_node_key_expiry(PG_GETARG_INTERVAL_P(2));

	values[0] = PG_GETARG_DATUM(0);
	values[1] = PG_GETARG_DATUM(1);
	values[2] = PG_GETARG_DATUM(2);
	SPI_connect();
	if (QueryRun(&insert, values, NULL, false) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("tailnet \"%s\" already exists", name)));
	tailnet_id = DatumGetInt64(QueryGetNotNull(0, 1));

	EventDetailInit(&detail);
	EventDetailText(&detail, "name", name);
	EventDetailBool(&detail, "device_approval", PG_GETARG_BOOL(1));
	EventDetailInterval(&detail, "node_key_expiry", PG_GETARG_INTERVAL_P(2));
	EventRecord(ActorDescribe(), tailnet_id, "tailnet.created", NULL, EVENT_NO_NODE,
				&detail);
	SPI_finish();
	PG_RETURN_INT64(tailnet_id);
}

/*
 * auth_keys.configure_tailnet(tailnet text, device_approval boolean DEFAULT
 *		NULL, node_key_expiry interval DEFAULT NULL) RETURNS void
 *		Change a tailnet's settings; NULL keeps a setting.  Open to operators
 *		and to the owners and admins of that tailnet.
 */
Datum
auth_keys_configure_tailnet(PG_FUNCTION_ARGS)
{
	static SqlStatement update = {
		"UPDATE auth_keys.tailnets"
		"   SET device_approval = COALESCE($2, device_approval),"
		"       node_key_expiry = COALESCE($3, node_key_expiry)"
		" WHERE tailnet_id OPERATOR(pg_catalog.=) $1",
		3, {INT8OID, BOOLOID, INTERVALOID}
	};
	char	   *tailnet;
	int64		tailnet_id;
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	EventDetail detail;

	RequireWritable(fcinfo);
	RequireArgument(fcinfo, 0);
	tailnet = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (!PG_ARGISNULL(2))
		require_node_key_expiry(PG_GETARG_INTERVAL_P(2));

	SPI_connect();
	if (CallerIsOperator())
		tailnet_id = TailnetIdByName(tailnet);
	else
	{
		const Actor *actor = ActorRequire();

		/* another tailnet answers as one that does not exist */
		if (strcmp(actor->tailnet, tailnet) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("tailnet \"%s\" does not exist", tailnet)));
		if (!RoleIsTailnetAdmin(actor->role))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to configure tailnet \"%s\"", tailnet),
					 errhint("Only operators and the tailnet's owners and admins may change its settings.")));
		tailnet_id = actor->tailnet_id;
	}

	EventDetailInit(&detail);
	values[0] = Int64GetDatum(tailnet_id);
	for (int i = 1; i <= 2; i++)
	{
		if (PG_ARGISNULL(i))
		{
			nulls[i] = 'n';
			continue;
		}
		values[i] = PG_GETARG_DATUM(i);
		if (i == 1)
			EventDetailBool(&detail, "device_approval", PG_GETARG_BOOL(1));
		else
			EventDetailInterval(&detail, "node_key_expiry", PG_GETARG_INTERVAL_P(2));
	}
	QueryRun(&update, values, nulls, false);
	EventRecord(ActorDescribe(), tailnet_id, "tailnet.configured", NULL, EVENT_NO_NODE,
				&detail);
	SPI_finish();
	PG_RETURN_VOID();
}
