/*-------------------------------------------------------------------------
 *
 * member.c
 *	  Operator functions for the people of a tailnet: set_member and
 *	  remove_member.
 *
 * A member has a login, one role, and optionally a database role that acts
 * as the member whenever no act_as is in force (see actor.c).  A database
 * role maps to at most one member, so that who is acting is never in
 * doubt; it is stored as the role's OID (a 1.0 database stores its name).
 *
 * A member who can no longer revoke their keys (removed, or given a role
 * that does not manage keys) has the keys that are still valid revoked,
 * since nobody else could.  Both functions wait for the member's
 * transactions that are acting (actor.c holds their member row FOR SHARE),
 * and revoke with a snapshot taken after that wait, so that a key such a
 * transaction made is revoked too, whatever the isolation level.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/member.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"

#include "actor.h"
#include "arguments.h"
#include "event.h"
#include "key_store.h"
#include "name_rules.h"
#include "query.h"
#include "tailnet.h"
#include "writable.h"

PG_FUNCTION_INFO_V1(auth_keys_set_member);
PG_FUNCTION_INFO_V1(auth_keys_remove_member);

/*
 * Revoke the keys of a member that are still valid, each with a
 * key.revoked event giving "reason"; see the file header for the snapshot.
 */
static void
revoke_member_keys(int64 tailnet_id, const char *login, const char *who,
				   const char *reason)
{
	char	  **revoked_ids;
	uint64		revoked = KeyStoreRevokeMemberKeys(tailnet_id, login, who, &revoked_ids);
	EventBatch	events;

	EventBatchInit(&events, who);
	for (uint64 i = 0; i < revoked; i++)
	{
		EventDetail detail;

		CHECK_FOR_INTERRUPTS();
		EventDetailInit(&detail);
		EventDetailText(&detail, "reason", reason);
		EventBatchAdd(&events, tailnet_id, "key.revoked", revoked_ids[i],
					  EVENT_NO_NODE, &detail);
	}
	EventBatchWrite(&events);
}

/*
 * The database role argument of set_member as the value members.db_role
 * holds: the role's OID, or in a 1.0 database its name.  Sets *type.
 */
static Datum
db_role_value(Name rolname, Oid *type)
{
	Oid			role = get_role_oid(NameStr(*rolname), true);

	if (!OidIsValid(role))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role \"%s\" does not exist", NameStr(*rolname))));
	if (MembersMapRoleOids())
	{
		*type = REGROLEOID;
		return ObjectIdGetDatum(role);
	}
	*type = NAMEOID;
	return NameGetDatum(rolname);
}

/*
 * auth_keys.set_member(tailnet text, login text, role text,
 *		db_role name DEFAULT NULL) RETURNS void
 *		Add a member to a tailnet or change an existing member's role and
 *		database role.  Operator tier.
 */
Datum
auth_keys_set_member(PG_FUNCTION_ARGS)
{
	static SqlStatement mapped_elsewhere = {
		"SELECT t.name, m.login FROM auth_keys.members m"
		"  JOIN auth_keys.tailnets t"
		"    ON t.tailnet_id OPERATOR(pg_catalog.=) m.tailnet_id"
		" WHERE m.db_role OPERATOR(pg_catalog.=) $3"
		"   AND (m.tailnet_id OPERATOR(pg_catalog.<>) $1"
		"        OR m.login OPERATOR(pg_catalog.<>) $2)",
		3, {INT8OID, TEXTOID, InvalidOid}
	};
	static SqlStatement upsert = {
		"INSERT INTO auth_keys.members (tailnet_id, login, role, db_role)"
		" VALUES ($1, $2, $3, $4)"
		" ON CONFLICT (tailnet_id, login)"
		" DO UPDATE SET role = excluded.role, db_role = excluded.db_role",
		4, {INT8OID, TEXTOID, TEXTOID, InvalidOid}
	};
	char	   *tailnet;
	char	   *login;
	char	   *role;
	int64		tailnet_id;
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	Oid			db_role_type = MembersMapRoleOids() ? REGROLEOID : NAMEOID;
	EventDetail detail;

	RequireWritable(fcinfo);
	RequireArguments(fcinfo, 3);
	tailnet = text_to_cstring(PG_GETARG_TEXT_PP(0));
	login = text_to_cstring(PG_GETARG_TEXT_PP(1));
	role = text_to_cstring(PG_GETARG_TEXT_PP(2));
	RequireLogin(login);
	(void) RoleFromName(role);

	SPI_connect();
	tailnet_id = TailnetIdByName(tailnet);
	TailnetRequireOwnerKept(tailnet_id, tailnet, login, role);
	values[0] = Int64GetDatum(tailnet_id);
	values[1] = PG_GETARG_DATUM(1);
	values[2] = PG_GETARG_DATUM(2);
	if (PG_ARGISNULL(3))
		nulls[3] = 'n';
	else
	{
		values[3] = db_role_value(PG_GETARG_NAME(3), &db_role_type);
		QuerySetArgType(&mapped_elsewhere, 2, db_role_type);
		if (QueryRun(&mapped_elsewhere, (Datum[]) {values[0], values[1], values[3]},
					 NULL, false) > 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("database role \"%s\" already acts as member \"%s\" of tailnet \"%s\"",
							NameStr(*PG_GETARG_NAME(3)), QueryGetText(0, 2),
							QueryGetText(0, 1)),
					 errhint("A database role maps to one member at most.")));
	}
	QuerySetArgType(&upsert, 3, db_role_type);
	QueryRun(&upsert, values, nulls, false);
	if (!RoleMayManageKeys(RoleFromName(role)))
		revoke_member_keys(tailnet_id, login, ActorDescribe(),
						   "member may no longer manage keys");

	EventDetailInit(&detail);
	EventDetailText(&detail, "login", login);
	EventDetailText(&detail, "role", role);
	EventDetailText(&detail, "db_role",
				PG_ARGISNULL(3) ? NULL : NameStr(*PG_GETARG_NAME(3)));
	EventRecord(ActorDescribe(), tailnet_id, "member.set", NULL, EVENT_NO_NODE,
				&detail);
	SPI_finish();
	ActorForget();
	PG_RETURN_VOID();
}

/*
 * auth_keys.remove_member(tailnet text, login text) RETURNS void
 *		Remove a member.  Keys the member generated that are still valid are
 *		revoked, since nobody could revoke them afterwards; nodes stay, as a
 *		revoked key's nodes do.  Operator tier.
 */
Datum
auth_keys_remove_member(PG_FUNCTION_ARGS)
{
	static SqlStatement remove = {
		"DELETE FROM auth_keys.members"
		" WHERE tailnet_id OPERATOR(pg_catalog.=) $1"
		"   AND login OPERATOR(pg_catalog.=) $2",
		2, {INT8OID, TEXTOID}
	};
	char	   *tailnet;
	char	   *login;
	int64		tailnet_id;
	Datum		values[2];
	char	   *who;
	EventDetail detail;

	RequireWritable(fcinfo);
	RequireArguments(fcinfo, 2);
	tailnet = text_to_cstring(PG_GETARG_TEXT_PP(0));
	login = text_to_cstring(PG_GETARG_TEXT_PP(1));

	SPI_connect();
	who = ActorDescribe();		/* before the member, maybe the actor, goes */
	tailnet_id = TailnetIdByName(tailnet);
	TailnetRequireOwnerKept(tailnet_id, tailnet, login, NULL);
	values[0] = Int64GetDatum(tailnet_id);
	values[1] = PG_GETARG_DATUM(1);
	if (QueryRun(&remove, values, NULL, false) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("member \"%s\" of tailnet \"%s\" does not exist", login, tailnet)));
	revoke_member_keys(tailnet_id, login, who, "member removed");

	EventDetailInit(&detail);
	EventDetailText(&detail, "login", login);
	EventRecord(who, tailnet_id, "member.removed", NULL, EVENT_NO_NODE,
				&detail);
	SPI_finish();
	ActorForget();
	PG_RETURN_VOID();
}
