/*-------------------------------------------------------------------------
 *
 * event.h
 *	  The audit trail: the one writer of auth_keys.events.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/event.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef EVENT_H
#define EVENT_H

#include "datatype/timestamp.h"
#include "utils/array.h"
#include "utils/jsonb.h"

/*
 * No node; no tailnet (ids start at 1): the record of a deleted tailnet
 * outlives it, and a TRUNCATE concerns every tailnet.
 */
#define EVENT_NO_NODE		0
#define EVENT_NO_TAILNET	0

/* The detail of an event: a JSON object built field by field, as jsonb. */
typedef struct EventDetail
{
	JsonbParseState *state;
} EventDetail;

/*
 * Events waiting to be written together, all by one actor: the sweep's
 * batches, and every event of a call that records several.
 */
typedef struct EventBatch
{
	const char *actor;
	int			count;
	int			capacity;
	Datum	   *tailnet_ids;
	bool	   *tailnet_nulls;
	Datum	   *actions;
	Datum	   *key_ids;
	bool	   *key_nulls;
	Datum	   *node_ids;
	bool	   *node_nulls;
	Datum	   *details;
} EventBatch;

extern void EventDefineSettings(void);

extern void EventDetailInit(EventDetail *detail);
extern void EventDetailText(EventDetail *detail, const char *field, const char *value);
extern void EventDetailBool(EventDetail *detail, const char *field, bool value);
extern void EventDetailInt64(EventDetail *detail, const char *field, int64 value);
extern void EventDetailTimestamp(EventDetail *detail, const char *field, TimestampTz value);
extern void EventDetailInterval(EventDetail *detail, const char *field, const Interval *value);
extern void EventDetailStrings(EventDetail *detail, const char *field,
							   const char *const *values, int count);
extern void EventDetailTextArray(EventDetail *detail, const char *field, ArrayType *values);
extern Jsonb *EventDetailFinish(EventDetail *detail);

extern void EventBatchInit(EventBatch *batch, const char *actor);
extern void EventBatchAdd(EventBatch *batch, int64 tailnet_id, const char *action,
						  const char *key_id, int64 node_id, EventDetail *detail);
extern void EventBatchWrite(EventBatch *batch);

extern void EventRecord(const char *actor, int64 tailnet_id, const char *action,
						const char *key_id, int64 node_id, EventDetail *detail);

#endif							/* EVENT_H */
