/*-------------------------------------------------------------------------
 *
 * sweep_run.h
 *	  A sweep as a sequence of steps, each a batch of bounded work.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/sweep_run.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SWEEP_RUN_H
#define SWEEP_RUN_H

#include "datatype/timestamp.h"

#include "sweep_batch.h"
#include "sweep_nodes.h"

/* batch_size beyond this would hold too many rows in memory at once */
#define SWEEP_BATCH_MAX		100000

/* What a sweep does, in this order. */
typedef enum SweepStage
{
	SWEEP_STAGE_USES,			/* add counted uses to keys.uses */
	SWEEP_STAGE_KEYS,			/* purge keys past retention */
	SWEEP_STAGE_TOKENS,			/* delete expired access tokens */
	SWEEP_STAGE_EVENTS,			/* the audit trail's partitions */
	SWEEP_STAGE_EXPIRIES,		/* record node key expiries */
	SWEEP_STAGE_NODES,			/* remove idle ephemeral nodes */
	SWEEP_STAGE_DONE
} SweepStage;

/* What a sweep has done so far. */
typedef struct SweepCounts
{
	int64		keys_purged;
	int64		nodes_removed;
	int64		node_key_expiries;
	int64		access_tokens_deleted;
	int64		event_weeks_removed;
	int64		events_deleted;
} SweepCounts;

/*
 * A sweep under way.  It lives in "context", which outlives the
 * transactions of a sweep that commits after each step.
 */
typedef struct SweepRun
{
	MemoryContext context;
	const char *actor;
	int			batch_size;
	TimestampTz started_at;
	SweepStage	stage;
	bool		commits;		/* commits after each step (sweep_in_steps) */
	bool		nodes_ready;	/* the node phase is set up */
	SweepPhase	keys_phase;
	SweepPhase	nodes_phase;
	SweepNodesState nodes;
	SweepSkipped keys_skipped;
	SweepSkipped nodes_skipped;
	SweepCounts counts;
} SweepRun;

extern void SweepRequireBatchSize(int batch_size);
extern SweepRun *SweepRunBegin(MemoryContext context, const char *actor,
							   int batch_size, bool commits);
extern bool SweepRunStep(SweepRun *run, bool *full_batch);
extern void SweepRunRest(void);
extern void SweepRunRecord(const SweepRun *run);

#endif							/* SWEEP_RUN_H */
