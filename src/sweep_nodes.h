/*-------------------------------------------------------------------------
 *
 * sweep_nodes.h
 *	  The sweep's work on nodes: recording node key expiries, and removing
 *	  ephemeral nodes that stopped sending heartbeats.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/sweep_nodes.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SWEEP_NODES_H
#define SWEEP_NODES_H

#include "datatype/timestamp.h"

#include "sweep_batch.h"

/* Where the removal of idle ephemeral nodes has got to. */
typedef struct SweepNodesState
{
	int64		position;		/* the last node_id read */
	Interval	timeout;		/* for the events */
} SweepNodesState;

extern bool SweepExpiriesStep(TimestampTz sweep_start, int batch_size,
							  const char *actor, int64 *recorded);
extern bool SweepNodesMayRemove(int64 timeout_usecs);
extern void SweepNodesPhase(SweepPhase *phase, SweepNodesState *state,
							const Interval *timeout);

#endif							/* SWEEP_NODES_H */
