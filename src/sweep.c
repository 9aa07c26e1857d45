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
 * A row that cannot be removed (another table's foreign key still points
 * at it, a trigger refuses) is skipped with a WARNING and an event, and the
 * sweep goes on (sweep_batch.c).
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
#include "storage/lmgr.h"
#include "utils/lsyscache.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "actor.h"
#include "arguments.h"
#include "auth_keys.h"
#include "event.h"
#include "query.h"
#include "sweep_batch.h"
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
 * The keys that became invalid before the cutoff, oldest first, and their
 * purge, each with a key.purged event (written from the DELETE's RETURNING
 * list; $4 is the event's detail).
 *
 * The ORDER BY keeps the kept (generic) plan on keys_invalid_at_idx, which
 * cannot know how small $2 is: with a LIMIT and no order, the whole table
 * may look as cheap.
 */
static SqlStatement keys_past_retention = {
	"SELECT key_id, tailnet_id FROM auth_keys.keys"
	" WHERE invalid_at OPERATOR(pg_catalog.<) $1"
	"   AND key_id OPERATOR(pg_catalog.<>) ALL ($3)"
	" ORDER BY invalid_at LIMIT $2 FOR UPDATE SKIP LOCKED",
	3, {TIMESTAMPTZOID, INT4OID, TEXTARRAYOID}
};

typedef struct PurgeArgs
{
	Datum		actor;
	Datum		detail;
} PurgeArgs;

static uint64
purge_keys(Datum ids, TimestampTz cutoff, const char *actor, const void *arg)
{
	static SqlStatement purge = {
		"WITH purged AS ("
		"  DELETE FROM auth_keys.keys"
		"   WHERE key_id OPERATOR(pg_catalog.=) ANY ($1)"
		"     AND invalid_at OPERATOR(pg_catalog.<) $2"
		"  RETURNING tailnet_id, key_id),"
		" logged AS ("
		"  INSERT INTO auth_keys.events (tailnet_id, actor, action, key_id, detail)"
		"  SELECT tailnet_id, $3, 'key.purged', key_id,"
		"         pg_catalog.jsonb_in($4::pg_catalog.cstring)"
		"    FROM purged)"
		" SELECT pg_catalog.count(*) FROM purged",
		4, {TEXTARRAYOID, TIMESTAMPTZOID, TEXTOID, TEXTOID}
	};
	const PurgeArgs *args = arg;
	Datum		values[4];

	values[0] = ids;
	values[1] = TimestampTzGetDatum(cutoff);
	values[2] = args->actor;
	values[3] = args->detail;
	QueryRun(&purge, values, NULL, false);
	return (uint64) DatumGetInt64(QueryGetNotNull(0, 1));
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
 * The ephemeral nodes last seen before the cutoff, and their removal, each
 * with a node.deleted event.
 */
static SqlStatement idle_ephemeral_nodes = {
	"SELECT node_id, tailnet_id FROM auth_keys.nodes"
	" WHERE ephemeral AND last_seen_at OPERATOR(pg_catalog.<) $1"
	"   AND node_id OPERATOR(pg_catalog.<>) ALL ($3)"
	" LIMIT $2 FOR UPDATE SKIP LOCKED",
	3, {TIMESTAMPTZOID, INT4OID, INT8ARRAYOID}
};

static uint64
remove_idle_nodes(Datum ids, TimestampTz cutoff, const char *actor,
				  const void *arg)
{
	static SqlStatement remove = {
		"DELETE FROM auth_keys.nodes"
		" WHERE node_id OPERATOR(pg_catalog.=) ANY ($1)"
		"   AND ephemeral AND last_seen_at OPERATOR(pg_catalog.<) $2"
		" RETURNING node_id, tailnet_id, hostname, last_seen_at",
		2, {INT8ARRAYOID, TIMESTAMPTZOID}
	};
	Datum		values[2];
	uint64		removed;

	values[0] = ids;
	values[1] = TimestampTzGetDatum(cutoff);
	removed = QueryRun(&remove, values, NULL, false);
	record_node_events(SPI_tuptable, removed, actor, "node.deleted",
					   describe_idle_node, arg);
	return removed;
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
	PurgeArgs	purge_args;
	Interval	timeout_interval;
	SweepPhase	keys = {SWEEP_KEYS, &keys_past_retention, purge_keys, NULL};
	SweepPhase	nodes = {SWEEP_NODES, &idle_ephemeral_nodes, remove_idle_nodes, NULL};

	RequireWritable(fcinfo);
	RequireArgument(fcinfo, 0);
	batch_size = PG_GETARG_INT32(0);
	if (batch_size < 1 || batch_size > SWEEP_BATCH_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("batch_size must be between 1 and %d", SWEEP_BATCH_MAX)));

	InitMaterializedSRF(fcinfo, 0);
	actor = CallerRoleDescribe();

	purge_args.actor = CStringGetTextDatum(actor);
	purge_args.detail = CStringGetTextDatum(interval_detail("retention", retention));
	keys.arg = &purge_args;
	timeout_interval = interval_of(timeout);
	nodes.arg = &timeout_interval;

	SPI_connect();
	result[0] = Int64GetDatum(SweepPhaseRun(&keys, before_now(retention),
											batch_size, actor));
	result[2] = Int64GetDatum(record_node_key_expiries(actor));
	result[1] = Int64GetDatum(SweepPhaseRun(&nodes, before_now(timeout),
											batch_size, actor));
	record_sweep(actor, result);
	SPI_finish();

	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, result, result_nulls);
	return (Datum) 0;
}
