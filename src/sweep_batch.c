/*-------------------------------------------------------------------------
 *
 * sweep_batch.c
 *	  A sweep's removals, batch by batch, past rows that cannot be removed.
 *
 * A sweep that one row can stop is a sweep that stops for good: the row is
 * still there for the next run, and the one after, while expired keys and
 * idle nodes pile up behind it.  A row that cannot be removed is one that a
 * DBA's own table still references, or that a trigger of theirs refuses to
 * let go, or that holds a value the removal cannot handle.
 *
 * So each batch is removed in a subtransaction.  When that fails, its rows
 * are removed one by one, each in a subtransaction of its own; a row that
 * fails alone is skipped, with a WARNING and a sweep.skipped event that
 * say which row and why, and the batches that follow pass over it.  A
 * phase that has skipped SWEEP_SKIPPED_MAX rows stops with a WARNING (the
 * trouble is then not one row), and the sweep goes on with the next phase.
 *
 * A cancel is not a failure of a row: it ends the sweep, as always.  Nor
 * can a subtransaction catch what is checked only at commit (a DEFERRABLE
 * foreign key, deferred): such a row still makes the whole sweep fail.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/sweep_batch.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "auth_keys.h"
#include "event.h"
#include "sweep_batch.h"

/* more rows than this failing alone is no longer a bad row or two */
#define SWEEP_SKIPPED_MAX	100

/* The ids of some rows of a phase, with their tailnets. */
typedef struct SweepRowSet
{
	int			count;
	Datum	   *ids;
	int64	   *tailnets;
} SweepRowSet;

/* An array of ids, and a copy of one id. */
static Datum
id_array(SweepRows rows, Datum *ids, int count)
{
	if (rows == SWEEP_KEYS)
		return PointerGetDatum(construct_array(ids, count, TEXTOID, -1, false,
											   TYPALIGN_INT));
	return PointerGetDatum(construct_array(ids, count, INT8OID, sizeof(int64),
										   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

static Datum
id_copy(SweepRows rows, Datum id)
{
	if (rows == SWEEP_KEYS)
		return datumCopy(id, false, -1);
	return datumCopy(id, FLOAT8PASSBYVAL, sizeof(int64));
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
 * Lock the next batch and return its rows, in the current memory context
 * (SPI_tuptable does not outlive the next statement).
 */
static SweepRowSet
pick_batch(const SweepPhase *phase, TimestampTz cutoff, int batch_size,
		   const SweepRowSet *skipped)
{
	Datum		values[3];
	SweepRowSet batch;
	uint64		count;

	values[0] = TimestampTzGetDatum(cutoff);
	values[1] = Int32GetDatum(batch_size);
	values[2] = id_array(phase->rows, skipped->ids, skipped->count);
	count = QueryRun(phase->pick, values, NULL, false);

	batch.count = (int) count;
	batch.ids = palloc(sizeof(Datum) * Max(batch.count, 1));
	batch.tailnets = palloc(sizeof(int64) * Max(batch.count, 1));
	for (int i = 0; i < batch.count; i++)
	{
		batch.ids[i] = id_copy(phase->rows, QueryGetNotNull(i, 1));
		batch.tailnets[i] = DatumGetInt64(QueryGetNotNull(i, 2));
	}
	SPI_freetuptable(SPI_tuptable);
	return batch;
}

/*
 * Remove the rows "ids" in a subtransaction.  Returns whether it worked,
 * with how many were removed in *removed; else the error, in the caller's
 * memory context, in *error.  A cancel is raised again.
 */
static bool
try_remove(const SweepPhase *phase, Datum *ids, int count, TimestampTz cutoff,
		   const char *actor, uint64 *removed, ErrorData **error)
{
	MemoryContext caller_context = CurrentMemoryContext;
	ResourceOwner caller_owner = CurrentResourceOwner;
	volatile bool ok = true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(caller_context);
	PG_TRY();
	{
		*removed = phase->remove(id_array(phase->rows, ids, count), cutoff,
								 actor, phase->arg);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller_context);
		CurrentResourceOwner = caller_owner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(caller_context);
		*error = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller_context);
		CurrentResourceOwner = caller_owner;
		if ((*error)->sqlerrcode == ERRCODE_QUERY_CANCELED)
			ReThrowError(*error);
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

/* Say that row "i" of "batch" is skipped, why, and record it as an event. */
static void
report_skipped(const SweepPhase *phase, const SweepRowSet *batch, int i,
			   const char *actor, const ErrorData *error)
{
	StringInfoData detail;
	const char *sqlstate = unpack_sql_state(error->sqlerrcode);

	initStringInfo(&detail);
	JsonAddText(&detail, "sqlstate", sqlstate);
	JsonAddText(&detail, "error", error->message);
	if (phase->rows == SWEEP_KEYS)
	{
		char	   *key_id = TextDatumGetCString(batch->ids[i]);

		ereport(WARNING,
				(errcode(error->sqlerrcode),
				 errmsg("sweep skipped key %s, which it could not purge", key_id),
				 errdetail("The purge failed with SQLSTATE %s: %s", sqlstate, error->message),
				 errhint("The sweep tries again next time; find what holds the key with the event sweep.skipped.")));
		EventRecord(actor, batch->tailnets[i], "sweep.skipped", key_id,
					EVENT_NO_NODE, JsonFinish(&detail));
	}
	else
	{
		int64		node_id = DatumGetInt64(batch->ids[i]);

		ereport(WARNING,
				(errcode(error->sqlerrcode),
				 errmsg("sweep skipped node %lld, which it could not remove", (long long) node_id),
				 errdetail("The removal failed with SQLSTATE %s: %s", sqlstate, error->message),
				 errhint("The sweep tries again next time; find what holds the node with the event sweep.skipped.")));
		EventRecord(actor, batch->tailnets[i], "sweep.skipped", NULL,
					node_id, JsonFinish(&detail));
	}
}

/*
 * SweepPhaseRun
 *		Remove, batch by batch, the rows that "phase" picks as past
 *		"cutoff", skipping those that cannot be removed (see the file
 *		header); return how many were removed.
 */
int64
SweepPhaseRun(const SweepPhase *phase, TimestampTz cutoff, int batch_size,
			  const char *actor)
{
	MemoryContext phase_context = CurrentMemoryContext;
	MemoryContext batch_context;
	SweepRowSet skipped;
	int64		total = 0;

	skipped.count = 0;
	skipped.ids = palloc(sizeof(Datum) * SWEEP_SKIPPED_MAX);
	skipped.tailnets = NULL;
	batch_context = AllocSetContextCreate(phase_context, "auth_keys sweep batch",
										  ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		SweepRowSet batch;
		uint64		removed;
		ErrorData  *error;

		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(batch_context);
		MemoryContextSwitchTo(batch_context);
		batch = pick_batch(phase, cutoff, batch_size, &skipped);

		if (try_remove(phase, batch.ids, batch.count, cutoff, actor, &removed, &error))
			total += removed;
		else
		{
			for (int i = 0; i < batch.count; i++)
			{
				CHECK_FOR_INTERRUPTS();
				if (try_remove(phase, &batch.ids[i], 1, cutoff, actor, &removed, &error))
				{
					total += removed;
					continue;
				}
				report_skipped(phase, &batch, i, actor, error);
				MemoryContextSwitchTo(phase_context);
				skipped.ids[skipped.count++] = id_copy(phase->rows, batch.ids[i]);
				MemoryContextSwitchTo(batch_context);
				if (skipped.count == SWEEP_SKIPPED_MAX)
				{
					if (phase->rows == SWEEP_KEYS)
						ereport(WARNING,
								(errmsg("sweep stopped purging keys after %d keys it could not purge",
										SWEEP_SKIPPED_MAX),
								 errhint("Something refuses every purge, such as a trigger or another table's foreign key; the events sweep.skipped say what.")));
					else
						ereport(WARNING,
								(errmsg("sweep stopped removing nodes after %d nodes it could not remove",
										SWEEP_SKIPPED_MAX),
								 errhint("Something refuses every removal, such as a trigger or another table's foreign key; the events sweep.skipped say what.")));
					MemoryContextSwitchTo(phase_context);
					MemoryContextDelete(batch_context);
					return total;
				}
			}
		}
		if (batch.count < batch_size)
			break;
		rest_between_batches();
	}
	MemoryContextSwitchTo(phase_context);
	MemoryContextDelete(batch_context);
	return total;
}
