/*-------------------------------------------------------------------------
 *
 * event_partition.h
 *	  The audit trail's retention: auth_keys.events by week.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/event_partition.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef EVENT_PARTITION_H
#define EVENT_PARTITION_H

extern void EventPartitionDefineSettings(void);
extern bool EventPartitionsStep(int batch_size, const char *actor, bool ddl,
								int64 *partitions, int64 *deleted);

#endif							/* EVENT_PARTITION_H */
