/*-------------------------------------------------------------------------
 *
 * sweep.c
 *	  auth_keys.sweep: purge keys past retention, remove idle ephemeral
 *	  nodes, and record node keys that expired.
 *
 * pg_cron runs the sweep every minute (see sweep_schedule.c), while
 * registrations go on.  So it works in batches, and every batch picks its
 * rows with FOR UPDATE SKIP LOCKED: a row that another transaction holds
 * (a key being spent, a node being seen) is left for the next sweep rather
 * than waited for, and nothing a registration does waits for a sweep,
 * since a registration never locks or changes a key that is past its
 * validity, let alone past retention.
 *
 * The node phase comes last, so that the node rows it deletes stay locked
 * only briefly before the sweep commits: a removed ephemeral node that
 * comes back and registers again at that very moment waits for the commit
 * and then enrols afresh.
 *
 * Node key expiries need no row locks: the sweep records an event for
 * every node key that expired after the point the previous sweep reached,
 * up to its own start, and moves the point on.  The one row of sweep_state
 * holds that point; a sweep that finds another sweep at work on it leaves
 * the expiries to that one.
 *
 * Each sweep records what it did in auth_keys.sweep_log (from version 1.1
 * on), for sweep_job_runs, and trims that log to 7 days.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/sweep.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "utils/lsyscache.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "actor.h"
#include "arguments.h"
#include "auth_keys.h"
#include "event.h"
#include "query.h"
#include "writable.h"

PG_FUNCTION_INFO_V1(auth_keys_sweep);

/* batch_size beyond this would hold too many rows in memory at once */
#define SWEEP_BATCH_MAX		100000

/* how long sweep_log keeps what each sweep did (as pg_cron's history) */
#define SWEEP_LOG_KEPT		"7 days"

/*
 * The time "usecs" before the start of the transaction, or -infinity when
 * that is before the first representable timestamp (a retention of a
 * thousand centuries purges nothing).
 */
static TimestampTz
before_now(int64 usecs)
{
	TimestampTz cutoff;

	if (pg_sub_s64_overflow(GetCurrentTransactionStartTimestamp(), usecs,
							&cutoff) ||
		!IS_VALID_TIMESTAMP(cutoff))
		TIMESTAMP_NOBEGIN(cutoff);
	return cutoff;
}

/*
 * A setting's length as an interval of days and time, so that the events
 * say "P90D" rather than "PT2160H".
 */
static Interval
interval_of(int64 usecs)
{
	Interval	interval = {0};

	interval.day = usecs / USECS_PER_DAY;
	interval.time = usecs % USECS_PER_DAY;
	return interval;
}

/* The JSON object {"<field>": "<usecs as an ISO 8601 interval>"}. */
static const char *
interval_detail(const char *field, int64 usecs)
{
	Interval	interval = interval_of(usecs);
	StringInfoData detail;

	initStringInfo(&detail);
	JsonAddInterval(&detail, field, &interval);
	return JsonFinish(&detail);
}

/*
 * Rest for auth_keys.sweep_batch_delay after a full batch, as VACUUM rests
 * for vacuum_cost_delay: a sweep through a large backlog then leaves most
 * of the CPU to registrations.  Woken early only to be cancelled.
 */
static void
rest_between_batches(void)
{
	if (auth_keys_sweep_batch_delay_ms <= 0)
		return;
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 auth_keys_sweep_batch_delay_ms, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

/*
 * Delete, batch by batch, the keys that became invalid before "cutoff",
 * each with a key.purged event; return how many.  One statement a batch:
 * the events are written from the DELETE's RETURNING list.
 *
 * The shape of the statement is for the kept (generic) plan, which cannot
 * know how small $2 is: the ORDER BY keeps the batch on keys_invalid_at_idx,
 * oldest first (with a LIMIT and no order, the whole table may look as
 * cheap), and "key_id = ANY (ARRAY(...))" makes the DELETE find the batch's
 * rows by primary key (a join with the batch would hash the whole table
 * for every batch).
 */
static int64
purge_keys(TimestampTz cutoff, int batch_size, const char *actor,
		   const char *detail)
{
	static SqlStatement purge = {
		"WITH purged AS ("
		"  DELETE FROM auth_keys.keys"
		"   WHERE key_id OPERATOR(pg_catalog.=) ANY (ARRAY("
		"         SELECT key_id FROM auth_keys.keys"
		"          WHERE invalid_at OPERATOR(pg_catalog.<) $1"
		"          ORDER BY invalid_at LIMIT $2 FOR UPDATE SKIP LOCKED))"
		"  RETURNING tailnet_id, key_id),"
		" logged AS ("
		"  INSERT INTO auth_keys.events (tailnet_id, actor, action, key_id, detail)"
		"  SELECT tailnet_id, $3, 'key.purged', key_id,"
		"         pg_catalog.jsonb_in($4::pg_catalog.cstring)"
		"    FROM purged)"
		" SELECT pg_catalog.count(*) FROM purged",
		4, {TIMESTAMPTZOID, INT4OID, TEXTOID, TEXTOID}
	};
	Datum		values[4];
	int64		total = 0;
	int64		purged;

	values[0] = TimestampTzGetDatum(cutoff);
	values[1] = Int32GetDatum(batch_size);
	values[2] = CStringGetTextDatum(actor);
	values[3] = CStringGetTextDatum(detail);
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		QueryRun(&purge, values, NULL, false);
		purged = DatumGetInt64(QueryGetNotNull(0, 1));
		total += purged;
		if (purged < batch_size)
			break;
		rest_between_batches();
	}

	return total;
}

/* What a node event's detail says, from one row of a sweep's query. */
typedef void (*NodeDetail) (StringInfo detail, HeapTuple row, TupleDesc desc,
							const void *arg);

/*
 * One event "action" for each of the "count" rows of "nodes", whose first
 * two columns are node_id and tailnet_id; then free the rows.  The rows are
 * passed in, since each EventRecord replaces SPI_tuptable.
 */
static void
record_node_events(SPITupleTable *nodes, uint64 count, const char *actor,
				   const char *action, NodeDetail describe, const void *arg)
{
	for (uint64 i = 0; i < count; i++)
	{
		HeapTuple	row = nodes->vals[i];
		TupleDesc	desc = nodes->tupdesc;
		bool		isnull;
		StringInfoData detail;

		initStringInfo(&detail);
		describe(&detail, row, desc, arg);
		EventRecord(actor,
					DatumGetInt64(SPI_getbinval(row, desc, 2, &isnull)),
					action, NULL,
					DatumGetInt64(SPI_getbinval(row, desc, 1, &isnull)),
					JsonFinish(&detail));
	}
	SPI_freetuptable(nodes);
}

/* node.key_expired: when the key expired (column 3). */
static void
describe_expiry(StringInfo detail, HeapTuple row, TupleDesc desc,
				const void *arg)
{
	bool		isnull;

	JsonAddTimestamp(detail, "expired_at",
					 DatumGetTimestampTz(SPI_getbinval(row, desc, 3, &isnull)));
}

/*
 * node.deleted by the sweep: why, the hostname (column 3), when the node
 * was last seen (column 4), and the timeout ("arg").
 */
static void
describe_idle_node(StringInfo detail, HeapTuple row, TupleDesc desc,
				   const void *arg)
{
	bool		isnull;

	JsonAddText(detail, "reason", "ephemeral node inactive");
	JsonAddText(detail, "hostname", SPI_getvalue(row, desc, 3));
	JsonAddTimestamp(detail, "last_seen_at",
					 DatumGetTimestampTz(SPI_getbinval(row, desc, 4, &isnull)));
	JsonAddInterval(detail, "inactivity_timeout", (const Interval *) arg);
}

/*
 * Record a node.key_expired event for each node key that expired since the
 * last sweep, unless another sweep is doing so right now; return how many.
 *
 * A lock on sweep_state, taken without waiting, lets one sweep at a time
 * through; the others leave the expiries to it.  ExclusiveLock conflicts
 * with itself and with writes, but not with reads of the table.
 */
static int64
record_node_key_expiries(const char *actor)
{
	static SqlStatement ensure_state = {
		"INSERT INTO auth_keys.sweep_state DEFAULT VALUES"
		" ON CONFLICT (singleton) DO NOTHING",
		0, {InvalidOid}
	};
	static SqlStatement read_state = {
		"SELECT node_key_expiries_through FROM auth_keys.sweep_state",
		0, {InvalidOid}
	};
	static SqlStatement expired = {
		"SELECT node_id, tailnet_id, node_key_expires_at FROM auth_keys.nodes"
		" WHERE node_key_expires_at OPERATOR(pg_catalog.>) $1"
		"   AND node_key_expires_at OPERATOR(pg_catalog.<=) $2"
		" ORDER BY node_key_expires_at, node_id",
		2, {TIMESTAMPTZOID, TIMESTAMPTZOID}
	};

	/*
	 * A sweep that started before the last one finished may come here
	 * after it: the point never moves back.
	 */
	static SqlStatement move_on = {
		"UPDATE auth_keys.sweep_state"
		"   SET node_key_expiries_through ="
		"         GREATEST(node_key_expiries_through, $1),"
		"       swept_at = pg_catalog.now()",
		1, {TIMESTAMPTZOID}
	};
	Oid			state = get_relname_relid("sweep_state",
										  get_namespace_oid("auth_keys", false));
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	Datum		values[2];
	uint64		count;

	if (!OidIsValid(state))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table auth_keys.sweep_state does not exist"),
				 errhint("Drop and create the extension again to restore its tables.")));
	if (!ConditionalLockRelationOid(state, ExclusiveLock))
		return 0;

	QueryRun(&ensure_state, NULL, NULL, false);
	if (QueryRun(&read_state, NULL, NULL, false) != 1)
		elog(ERROR, "auth_keys.sweep_state must hold one row");
	values[0] = QueryGetNotNull(0, 1);
	values[1] = TimestampTzGetDatum(now);
	count = QueryRun(&expired, values, NULL, true);

	record_node_events(SPI_tuptable, count, actor, "node.key_expired",
					   describe_expiry, NULL);

	values[0] = TimestampTzGetDatum(now);
	QueryRun(&move_on, values, NULL, false);
	return (int64) count;
}

/*
 * Delete, batch by batch, the ephemeral nodes last seen before "cutoff",
 * each with a node.deleted event; return how many.
 */
static int64
remove_idle_ephemeral_nodes(TimestampTz cutoff, int batch_size,
							const char *actor, int64 timeout_usecs)
{
	static SqlStatement remove = {
		"DELETE FROM auth_keys.nodes"
		" WHERE node_id OPERATOR(pg_catalog.=) ANY (ARRAY("
		"       SELECT node_id FROM auth_keys.nodes"
		"        WHERE ephemeral AND last_seen_at OPERATOR(pg_catalog.<) $1"
		"        LIMIT $2 FOR UPDATE SKIP LOCKED))"
		" RETURNING node_id, tailnet_id, hostname, last_seen_at",
		2, {TIMESTAMPTZOID, INT4OID}
	};
	Interval	timeout = interval_of(timeout_usecs);
	Datum		values[2];
	int64		total = 0;
	uint64		removed;

	values[0] = TimestampTzGetDatum(cutoff);
	values[1] = Int32GetDatum(batch_size);
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		removed = QueryRun(&remove, values, NULL, false);
		record_node_events(SPI_tuptable, removed, actor, "node.deleted",
						   describe_idle_node, &timeout);
		total += removed;
		if (removed < (uint64) batch_size)
			break;
		rest_between_batches();
	}

	return total;
}

/*
 * Record what this sweep did in auth_keys.sweep_log, for sweep_job_runs
 * (pg_cron's own run history says only "DELETE 0" or "1 row"), and trim
 * the log to SWEEP_LOG_KEPT.  A database still on version 1.0 has no log,
 * and its sweeps record nothing.
 */
static void
record_sweep(const char *actor, Datum *result)
{
	static SqlStatement insert = {
		"INSERT INTO auth_keys.sweep_log"
		"  (started_at, finished_at, swept_by, backend_pid,"
		"   keys_purged, nodes_removed, node_key_expiries)"
		" VALUES (pg_catalog.now(), pg_catalog.clock_timestamp(), $1,"
		"         pg_catalog.pg_backend_pid(), $2, $3, $4)",
		4, {TEXTOID, INT8OID, INT8OID, INT8OID}
	};
	static SqlStatement trim = {
		"DELETE FROM auth_keys.sweep_log"
		" WHERE finished_at OPERATOR(pg_catalog.<)"
		"       (pg_catalog.now() OPERATOR(pg_catalog.-) '" SWEEP_LOG_KEPT "'::pg_catalog.interval)",
		0, {InvalidOid}
	};
	Datum		values[4];

	if (!OidIsValid(get_relname_relid("sweep_log",
									  get_namespace_oid("auth_keys", false))))
		return;
	values[0] = CStringGetTextDatum(actor);
	values[1] = result[0];
	values[2] = result[1];
	values[3] = result[2];
	QueryRun(&insert, values, NULL, false);
	QueryRun(&trim, NULL, NULL, false);
}

/*
 * auth_keys.sweep(batch_size integer DEFAULT 1000)
 *		RETURNS TABLE (keys_purged bigint, nodes_removed bigint,
 *					   node_key_expiries bigint)
 *		Purge keys invalid for longer than auth_keys.invalid_key_retention,
 *		record node key expiries, and remove ephemeral nodes not seen for
 *		auth_keys.ephemeral_inactivity_timeout.  Operator tier.
 */
Datum
auth_keys_sweep(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		retention = auth_keys_invalid_retention_usecs;
	int64		timeout = auth_keys_ephemeral_timeout_usecs;
	int			batch_size;
	const char *actor;
	Datum		result[3];
	bool		result_nulls[3] = {false, false, false};

	RequireWritable(fcinfo);
	RequireArgument(fcinfo, 0);
	batch_size = PG_GETARG_INT32(0);
	if (batch_size < 1 || batch_size > SWEEP_BATCH_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("batch_size must be between 1 and %d", SWEEP_BATCH_MAX)));

	InitMaterializedSRF(fcinfo, 0);
	actor = CallerRoleDescribe();

	SPI_connect();
	result[0] = Int64GetDatum(purge_keys(before_now(retention), batch_size, actor,
										 interval_detail("retention", retention)));
	result[2] = Int64GetDatum(record_node_key_expiries(actor));
	result[1] = Int64GetDatum(remove_idle_ephemeral_nodes(before_now(timeout),
														  batch_size, actor,
														  timeout));
	record_sweep(actor, result);
	SPI_finish();

	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, result, result_nulls);
	return (Datum) 0;
}
