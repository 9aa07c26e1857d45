/*-------------------------------------------------------------------------
 *
 * node_admin.c
 *	  What members do to enrolled nodes: delete_node, approve_node,
 *	  set_node_key_expiry and set_node_tags, and the node status.
 *
 * Who may do what (the actor's role in the node's tailnet):
 *
 *	action					owner, admin,	network_admin	the node's own user
 *							it_admin
 *	delete_node				yes				no				yes
 *	approve_node			yes				no				no
 *	set_node_key_expiry		yes				no				yes
 *	set_node_tags			yes				yes				no
 *
 * Tags set on a node follow the rules of create_key: defined, and owned by
 * the actor.  Setting tags gives the node the identity of its tags and
 * leaves its key expiry setting as it was.  Deleting a node deauthorizes
 * it; the key that enrolled it is not given back its use.
 *
 * An OAuth client whose access token has scope devices:core may do all
 * four to a tagged node whose tags its token's tags own (are them, or own
 * them), and nothing to other nodes (oauth_actor.c); new tags it sets must
 * be owned by its token's tags too.
 *
 * Each function locks the node row (FOR UPDATE) before checking, so that
 * the check and the change see the same node.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/node_admin.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "actor.h"
#include "arguments.h"
#include "auth_keys.h"
#include "event.h"
#include "node.h"
#include "oauth_actor.h"
#include "oauth_scope.h"
#include "query.h"
#include "tag.h"
#include "writable.h"

PG_FUNCTION_INFO_V1(auth_keys_delete_node);
PG_FUNCTION_INFO_V1(auth_keys_approve_node);
PG_FUNCTION_INFO_V1(auth_keys_set_node_key_expiry);
PG_FUNCTION_INFO_V1(auth_keys_set_node_tags);
PG_FUNCTION_INFO_V1(auth_keys_node_status);

/* What a member does to a node, each with who may (see the file header). */
typedef enum NodeAction
{
	NODE_DELETE,
	NODE_APPROVE,
	NODE_SET_KEY_EXPIRY,
	NODE_SET_TAGS
} NodeAction;

/* Whether a member of "role", the node's own user or not, may do "action". */
static bool
role_may(NodeAction action, MemberRole role, bool own_node)
{
	if (RoleManagesDevices(role))
		return true;
	switch (action)
	{
		case NODE_DELETE:
		case NODE_SET_KEY_EXPIRY:
			return own_node;
		case NODE_APPROVE:
			return false;
		case NODE_SET_TAGS:
			return role == ROLE_NETWORK_ADMIN;
	}
	return false;
}

/* The error message for "action" refused on a node. */
static int
errmsg_denied(NodeAction action, int64 node_id)
{
	switch (action)
	{
		case NODE_DELETE:
			return errmsg("permission denied to delete node %lld", (long long) node_id);
		case NODE_APPROVE:
			return errmsg("permission denied to approve node %lld", (long long) node_id);
		case NODE_SET_KEY_EXPIRY:
			return errmsg("permission denied to change the key expiry of node %lld",
						  (long long) node_id);
		case NODE_SET_TAGS:
			return errmsg("permission denied to tag node %lld", (long long) node_id);
	}
	return 0;
}

/* The locked node row an action works on. */
typedef struct NodeRow
{
	int64		node_id;
	int64		tailnet_id;
	bool		tagged;
	bool		key_expiry_disabled;
	int64		node_key_expiry_usecs;	/* of its tailnet */
} NodeRow;

/*
 * Lock a node of the actor's tailnet and check that the actor may do
 * "action" to it.  A node the actor may not see (of another tailnet, or of
 * another member for a member who sees only their own) does not exist as
 * far as the actor can tell: the error is the one for a node id that was
 * never used.  (Another tailnet's node is not even locked; another
 * member's is, until this error ends the transaction.)  Caller is
 * connected to SPI.
 */
static NodeRow
lock_node(FunctionCallInfo fcinfo, const Actor *actor, NodeAction action)
{
	static SqlStatement lock = {
		"SELECT n.user_login,"
		"       pg_catalog.cardinality(n.tags) OPERATOR(pg_catalog.>) 0,"
		"       n.key_expiry_disabled, t.node_key_expiry, n.tags"
		"  FROM auth_keys.nodes n"
		"  JOIN auth_keys.tailnets t"
		"    ON t.tailnet_id OPERATOR(pg_catalog.=) n.tailnet_id"
		" WHERE n.node_id OPERATOR(pg_catalog.=) $1"
		"   AND n.tailnet_id OPERATOR(pg_catalog.=) $2"
		"   FOR UPDATE OF n",
		2, {INT8OID, INT8OID}
	};
	NodeRow		row;
	Datum		values[2];
	char	   *user_login = NULL;
	bool		found;
	bool		own;

	RequireArgument(fcinfo, 0);
	row.node_id = PG_GETARG_INT64(0);
	row.tailnet_id = actor->tailnet_id;
	values[0] = Int64GetDatum(row.node_id);
	values[1] = Int64GetDatum(actor->tailnet_id);
	found = QueryRun(&lock, values, NULL, false) == 1;
	if (found)
		user_login = QueryGetText(0, 1);
	own = user_login != NULL && actor->client == NULL &&
		strcmp(user_login, actor->login) == 0;
	/* a client with devices:core sees every node of its tailnet */
	if (!found || !(RoleSeesAllNodes(actor->role) || own || actor->client != NULL))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("node %lld does not exist", (long long) row.node_id)));
	row.tagged = DatumGetBool(QueryGetNotNull(0, 2));
	row.key_expiry_disabled = DatumGetBool(QueryGetNotNull(0, 3));
	row.node_key_expiry_usecs =
		IntervalAbsoluteUsecs(DatumGetIntervalP(QueryGetNotNull(0, 4)));

	if (actor->client != NULL)
	{
		if (!row.tagged ||
			!OAuthClientOwnsTags(actor, DatumGetArrayTypeP(QueryGetNotNull(0, 5))))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg_denied(action, row.node_id),
					 errdetail("OAuth client \"%s\" acts only on tagged nodes whose tags its tags own.",
							   actor->client->client_id)));
		return row;
	}

	if (!role_may(action, actor->role, own))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg_denied(action, row.node_id),
				 errdetail("Member \"%s\" has role %s in tailnet \"%s\".",
						   actor->login, RoleName(actor->role), actor->tailnet)));
	return row;
}

/*
 * auth_keys.delete_node(node_id bigint) RETURNS void
 *		Remove a node, which deauthorizes it.  Actor tier.
 */
Datum
auth_keys_delete_node(PG_FUNCTION_ARGS)
{
	static SqlStatement delete = {
		"DELETE FROM auth_keys.nodes WHERE node_id OPERATOR(pg_catalog.=) $1",
		1, {INT8OID}
	};
	const Actor *actor;
	NodeRow		node;
	Datum		node_id;

	RequireWritable(fcinfo);
	actor = ActorRequireScoped(OAUTH_SCOPE_DEVICES_CORE);
	SPI_connect();
	node = lock_node(fcinfo, actor, NODE_DELETE);
	node_id = Int64GetDatum(node.node_id);
	QueryRun(&delete, &node_id, NULL, false);
	EventRecord(actor->login, node.tailnet_id, "node.deleted", NULL,
				node.node_id, NULL);
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * auth_keys.approve_node(node_id bigint) RETURNS void
 *		Authorize a node waiting for device approval.  Actor tier.
 */
Datum
auth_keys_approve_node(PG_FUNCTION_ARGS)
{
	static SqlStatement approve = {
		"UPDATE auth_keys.nodes SET authorized = true"
		" WHERE node_id OPERATOR(pg_catalog.=) $1 AND NOT authorized",
		1, {INT8OID}
	};
	const Actor *actor;
	NodeRow		node;
	Datum		node_id;

	RequireWritable(fcinfo);
	actor = ActorRequireScoped(OAUTH_SCOPE_DEVICES_CORE);
	SPI_connect();
	node = lock_node(fcinfo, actor, NODE_APPROVE);
	node_id = Int64GetDatum(node.node_id);
	if (QueryRun(&approve, &node_id, NULL, false) > 0)
		EventRecord(actor->login, node.tailnet_id, "node.approved", NULL,
					node.node_id, NULL);
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * auth_keys.set_node_key_expiry(node_id bigint, disabled boolean)
 *		RETURNS void
 *		Disable a node's key expiry, or enable it again: the node key then
 *		expires after the tailnet's node key expiry, counted from now.
 *		Actor tier.
 */
Datum
auth_keys_set_node_key_expiry(PG_FUNCTION_ARGS)
{
	static SqlStatement update = {
		"UPDATE auth_keys.nodes"
		"   SET key_expiry_disabled = $2, node_key_expires_at = $3"
		" WHERE node_id OPERATOR(pg_catalog.=) $1",
		3, {INT8OID, BOOLOID, TIMESTAMPTZOID}
	};
	const Actor *actor;
	NodeRow		node;
	bool		disabled;
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};

	RequireWritable(fcinfo);
	actor = ActorRequireScoped(OAUTH_SCOPE_DEVICES_CORE);
	RequireArgument(fcinfo, 1);
	disabled = PG_GETARG_BOOL(1);

	SPI_connect();
	node = lock_node(fcinfo, actor, NODE_SET_KEY_EXPIRY);
	if (node.key_expiry_disabled != disabled)
	{
		values[0] = Int64GetDatum(node.node_id);
		values[1] = BoolGetDatum(disabled);
		values[2] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp() +
										node.node_key_expiry_usecs);
		nulls[2] = disabled ? 'n' : ' ';
		QueryRun(&update, values, nulls, false);
		EventRecord(actor->login, node.tailnet_id,
					disabled ? "node.key_expiry_disabled" : "node.key_expiry_enabled",
					NULL, node.node_id, NULL);
	}
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * auth_keys.set_node_tags(node_id bigint, tags text[]) RETURNS void
 *		Replace a node's tags; the node takes the identity of its tags.  A
 *		tagged node cannot drop all its tags: to belong to a user again, it
 *		re-authenticates with a key of that user.  Actor tier.
 */
Datum
auth_keys_set_node_tags(PG_FUNCTION_ARGS)
{
	static SqlStatement update = {
		"UPDATE auth_keys.nodes SET tags = $2, user_login = NULL"
		" WHERE node_id OPERATOR(pg_catalog.=) $1",
		2, {INT8OID, TEXTARRAYOID}
	};
	const Actor *actor;
	NodeRow		node;
	ArrayType  *tags;
	int			ntags;
	Datum		values[2];
	EventDetail detail;

	RequireWritable(fcinfo);
	actor = ActorRequireScoped(OAUTH_SCOPE_DEVICES_CORE);
	RequireArgument(fcinfo, 1);
	tags = TagsCanonical(PG_GETARG_ARRAYTYPE_P(1), &ntags);

	SPI_connect();
	node = lock_node(fcinfo, actor, NODE_SET_TAGS);
	if (ntags == 0)
	{
		if (node.tagged)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a tagged node cannot drop all its tags"),
					 errhint("Re-authenticate the node with an untagged key to give it to a user.")));
		SPI_finish();
		PG_RETURN_VOID();
	}
	TagsRequireApplicable(actor, tags);

	values[0] = Int64GetDatum(node.node_id);
	values[1] = PointerGetDatum(tags);
	QueryRun(&update, values, NULL, false);

	EventDetailInit(&detail);
	EventDetailTextArray(&detail, "tags", tags);
	EventRecord(actor->login, node.tailnet_id, "node.tagged", NULL, node.node_id,
				&detail);
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * auth_keys.node_status(authorized boolean, node_key_expires_at
 *		timestamptz) RETURNS text
 *		needs_approval, key_expired or active, for node_list.
 */
Datum
auth_keys_node_status(PG_FUNCTION_ARGS)
{
	const char *status = "active";

	if (PG_ARGISNULL(0) || !PG_GETARG_BOOL(0))
		status = "needs_approval";
	else if (!PG_ARGISNULL(1) &&
			 PG_GETARG_TIMESTAMPTZ(1) <= GetCurrentTransactionStartTimestamp())
		status = "key_expired";
	PG_RETURN_TEXT_P(cstring_to_text(status));
}
