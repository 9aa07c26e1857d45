/*-------------------------------------------------------------------------
 *
 * sweep_batch.h
 *	  A sweep's removals, batch by batch, past rows that cannot be removed.
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

#include "query.h"

/* what a phase removes: the id column is key_id (text) or node_id (bigint) */
typedef enum SweepRows
{
	SWEEP_KEYS,
	SWEEP_NODES
} SweepRows;

/*
 * One phase of a sweep.  "pick" takes $1 the cutoff, $2 the batch size and
 * $3 the ids to pass over (an array of the id's type), locks the rows of
 * the next batch FOR UPDATE SKIP LOCKED and returns their id and
 * tailnet_id.  "remove" removes the rows whose ids are in the array "ids",
 * still past "cutoff", records their events and returns how many it
 * removed.
 */
typedef struct SweepPhase
{
	SweepRows	rows;
	SqlStatement *pick;
	uint64		(*remove) (Datum ids, TimestampTz cutoff, const char *actor,
						   const void *arg);
	const void *arg;
} SweepPhase;

extern int64 SweepPhaseRun(const SweepPhase *phase, TimestampTz cutoff,
						   int batch_size, const char *actor);

#endif							/* SWEEP_BATCH_H */
