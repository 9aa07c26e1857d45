/*-------------------------------------------------------------------------
 *
 * sweep_batch.c
 *	  A sweep's removals, one batch at a time, past rows that cannot be
 *	  removed.
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
 * say which row and why, and the batches that follow pass over it (the
 * list of skipped rows outlives the batch's transaction, for a sweep that
 * commits after each batch).  A phase that has skipped SWEEP_SKIPPED_MAX
 * rows stops with a WARNING (the trouble is then not one row), and the
 * sweep goes on with the next phase.
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
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "event.h"
#include "query.h"
#include "sweep_batch.h"

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
 * Lock the next batch and return its rows, in the current memory context
 * (SPI_tuptable does not outlive the next statement).
 */
static SweepRowSet
pick_batch(const SweepPhase *phase, TimestampTz cutoff, int batch_size,
		   const SweepSkipped *skipped, bool *more)
{
	SweepRowSet batch;
	uint64		count;

	count = phase->pick(cutoff, batch_size,
						id_array(phase->rows, (Datum *) skipped->ids, skipped->count),
						phase->state, more);
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
 * Remove the rows "ids", with their events, in a subtransaction.  Returns
 * whether it worked, with how many were removed in *removed; else the
 * error, in the caller's memory context, in *error.  A cancel is raised
 * again.
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
		EventBatch	events;

		EventBatchInit(&events, actor);
		*removed = phase->remove(id_array(phase->rows, ids, count), cutoff,
								 &events, phase->state);
		EventBatchWrite(&events);
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
	EventDetail detail;
	const char *sqlstate = unpack_sql_state(error->sqlerrcode);

	EventDetailInit(&detail);
	EventDetailText(&detail, "sqlstate", sqlstate);
	EventDetailText(&detail, "error", error->message);
	if (phase->rows == SWEEP_KEYS)
	{
		char	   *key_id = TextDatumGetCString(batch->ids[i]);

		ereport(WARNING,
				(errcode(error->sqlerrcode),
				 errmsg("sweep skipped key %s, which it could not purge", key_id),
				 errdetail("The purge failed with SQLSTATE %s: %s", sqlstate, error->message),
				 errhint("The sweep tries again next time; find what holds the key with the event sweep.skipped.")));
		EventRecord(actor, batch->tailnets[i], "sweep.skipped", key_id,
					EVENT_NO_NODE, &detail);
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
					node_id, &detail);
	}
}

/* The WARNING of a phase that stops for the rows it skipped. */
static void
report_stopped(const SweepPhase *phase)
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
}

/*
 * SweepPhaseStep
 *		Remove the next batch of the rows that "phase" picks as past
 *		"cutoff", skipping those that cannot be removed (see the file
 *		header); add how many were removed to *removed.  Returns whether the
 *		phase has more to do.
 */
bool
SweepPhaseStep(const SweepPhase *phase, TimestampTz cutoff, int batch_size,
			   const char *actor, SweepSkipped *skipped, int64 *removed)
{
	MemoryContext step_context = CurrentMemoryContext;
	SweepRowSet batch;
	uint64		count;
	ErrorData  *error;
	bool		more;

	CHECK_FOR_INTERRUPTS();
	batch = pick_batch(phase, cutoff, batch_size, skipped, &more);
	if (try_remove(phase, batch.ids, batch.count, cutoff, actor, &count, &error))
	{
		*removed += count;
		return more;
	}
	for (int i = 0; i < batch.count; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (try_remove(phase, &batch.ids[i], 1, cutoff, actor, &count, &error))
		{
			*removed += count;
			continue;
		}
		report_skipped(phase, &batch, i, actor, error);
		MemoryContextSwitchTo(skipped->context);
		skipped->ids[skipped->count++] = id_copy(phase->rows, batch.ids[i]);
		MemoryContextSwitchTo(step_context);
		if (skipped->count == SWEEP_SKIPPED_MAX)
		{
			report_stopped(phase);
			return false;
		}
	}
	return more;
}
