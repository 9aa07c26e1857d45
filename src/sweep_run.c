/*-------------------------------------------------------------------------
 *
 * sweep_run.c
 *	  A sweep as a sequence of steps, each a batch of bounded work.
 *
 * A sweep adds the uses counted for keys without a limit to their rows
 * (only a sweep that commits after each step: adding them locks the keys'
 * rows, which registrations with those keys would wait for until the
 * sweep's commit), purges keys past auth_keys.invalid_key_retention, deletes expired OAuth
 * access tokens, keeps the audit trail's partitions (event_partition.c),
 * records node key expiries and removes ephemeral nodes that stopped
 * sending heartbeats (sweep_nodes.c), in that order.  Each step does one
 * batch of one of these, of at most batch_size rows, and says whether the
 * sweep has more to do; auth_keys.sweep runs the steps in one transaction,
 * auth_keys.sweep_in_steps commits after each (sweep.c).  Between full
 * batches the sweep rests for auth_keys.sweep_batch_delay, as VACUUM rests
 * for vacuum_cost_delay, so that a sweep through a large backlog leaves
 * most of the CPU to registrations.
 *
 * Every batch picks its rows with FOR UPDATE SKIP LOCKED: a row that
 * another transaction holds (a key being spent, a node being seen) is left
 * for the next sweep rather than waited for, and nothing a registration
 * does waits for a sweep, since a registration never locks or changes a
 * key that is past its validity, let alone past retention.  The node phase
 * comes last, so that in a sweep of one transaction the node rows it
 * deletes stay locked only briefly before the commit: a removed ephemeral
 * node that registers again at that very moment waits for the commit and
 * then enrols afresh.
 *
 * A row that cannot be removed (another table's foreign key still points
 * at it, a trigger refuses) is skipped with a WARNING and an event, and the
 * sweep goes on (sweep_batch.c).  Each sweep records what it did in
 * auth_keys.sweep_log (from version 1.1 on), for sweep_job_runs, and trims
 * that log to 7 days.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/sweep_run.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "auth_keys.h"
#include "event.h"
#include "event_partition.h"
#include "key_store.h"
#include "oauth_token.h"
#include "query.h"
#include "schema.h"
#include "sweep_run.h"

/* how long sweep_log keeps what each sweep did (as pg_cron's history) */
#define SWEEP_LOG_KEPT		"7 days"

/* SweepRequireBatchSize: the batch sizes a sweep takes. */
void
SweepRequireBatchSize(int batch_size)
{
	if (batch_size < 1 || batch_size > SWEEP_BATCH_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("batch_size must be between 1 and %d", SWEEP_BATCH_MAX)));
}

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

/* The keys of the next batch past retention (KeyStorePickPurgeable). */
static uint64
pick_keys(TimestampTz cutoff, int batch_size, Datum passed_over, void *state,
		  bool *more)
{
	uint64		count = KeyStorePickPurgeable(cutoff, batch_size, passed_over);

	*more = count == (uint64) batch_size;
	return count;
}

/* Purge the keys "ids", each with a key.purged event giving the retention. */
static uint64
remove_keys(Datum ids, TimestampTz cutoff, EventBatch *events, void *state)
{
	Interval	retention = interval_of(auth_keys_invalid_retention_usecs);
	uint64		purged = KeyStorePurge(ids, cutoff);

	for (uint64 i = 0; i < purged; i++)
	{
		EventDetail detail;

		CHECK_FOR_INTERRUPTS();
		EventDetailInit(&detail);
		EventDetailInterval(&detail, "retention", &retention);
		EventBatchAdd(events, DatumGetInt64(QueryGetNotNull(i, 2)), "key.purged",
					  QueryGetText(i, 1), EVENT_NO_NODE, &detail);
	}
	return purged;
}

/*
 * SweepRunBegin
 *		A sweep by "actor", in batches of batch_size, allocated in "context"
 *		(which must outlive the sweep's transactions); "commits" when the
 *		caller commits after each step.
 */
SweepRun *
SweepRunBegin(MemoryContext context, const char *actor, int batch_size,
			  bool commits)
{
	SweepRun   *run = MemoryContextAllocZero(context, sizeof(SweepRun));

	run->context = context;
	run->actor = MemoryContextStrdup(context, actor);
	run->batch_size = batch_size;
	run->started_at = GetCurrentTransactionStartTimestamp();
	run->commits = commits;
	run->stage = commits ? SWEEP_STAGE_USES : SWEEP_STAGE_KEYS;
	run->keys_phase.rows = SWEEP_KEYS;
	run->keys_phase.pick = pick_keys;
	run->keys_phase.remove = remove_keys;
	run->keys_skipped.context = context;
	run->nodes_skipped.context = context;
	return run;
}

/*
 * SweepRunStep
 *		Do the next step of the sweep.  Returns false once the sweep is done;
 *		*full_batch says whether the step worked through a whole batch, after
 *		which the sweep rests.
 */
bool
SweepRunStep(SweepRun *run, bool *full_batch)
{
	int64		before;
	int64		done;
	bool		more = false;
	Interval	timeout;

	*full_batch = false;
	CHECK_FOR_INTERRUPTS();
	switch (run->stage)
	{
		case SWEEP_STAGE_USES:
			done = (int64) KeyStoreAddUpUses(run->batch_size);
			more = done == run->batch_size;
			*full_batch = more;
			break;
		case SWEEP_STAGE_KEYS:
			more = SweepPhaseStep(&run->keys_phase,
								  before_now(auth_keys_invalid_retention_usecs),
								  run->batch_size, run->actor, &run->keys_skipped,
								  &run->counts.keys_purged);
			*full_batch = more;
			break;
		case SWEEP_STAGE_TOKENS:
			done = (int64) OAuthTokensDeleteExpired(run->batch_size);
			run->counts.access_tokens_deleted += done;
			more = done == run->batch_size;
			*full_batch = more;
			break;
		case SWEEP_STAGE_EVENTS:
			more = EventPartitionsStep(run->batch_size, run->actor, run->commits,
									   &run->counts.event_weeks_removed,
									   &run->counts.events_deleted);
			*full_batch = more;
			break;
		case SWEEP_STAGE_EXPIRIES:
			more = SweepExpiriesStep(run->started_at, run->batch_size, run->actor,
									 &run->counts.node_key_expiries);
			*full_batch = more;
			break;
		case SWEEP_STAGE_NODES:
			if (!run->nodes_ready)
			{
				/* nothing is removed before the server has run a timeout */
				if (!SweepNodesMayRemove(auth_keys_ephemeral_timeout_usecs))
					break;
				timeout = interval_of(auth_keys_ephemeral_timeout_usecs);
				SweepNodesPhase(&run->nodes_phase, &run->nodes, &timeout);
				run->nodes_ready = true;
			}
			before = run->counts.nodes_removed;
			more = SweepPhaseStep(&run->nodes_phase,
								  before_now(auth_keys_ephemeral_timeout_usecs),
								  run->batch_size, run->actor, &run->nodes_skipped,
								  &run->counts.nodes_removed);
			*full_batch = run->counts.nodes_removed - before == run->batch_size;
			break;
		case SWEEP_STAGE_DONE:
			return false;
	}
	if (!more)
		run->stage++;
	return run->stage != SWEEP_STAGE_DONE;
}

/*
 * SweepRunRest
 *		Rest for auth_keys.sweep_batch_delay after a full batch.  Woken
 *		early only to be cancelled.
 */
void
SweepRunRest(void)
{
	if (auth_keys_sweep_batch_delay_ms <= 0)
		return;
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 auth_keys_sweep_batch_delay_ms, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

/*
 * SweepRunRecord
 *		Record what the sweep did in auth_keys.sweep_log, for sweep_job_runs
 *		(pg_cron's own run history says only "DO" or "1 row"), and trim the
 *		log to SWEEP_LOG_KEPT.  A database still on version 1.0 has no log,
 *		and its sweeps record nothing.
 */
void
SweepRunRecord(const SweepRun *run)
{
	static SqlStatement insert = {
		"INSERT INTO auth_keys.sweep_log"
		"  (started_at, finished_at, swept_by, backend_pid,"
		"   keys_purged, nodes_removed, node_key_expiries,"
		"   access_tokens_deleted, event_weeks_removed, events_deleted)"
		" VALUES ($1, pg_catalog.clock_timestamp(), $2,"
		"         pg_catalog.pg_backend_pid(), $3, $4, $5, $6, $7, $8)",
		8, {TIMESTAMPTZOID, TEXTOID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID,
		INT8OID}
	};
	static SqlStatement trim = {
		"DELETE FROM auth_keys.sweep_log"
		" WHERE finished_at OPERATOR(pg_catalog.<)"
		"       (pg_catalog.now() OPERATOR(pg_catalog.-) '" SWEEP_LOG_KEPT "'::pg_catalog.interval)",
		0, {InvalidOid}
	};
	Datum		values[8];

	if (!OidIsValid(SchemaTable("sweep_log")))
		return;
	values[0] = TimestampTzGetDatum(run->started_at);
	values[1] = CStringGetTextDatum(run->actor);
	values[2] = Int64GetDatum(run->counts.keys_purged);
	values[3] = Int64GetDatum(run->counts.nodes_removed);
	values[4] = Int64GetDatum(run->counts.node_key_expiries);
	values[5] = Int64GetDatum(run->counts.access_tokens_deleted);
	values[6] = Int64GetDatum(run->counts.event_weeks_removed);
	values[7] = Int64GetDatum(run->counts.events_deleted);
	QueryRun(&insert, values, NULL, false);
	QueryRun(&trim, NULL, NULL, false);
}
