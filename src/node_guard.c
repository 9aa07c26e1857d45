/*-------------------------------------------------------------------------
 *
 * node_guard.c
 *	  The trigger that keeps every row of auth_keys.nodes within the rules
 *	  of a node, and records the changes the extension did not make.
 *
 * nodes_guard runs BEFORE INSERT, UPDATE and DELETE of each row (and
 * before a TRUNCATE).  For every writer, the extension's functions and a
 * DBA alike, a node's row obeys the rules of a node:
 *
 *	- the hostname is 1 to 255 characters without a control character
 *	  (name_rules.c);
 *	- the tags are well formed, each once, without nulls;
 *	- the node belongs to a user (user_login) or else takes the identity
 *	  of its tags, never both and never neither;
 *	- node_key_expires_at is NULL exactly when key expiry is disabled.
 *
 * These were CHECK constraints, which PostgreSQL reads back from their
 * stored text and prepares again in every statement that writes the
 * table; in the trigger they cost a registration a few hundred
 * instructions instead of tens of thousands, and are listed in the
 * trigger's comment.  An UPDATE checks the rules of the columns it sets
 * and changes: the others held for the row it replaces.  So a heartbeat,
 * which sets last_seen_at alone, checks nothing, and does not even compare
 * the row's other columns.
 *
 * What the rules cannot do is say who enrolled, changed or deleted a node
 * without the extension's functions: each such direct change is recorded
 * as an event naming the database role (direct_change.c).  The extension's
 * own changes, which record events of their own, and COPY, which restores
 * history, pass without one.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/node_guard.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/sysattr.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "nodes/bitmapset.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/inval.h"
#include "utils/rel.h"

#include "direct_change.h"
#include "event.h"
#include "name_rules.h"
#include "tag.h"

PG_FUNCTION_INFO_V1(auth_keys_nodes_guard);

typedef enum NodeColumn
{
	NC_NODE_ID,
	NC_TAILNET_ID,
	NC_HOSTNAME,
	NC_USER_LOGIN,
	NC_TAGS,
	NC_KEY_EXPIRY_DISABLED,
	NC_NODE_KEY_EXPIRES_AT,
	NODE_COLUMNS
} NodeColumn;

static const char *const node_column_names[NODE_COLUMNS] = {
	[NC_NODE_ID] = "node_id",
	[NC_TAILNET_ID] = "tailnet_id",
	[NC_HOSTNAME] = "hostname",
	[NC_USER_LOGIN] = "user_login",
	[NC_TAGS] = "tags",
	[NC_KEY_EXPIRY_DISABLED] = "key_expiry_disabled",
	[NC_NODE_KEY_EXPIRES_AT] = "node_key_expires_at",
};

/*
 * Where the columns are in the nodes table, found once and forgotten when
 * the relation cache drops the table.  Every version has them all.
 */
static struct
{
	Oid			relid;
	AttrNumber	attnum[NODE_COLUMNS];
} node_table;

static void
node_table_forget(Datum arg, Oid relid)
{
	if (!OidIsValid(relid) || relid == node_table.relid)
		node_table.relid = InvalidOid;
}

static void
node_table_resolve(Relation rel)
{
	static bool callback_registered = false;
	TupleDesc	desc = RelationGetDescr(rel);

	if (node_table.relid == RelationGetRelid(rel))
		return;
	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(node_table_forget, (Datum) 0);
		callback_registered = true;
	}
	for (int c = 0; c < NODE_COLUMNS; c++)
	{
		node_table.attnum[c] = SPI_fnumber(desc, node_column_names[c]);
		if (node_table.attnum[c] <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("table auth_keys.nodes has no column \"%s\"", node_column_names[c]),
					 errhint("Drop and create the extension again to restore its tables.")));
	}
	node_table.relid = RelationGetRelid(rel);
}

static Datum
get(HeapTuple row, TupleDesc desc, NodeColumn column, bool *isnull)
{
	return heap_getattr(row, node_table.attnum[column], desc, isnull);
}

/* Whether an UPDATE from "old" to "new" changed any of the columns given. */
static bool
changed(HeapTuple old, HeapTuple new, TupleDesc desc, const NodeColumn *columns, int n)
{
	if (old == NULL)
		return true;
	for (int i = 0; i < n; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, node_table.attnum[columns[i]] - 1);
		bool		old_null;
		bool		new_null;
		Datum		old_value = get(old, desc, columns[i], &old_null);
		Datum		new_value = get(new, desc, columns[i], &new_null);

		if (old_null != new_null ||
			(!old_null && !datum_image_eq(old_value, new_value, att->attbyval, att->attlen)))
			return true;
	}
	return false;
}

static void
refuse_node(const char *message, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_CHECK_VIOLATION),
			 errmsg("%s", message),
			 errdetail("%s", detail)));
}

/*
 * Whether an UPDATE sets a column that the rules are about.  One that sets
 * none of them (a heartbeat sets last_seen_at alone) cannot break a rule,
 * so its rows are not checked again: the heartbeats of a large fleet pay
 * nothing for the rules.
 */
static bool
sets_rule_column(const Bitmapset *updated)
{
	static const NodeColumn rule_columns[] = {
		NC_HOSTNAME, NC_USER_LOGIN, NC_TAGS, NC_KEY_EXPIRY_DISABLED, NC_NODE_KEY_EXPIRES_AT
	};

	for (int i = 0; i < lengthof(rule_columns); i++)
		if (bms_is_member(node_table.attnum[rule_columns[i]] - FirstLowInvalidHeapAttributeNumber,
						  updated))
			return true;
	return false;
}

/*
 * The rules of a node (see the file header) for the row "new", which
 * replaces "old" (NULL for an INSERT).
 */
static void
check_row(HeapTuple old, HeapTuple new, TupleDesc desc)
{
	static const NodeColumn hostname[] = {NC_HOSTNAME};
	static const NodeColumn identity[] = {NC_USER_LOGIN, NC_TAGS};
	static const NodeColumn key_expiry[] = {NC_KEY_EXPIRY_DISABLED, NC_NODE_KEY_EXPIRES_AT};
	bool		isnull;
	Datum		value;

	if (changed(old, new, desc, hostname, lengthof(hostname)))
	{
		value = get(new, desc, NC_HOSTNAME, &isnull);
		if (!isnull &&
			!HostnameIsValid(VARDATA_ANY(DatumGetTextPP(value)),
							 VARSIZE_ANY_EXHDR(DatumGetTextPP(value))))
			refuse_node("invalid hostname of a node",
						"A hostname is 1 to 255 characters, without control characters.");
	}
	if (changed(old, new, desc, identity, lengthof(identity)))
	{
		bool		has_user;
		int			ntags = 0;

		(void) get(new, desc, NC_USER_LOGIN, &isnull);
		has_user = !isnull;
		value = get(new, desc, NC_TAGS, &isnull);
		if (!isnull)
		{
			ArrayType  *tags = DatumGetArrayTypeP(value);

			if (!TagsArrayIsValid(tags))
				refuse_node("invalid tags of a node",
							"Tags are well-formed tags, each once, without nulls.");
			ntags = ArrayGetNItems(ARR_NDIM(tags), ARR_DIMS(tags));
		}
		if (has_user == (ntags > 0))
			refuse_node("invalid identity of a node",
						"A node belongs to a user (user_login), or else takes the identity of its tags.");
	}
	if (changed(old, new, desc, key_expiry, lengthof(key_expiry)))
	{
		bool		disabled = DatumGetBool(get(new, desc, NC_KEY_EXPIRY_DISABLED, &isnull));

		(void) get(new, desc, NC_NODE_KEY_EXPIRES_AT, &isnull);
		if (isnull != disabled)
			refuse_node("invalid node key expiry of a node",
						"node_key_expires_at is NULL exactly when key expiry is disabled.");
	}
}

/* The node_id and tailnet_id of a row, for its event. */
static void
record(HeapTuple row, TupleDesc desc, const char *action,
	   const char *const *columns, int ncolumns)
{
	bool		isnull;
	Datum		node = get(row, desc, NC_NODE_ID, &isnull);
	Datum		tailnet;

	if (isnull)
		node = Int64GetDatum(EVENT_NO_NODE);
	tailnet = get(row, desc, NC_TAILNET_ID, &isnull);
	if (isnull)
		tailnet = Int64GetDatum(EVENT_NO_TAILNET);
	DirectChangeRecord(DatumGetInt64(tailnet), action, NULL, DatumGetInt64(node),
					   columns, ncolumns);
}

/*
 * auth_keys.nodes_guard() RETURNS trigger
 *		BEFORE INSERT OR UPDATE OR DELETE FOR EACH ROW, and BEFORE TRUNCATE
 *		FOR EACH STATEMENT, on auth_keys.nodes.
 */
Datum
auth_keys_nodes_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	ChangeSource source;
	TupleDesc	desc;
	HeapTuple	old;
	HeapTuple	new;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		(TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event) ?
		 !TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event) :
		 !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("nodes_guard must be fired BEFORE INSERT, UPDATE or DELETE FOR EACH ROW, or BEFORE TRUNCATE")));

	source = DirectChangeSource();
	if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
	{
		if (source == CHANGE_DIRECT)
			DirectChangeRecord(EVENT_NO_TAILNET, "nodes.truncated", NULL, EVENT_NO_NODE,
							   NULL, 0);
		return PointerGetDatum(NULL);
	}

	node_table_resolve(trigdata->tg_relation);
	desc = RelationGetDescr(trigdata->tg_relation);
	if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
	{
		if (source == CHANGE_DIRECT)
			record(trigdata->tg_trigtuple, desc, "node.deleted", NULL, 0);
		return PointerGetDatum(trigdata->tg_trigtuple);
	}

	old = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? trigdata->tg_trigtuple : NULL;
	new = old ? trigdata->tg_newtuple : trigdata->tg_trigtuple;
	if (old == NULL || sets_rule_column(trigdata->tg_updatedcols))
		check_row(old, new, desc);
	if (source != CHANGE_DIRECT)
		return PointerGetDatum(new);
	if (old == NULL)
		record(new, desc, "node.created", NULL, 0);
	else
	{
		const char **columns;
		int			ncolumns = DirectChangeColumns(desc, old, new, &columns);

		if (ncolumns > 0)
			record(new, desc, "node.updated", columns, ncolumns);
	}
	return PointerGetDatum(new);
}
