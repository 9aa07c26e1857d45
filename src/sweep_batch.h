/*-------------------------------------------------------------------------
 *
 * sweep_batch.h
 *	  A sweep's removals, one batch at a time, past rows that cannot be
 *	  removed.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/sweep_batch.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SWEEP_BATCH_H
#define SWEEP_BATCH_H

#include "postgres.h"

#include "datatype/timestamp.h"

#include "event.h"

/* more rows than this failing alone is no longer a bad row or two */
#define SWEEP_SKIPPED_MAX	100

/* what a phase removes: the id column is key_id (text) or node_id (bigint) */
typedef enum SweepRows
{
	SWEEP_KEYS,
	SWEEP_NODES
} SweepRows;

/*
 * One phase of a sweep that removes rows.  "pick" locks the rows of the
 * next batch FOR UPDATE SKIP LOCKED, passing over the ids in the array
 * "passed_over" (of the id's type), and leaves their id and tailnet_id in
 * SPI_tuptable; it returns how many, and sets *more when rows may remain
 * after them.  "remove" removes the rows whose ids are in the array "ids"
 * and that are still past "cutoff", adds an event for each to "events" and
 * returns how many it removed.  "state" is theirs (a position to go on
 * from, a setting).
 */
typedef struct SweepPhase
{
	SweepRows	rows;
	uint64		(*pick) (TimestampTz cutoff, int batch_size, Datum passed_over,
						 void *state, bool *more);
	uint64		(*remove) (Datum ids, TimestampTz cutoff, EventBatch *events,
						   void *state);
	void	   *state;
} SweepPhase;

/* The rows a phase has skipped, in memory that outlives the transaction. */
typedef struct SweepSkipped
{
	MemoryContext context;
	int			count;
	Datum		ids[SWEEP_SKIPPED_MAX];
} SweepSkipped;

extern bool SweepPhaseStep(const SweepPhase *phase, TimestampTz cutoff,
						   int batch_size, const char *actor,
						   SweepSkipped *skipped, int64 *removed);

#endif							/* SWEEP_BATCH_H */
