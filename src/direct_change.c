/*-------------------------------------------------------------------------
 *
 * direct_change.c
 *	  Changes to keys and nodes that the extension's functions did not make.
 *
 * DBAs manage the tables directly; every such change to a key or a node
 * leaves an event naming the database role that made it, so the audit
 * trail covers what the functions did not do.  Three sources are told
 * apart: the extension's own statements (query.c marks them while they
 * run), which write events of their own; COPY, which is how pg_dump's
 * output and pg_restore load the tables, and whose rows are history
 * already recorded (writing events for them would also collide with the
 * event ids being restored); and every other statement.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/direct_change.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "tcop/pquery.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/portal.h"

#include "actor.h"
#include "direct_change.h"
#include "event.h"
#include "query.h"

/*
 * DirectChangeSource
 *		Who is changing the row a trigger is called for.
 */
ChangeSource
DirectChangeSource(void)
{
	if (QueryIsOwnWrite())
		return CHANGE_BY_EXTENSION;
	if (ActivePortal != NULL && ActivePortal->commandTag == CMDTAG_COPY)
		return CHANGE_BY_RESTORE;
	return CHANGE_DIRECT;
}

/*
 * DirectChangeRecord
 *		The event of a direct change: "role:" and the database role as the
 *		actor, and a detail that says it was direct (with the "ncolumns"
 *		columns an UPDATE changed, or none).  tailnet_id may be
 *		EVENT_NO_TAILNET (a TRUNCATE).
 *
 * A row deleted because its tailnet is (ON DELETE CASCADE) is not
 * recorded: the tailnet's events go with it.
 */
void
DirectChangeRecord(int64 tailnet_id, const char *action, const char *key_id,
				   int64 node_id, const char *const *columns, int ncolumns)
{
	static SqlStatement tailnet_exists = {
		"SELECT 1 FROM auth_keys.tailnets WHERE tailnet_id OPERATOR(pg_catalog.=) $1",
		1, {INT8OID}
	};
	Datum		value = Int64GetDatum(tailnet_id);
	EventDetail detail;

	SPI_connect();
	/* not read-only: a fresh snapshot, which sees the cascading delete */
	if (tailnet_id == EVENT_NO_TAILNET ||
		QueryRun(&tailnet_exists, &value, NULL, false) == 1)
	{
		EventDetailInit(&detail);
		EventDetailBool(&detail, "direct", true);
		if (ncolumns > 0)
			EventDetailStrings(&detail, "columns", columns, ncolumns);
		EventRecord(CallerRoleDescribe(), tailnet_id, action, key_id, node_id,
					&detail);
	}
	SPI_finish();
}

/*
 * DirectChangeColumns
 *		The names of the columns whose values differ between two versions
 *		of a row, into *columns; returns how many (0 for an UPDATE that
 *		changed nothing).
 */
int
DirectChangeColumns(TupleDesc desc, HeapTuple old_row, HeapTuple new_row,
					const char ***columns)
{
	int			count = 0;

	*columns = palloc(sizeof(char *) * Max(desc->natts, 1));
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		bool		old_null;
		bool		new_null;
		Datum		old_value;
		Datum		new_value;

		if (att->attisdropped || att->attgenerated)
			continue;
		old_value = heap_getattr(old_row, i + 1, desc, &old_null);
		new_value = heap_getattr(new_row, i + 1, desc, &new_null);
		if (old_null == new_null &&
			(old_null || datum_image_eq(old_value, new_value, att->attbyval, att->attlen)))
			continue;
		(*columns)[count++] = NameStr(att->attname);
	}
	return count;
}
