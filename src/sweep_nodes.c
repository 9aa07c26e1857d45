/*-------------------------------------------------------------------------
 *
 * sweep_nodes.c
 *	  The sweep's work on nodes: recording node key expiries, and removing
 *	  ephemeral nodes that stopped sending heartbeats.
 *
 * Node key expiries need no row locks: a sweep records an event for every
 * node key that expired after the point the sweeps have reached, up to its
 * own start, a batch at a time in (expiry, node_id) order, and moves the
 * point on after each batch.  The one row of sweep_state holds the point;
 * each batch takes the row FOR UPDATE SKIP LOCKED, so that a sweep that
 * finds another at work on it leaves the expiries to that one.
 *
 * Ephemeral nodes are walked in node_id order, a window of ephemeral nodes
 * at a time (nodes_ephemeral_idx), and those of a window last seen before
 * the cutoff are removed; a sweep so reads each ephemeral node once, in
 * steps of bounded work, however many there are and wherever the idle ones
 * are.  last_seen_at itself is in no index, so that heartbeats stay HOT
 * updates.
 *
 * A heartbeat can be lost without the node going anywhere: one sent while
 * the server was down, or one acknowledged moments before a crash by a
 * transaction that committed asynchronously (synchronous_commit = off, as
 * heartbeats may).  So no node is removed until the server has run for a
 * whole ephemeral_inactivity_timeout since its last start or crash, which
 * auth_keys.server_run tells: the first sweep after a start writes its
 * row, with the start it saw, and crash recovery empties it, since it is
 * unlogged.  Every node then has had a timeout's worth of time to be seen
 * again.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/sweep_nodes.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "event.h"
#include "query.h"
#include "schema.h"
#include "sweep_nodes.h"

/* ephemeral nodes read per step, for each row a batch may remove */
#define NODE_WINDOW_PER_ROW 10

/*
 * Whether sweep_state has the node id of its point, as it has from version
 * 1.1 on; a 1.0 database records all its expiries up to the start of a
 * sweep at once, as 1.0 did.
 */
static bool
state_has_node_id(void)
{
	Oid			state = SchemaTableRequired("sweep_state");

	return get_attnum(state, "node_key_expiries_through_node_id") != InvalidAttrNumber;
}

/*
 * SweepExpiriesStep
 *		Record node.key_expired events for the next batch of node keys that
 *		expired after the sweeps' point and up to "sweep_start"; add how
 *		many to *recorded.  Returns whether more may remain.
 */
bool
SweepExpiriesStep(TimestampTz sweep_start, int batch_size, const char *actor,
				  int64 *recorded)
{
	static SqlStatement ensure_state = {
		"INSERT INTO auth_keys.sweep_state DEFAULT VALUES"
		" ON CONFLICT (singleton) DO NOTHING",
		0, {InvalidOid}
	};
	static SqlStatement read_state = {
		"SELECT node_key_expiries_through, node_key_expiries_through_node_id"
		"  FROM auth_keys.sweep_state",
		0, {InvalidOid}
	};
	static SqlStatement read_state_1_0 = {
		"SELECT node_key_expiries_through, 9223372036854775807::pg_catalog.int8"
		"  FROM auth_keys.sweep_state",
		0, {InvalidOid}
	};
	static SqlStatement expired = {
		"SELECT node_id, tailnet_id, node_key_expires_at FROM auth_keys.nodes"
		" WHERE (node_key_expires_at, node_id) OPERATOR(pg_catalog.>) ($1, $2)"
		"   AND node_key_expires_at OPERATOR(pg_catalog.<=) $3"
		" ORDER BY node_key_expires_at, node_id LIMIT $4",
		4, {TIMESTAMPTZOID, INT8OID, TIMESTAMPTZOID, INT8OID}
	};
	static SqlStatement move_on = {
		"UPDATE auth_keys.sweep_state"
		"   SET node_key_expiries_through = $1,"
		"       node_key_expiries_through_node_id = $2,"
		"       swept_at = pg_catalog.now()",
		2, {TIMESTAMPTZOID, INT8OID}
	};
	static SqlStatement move_on_1_0 = {
		"UPDATE auth_keys.sweep_state"
		"   SET node_key_expiries_through = $1, swept_at = pg_catalog.now()",
		1, {TIMESTAMPTZOID}
	};
	bool		batched = state_has_node_id();
	Datum		values[4];
	uint64		count;
	EventBatch	events;
	TimestampTz through;
	int64		through_node_id;

	/*
	 * One sweep at a time records expiries; the others leave them to it.
	 * ExclusiveLock, taken without waiting, conflicts with itself and with
	 * writes (the first sweep's insert of the row too), not with reads.
	 */
	if (!ConditionalLockRelationOid(SchemaTableRequired("sweep_state"), ExclusiveLock))
		return false;
	QueryRun(&ensure_state, NULL, NULL, false);
	if (QueryRun(batched ? &read_state : &read_state_1_0, NULL, NULL, false) != 1)
		elog(ERROR, "auth_keys.sweep_state must hold one row");
	through = DatumGetTimestampTz(QueryGetNotNull(0, 1));
	through_node_id = DatumGetInt64(QueryGetNotNull(0, 2));

	/* a sweep that started before the last one finished may come after it */
	if (through >= sweep_start)
		return false;

	values[0] = TimestampTzGetDatum(through);
	values[1] = Int64GetDatum(through_node_id);
	values[2] = TimestampTzGetDatum(sweep_start);
	values[3] = Int64GetDatum(batched ? batch_size : PG_INT64_MAX);
	count = QueryRun(&expired, values, NULL, true);

	EventBatchInit(&events, actor);
	for (uint64 i = 0; i < count; i++)
	{
		EventDetail detail;

		CHECK_FOR_INTERRUPTS();
		EventDetailInit(&detail);
		EventDetailTimestamp(&detail, "expired_at",
							 DatumGetTimestampTz(QueryGetNotNull(i, 3)));
		EventBatchAdd(&events, DatumGetInt64(QueryGetNotNull(i, 2)), "node.key_expired",
					  NULL, DatumGetInt64(QueryGetNotNull(i, 1)), &detail);
	}

	/* a full batch stops at its last node; else every expiry is recorded */
	if (batched && count == (uint64) batch_size)
	{
		values[0] = QueryGetNotNull(count - 1, 3);
		values[1] = QueryGetNotNull(count - 1, 1);
	}
	else
	{
		values[0] = TimestampTzGetDatum(sweep_start);
		values[1] = Int64GetDatum(PG_INT64_MAX);
	}
	EventBatchWrite(&events);
	QueryRun(batched ? &move_on : &move_on_1_0, values, NULL, false);
	*recorded += count;
	return batched && count == (uint64) batch_size;
}

/*
 * SweepNodesMayRemove
 *		Whether the server has run for a whole inactivity timeout, since it
 *		started and since its last crash (see the file header), so that an
 *		idle ephemeral node is one that had the time to be seen.
 */
bool
SweepNodesMayRemove(int64 timeout_usecs)
{
	static SqlStatement read_run = {
		"SELECT since, postmaster_start_time FROM auth_keys.server_run",
		0, {InvalidOid}
	};
	static SqlStatement write_run = {
		"WITH gone AS (DELETE FROM auth_keys.server_run)"
		" INSERT INTO auth_keys.server_run (since, postmaster_start_time)"
		" VALUES (pg_catalog.now(), $1)",
		1, {TIMESTAMPTZOID}
	};
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	TimestampTz since;
	Datum		start = TimestampTzGetDatum(PgStartTime);
	Oid			server_run = SchemaTable("server_run");

	/* a 1.0 database has no server_run: the postmaster's start tells */
	if (!OidIsValid(server_run))
		since = PgStartTime;
	/* another sweep is writing the row: removing nothing now is safe */
	else if (!ConditionalLockRelationOid(server_run, ExclusiveLock))
		return false;
	else if (QueryRun(&read_run, NULL, NULL, false) == 1 &&
			 DatumGetTimestampTz(QueryGetNotNull(0, 2)) == PgStartTime)
		since = DatumGetTimestampTz(QueryGetNotNull(0, 1));
	else
	{
		/* the first sweep since a start, or since a crash emptied it */
		QueryRun(&write_run, &start, NULL, false);
		since = now;
	}
	return now - since >= timeout_usecs;
}

/*
 * Pick the idle ephemeral nodes of the next window (see the file header),
 * FOR UPDATE SKIP LOCKED: at most batch_size, from the window of
 * NODE_WINDOW_PER_ROW * batch_size ephemeral nodes after the position.
 * The position moves to the last node picked of a full batch, or else to
 * the end of the window.
 */
static uint64
pick_idle_nodes(TimestampTz cutoff, int batch_size, Datum passed_over,
				void *state, bool *more)
{
	static SqlStatement window = {
		"SELECT pg_catalog.count(*), pg_catalog.max(node_id) FROM ("
		"  SELECT node_id FROM auth_keys.nodes"
		"   WHERE ephemeral AND node_id OPERATOR(pg_catalog.>) $1"
		"   ORDER BY node_id LIMIT $2) w",
		2, {INT8OID, INT8OID}
	};
	static SqlStatement pick = {
		"SELECT node_id, tailnet_id FROM auth_keys.nodes"
		" WHERE ephemeral"
		"   AND node_id OPERATOR(pg_catalog.>) $1 AND node_id OPERATOR(pg_catalog.<=) $2"
		"   AND last_seen_at OPERATOR(pg_catalog.<) $3"
		"   AND node_id OPERATOR(pg_catalog.<>) ALL ($4)"
		" ORDER BY node_id LIMIT $5 FOR UPDATE SKIP LOCKED",
		5, {INT8OID, INT8OID, TIMESTAMPTZOID, INT8ARRAYOID, INT4OID}
	};
	SweepNodesState *nodes = state;
	int64		window_size = (int64) batch_size * NODE_WINDOW_PER_ROW;
	int64		window_count;
	int64		window_end;
	Datum		values[5];
	uint64		picked;

	values[0] = Int64GetDatum(nodes->position);
	values[1] = Int64GetDatum(window_size);
	QueryRun(&window, values, NULL, true);
	window_count = DatumGetInt64(QueryGetNotNull(0, 1));
	if (window_count == 0)
	{
		*more = false;
		return 0;
	}
	window_end = DatumGetInt64(QueryGetNotNull(0, 2));

	values[0] = Int64GetDatum(nodes->position);
	values[1] = Int64GetDatum(window_end);
	values[2] = TimestampTzGetDatum(cutoff);
	values[3] = passed_over;
	values[4] = Int32GetDatum(batch_size);
	picked = QueryRun(&pick, values, NULL, false);
	if (picked == (uint64) batch_size)
	{
		nodes->position = DatumGetInt64(QueryGetNotNull(picked - 1, 1));
		*more = true;
	}
	else
	{
		nodes->position = window_end;
		*more = window_count == window_size;
	}
	return picked;
}

/*
 * Remove the idle ephemeral nodes of "ids", each with a node.deleted event:
 * why, its hostname, when it was last seen, and the timeout.
 */
static uint64
remove_idle_nodes(Datum ids, TimestampTz cutoff, EventBatch *events, void *state)
{
	static SqlStatement remove = {
		"DELETE FROM auth_keys.nodes"
		" WHERE node_id OPERATOR(pg_catalog.=) ANY ($1)"
		"   AND ephemeral AND last_seen_at OPERATOR(pg_catalog.<) $2"
		" RETURNING node_id, tailnet_id, hostname, last_seen_at",
		2, {INT8ARRAYOID, TIMESTAMPTZOID}
	};
	SweepNodesState *nodes = state;
	Datum		values[2];
	uint64		removed;

	values[0] = ids;
	values[1] = TimestampTzGetDatum(cutoff);
	removed = QueryRun(&remove, values, NULL, false);
	for (uint64 i = 0; i < removed; i++)
	{
		EventDetail detail;

		CHECK_FOR_INTERRUPTS();
		EventDetailInit(&detail);
		EventDetailText(&detail, "reason", "ephemeral node inactive");
		EventDetailText(&detail, "hostname", QueryGetText(i, 3));
		EventDetailTimestamp(&detail, "last_seen_at",
							 DatumGetTimestampTz(QueryGetNotNull(i, 4)));
		EventDetailInterval(&detail, "inactivity_timeout", &nodes->timeout);
		EventBatchAdd(events, DatumGetInt64(QueryGetNotNull(i, 2)), "node.deleted",
					  NULL, DatumGetInt64(QueryGetNotNull(i, 1)), &detail);
	}
	return removed;
}

/* SweepNodesPhase: the removal of idle ephemeral nodes, from the start. */
void
SweepNodesPhase(SweepPhase *phase, SweepNodesState *state, const Interval *timeout)
{
	state->position = PG_INT64_MIN;
	state->timeout = *timeout;
	phase->rows = SWEEP_NODES;
	phase->pick = pick_idle_nodes;
	phase->remove = remove_idle_nodes;
	phase->state = state;
}
