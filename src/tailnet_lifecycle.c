/*-------------------------------------------------------------------------
 *
 * tailnet_lifecycle.c
 *	  The end of a tenant, and the owners it keeps until then:
 *	  delete_tailnet, and the rule that a tailnet's last owner cannot be
 *	  removed or demoted.
 *
 * delete_tailnet removes a tailnet and, through the foreign keys, all that
 * is in it: members, tags, keys, nodes, its audit events and the delegate
 * grants for it.  What stays is one event "tailnet.deleted" with no tailnet
 * (the record outlives the tenant), naming who deleted it and what it held;
 * the view tailnet_deletions shows these records to operators.
 *
 * Locking: every change of a member's role or membership first updates the
 * tailnet's row (without changing it) and only then counts the owners, so
 * that two transactions demoting or removing the last two owners at once
 * queue behind each other, and the second sees the first's change (under
 * READ COMMITTED), or fails with a serialization error (under REPEATABLE
 * READ and SERIALIZABLE), instead of both going through.  A lock alone
 * would not stop the second under REPEATABLE READ, whose snapshot is older
 * than the first's commit; a row update does.  The update takes FOR NO KEY
 * UPDATE, which the foreign key checks of registrations (FOR KEY SHARE) do
 * not wait for.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/tailnet_lifecycle.c
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
#include "event.h"
#include "query.h"
#include "tailnet.h"
#include "writable.h"

PG_FUNCTION_INFO_V1(auth_keys_delete_tailnet);

/*
 * Serialize changes of a tailnet's members: see the file header.  Caller
 * is connected to SPI.
 */
static void
lock_tailnet(int64 tailnet_id)
{
	static SqlStatement touch = {
		"UPDATE auth_keys.tailnets SET device_approval = device_approval"
		" WHERE tailnet_id OPERATOR(pg_catalog.=) $1",
		1, {INT8OID}
	};
	Datum		value = Int64GetDatum(tailnet_id);

	QueryRun(&touch, &value, NULL, false);
}

/*
 * TailnetRequireOwnerKept
 *		Error if making member "login" of a tailnet "new_role" (or, with
 *		new_role NULL, removing it) would leave the tailnet without an
 *		owner.  Locks the tailnet's members first.  Caller is connected to
 *		SPI.
 */
void
TailnetRequireOwnerKept(int64 tailnet_id, const char *tailnet, const char *login,
						const char *new_role)
{
	static SqlStatement owners = {
		"SELECT EXISTS (SELECT FROM auth_keys.members"
		"                WHERE tailnet_id OPERATOR(pg_catalog.=) $1"
		"                  AND login OPERATOR(pg_catalog.=) $2"
		"                  AND role OPERATOR(pg_catalog.=) 'owner'),"
		"       EXISTS (SELECT FROM auth_keys.members"
		"                WHERE tailnet_id OPERATOR(pg_catalog.=) $1"
		"                  AND login OPERATOR(pg_catalog.<>) $2"
		"                  AND role OPERATOR(pg_catalog.=) 'owner')",
		2, {INT8OID, TEXTOID}
	};
	Datum		values[2];

	lock_tailnet(tailnet_id);
	if (new_role != NULL && strcmp(new_role, "owner") == 0)
		return;

	values[0] = Int64GetDatum(tailnet_id);
	values[1] = CStringGetTextDatum(login);
	QueryRun(&owners, values, NULL, false);
	if (!DatumGetBool(QueryGetNotNull(0, 1)) || DatumGetBool(QueryGetNotNull(0, 2)))
		return;

	if (new_role == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot remove the last owner of tailnet \"%s\"", tailnet),
				 errdetail("\"%s\" is the only owner of the tailnet.", login),
				 errhint("Make another member an owner first, or delete the tailnet with auth_keys.delete_tailnet().")));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("cannot demote the last owner of tailnet \"%s\"", tailnet),
			 errdetail("\"%s\" is the only owner of the tailnet.", login),
			 errhint("Make another member an owner first.")));
}

/*
 * auth_keys.delete_tailnet(name text) RETURNS void
 *		Remove a tailnet and everything in it, leaving a tailnet.deleted
 *		event.  Operator tier.
 */
Datum
auth_keys_delete_tailnet(PG_FUNCTION_ARGS)
{
	static SqlStatement contents = {
		"SELECT t.created_at,"
		"       (SELECT pg_catalog.count(*) FROM auth_keys.members m"
		"         WHERE m.tailnet_id OPERATOR(pg_catalog.=) t.tailnet_id),"
		"       (SELECT pg_catalog.count(*) FROM auth_keys.tag_owners g"
		"         WHERE g.tailnet_id OPERATOR(pg_catalog.=) t.tailnet_id),"
		"       (SELECT pg_catalog.count(*) FROM auth_keys.keys k"
		"         WHERE k.tailnet_id OPERATOR(pg_catalog.=) t.tailnet_id),"
		"       (SELECT pg_catalog.count(*) FROM auth_keys.nodes n"
		"         WHERE n.tailnet_id OPERATOR(pg_catalog.=) t.tailnet_id),"
		"       (SELECT pg_catalog.count(*) FROM auth_keys.events e"
		"         WHERE e.tailnet_id OPERATOR(pg_catalog.=) t.tailnet_id)"
		"  FROM auth_keys.tailnets t"
		" WHERE t.tailnet_id OPERATOR(pg_catalog.=) $1",
		1, {INT8OID}
	};
	static SqlStatement remove = {
		"DELETE FROM auth_keys.tailnets WHERE tailnet_id OPERATOR(pg_catalog.=) $1",
		1, {INT8OID}
	};
	static const char *const counted[] = {"members", "tags", "keys", "nodes", "events"};
	char	   *name;
	int64		tailnet_id;
	Datum		id;
	char	   *who;
	bool		isnull;
	EventDetail detail;

	RequireWritable(fcinfo);
	RequireArgument(fcinfo, 0);
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));

	SPI_connect();
	who = ActorDescribe();		/* before the actor's tailnet goes */
	tailnet_id = TailnetIdByName(name);
	lock_tailnet(tailnet_id);	/* no member changes meanwhile */
	id = Int64GetDatum(tailnet_id);
	QueryRun(&contents, &id, NULL, false);

	EventDetailInit(&detail);
	EventDetailInt64(&detail, "tailnet_id", tailnet_id);
	EventDetailText(&detail, "name", name);
	EventDetailTimestamp(&detail, "created_at",
						 DatumGetTimestampTz(QueryGet(0, 1, &isnull)));
	for (int i = 0; i < lengthof(counted); i++)
		EventDetailInt64(&detail, counted[i], DatumGetInt64(QueryGetNotNull(0, i + 2)));

	QueryRun(&remove, &id, NULL, false);
	EventRecord(who, EVENT_NO_TAILNET, "tailnet.deleted", NULL, EVENT_NO_NODE,
				&detail);
	SPI_finish();
	ActorForget();
	PG_RETURN_VOID();
}
