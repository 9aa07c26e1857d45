/*-------------------------------------------------------------------------
 *
 * node_guard.c
 *	  The trigger that records the changes of auth_keys.nodes that the
 *	  extension's functions did not make.
 *
 * A node's rules are the table's CHECK constraints (a node row holds no
 * secret, so their messages may show it); what they cannot do is say who
 * enrolled, changed or deleted a node without the extension's functions.
 * nodes_guard runs BEFORE INSERT, UPDATE and DELETE of each row (and before
 * a TRUNCATE) and records each such direct change as an event naming the
 * database role (direct_change.c).  The extension's own changes, which
 * record events of their own, and COPY, which restores history, pass
 * without one.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/node_guard.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/rel.h"

#include "direct_change.h"
#include "event.h"

PG_FUNCTION_INFO_V1(auth_keys_nodes_guard);

/* The node_id and tailnet_id of a row, for its event. */
static void
record(Relation rel, HeapTuple row, const char *action, const char *columns)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			node_id = SPI_fnumber(desc, "node_id");
	int			tailnet_id = SPI_fnumber(desc, "tailnet_id");
	bool		isnull;
	Datum		node;
	Datum		tailnet;

	if (node_id <= 0 || tailnet_id <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("table auth_keys.nodes has no column node_id or tailnet_id"),
				 errhint("Drop and create the extension again to restore its tables.")));
	node = heap_getattr(row, node_id, desc, &isnull);
	if (isnull)
		node = Int64GetDatum(EVENT_NO_NODE);
	tailnet = heap_getattr(row, tailnet_id, desc, &isnull);
	if (isnull)
		tailnet = Int64GetDatum(EVENT_NO_TAILNET);
	DirectChangeRecord(DatumGetInt64(tailnet), action, NULL, DatumGetInt64(node),
					   columns);
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
	Relation	rel;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		(TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event) ?
		 !TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event) :
		 !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("nodes_guard must be fired BEFORE INSERT, UPDATE or DELETE FOR EACH ROW, or BEFORE TRUNCATE")));

	rel = trigdata->tg_relation;
	if (DirectChangeSource() != CHANGE_DIRECT)
		return TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
			PointerGetDatum(trigdata->tg_newtuple) :
			PointerGetDatum(trigdata->tg_trigtuple);

	if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
	{
		DirectChangeRecord(EVENT_NO_TAILNET, "nodes.truncated", NULL, EVENT_NO_NODE, NULL);
		return PointerGetDatum(NULL);
	}
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		record(rel, trigdata->tg_trigtuple, "node.created", NULL);
		return PointerGetDatum(trigdata->tg_trigtuple);
	}
	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		char	   *columns = DirectChangeColumns(RelationGetDescr(rel),
												  trigdata->tg_trigtuple,
												  trigdata->tg_newtuple);

		if (columns != NULL)
			record(rel, trigdata->tg_newtuple, "node.updated", columns);
		return PointerGetDatum(trigdata->tg_newtuple);
	}
	record(rel, trigdata->tg_trigtuple, "node.deleted", NULL);
	return PointerGetDatum(trigdata->tg_trigtuple);
}
