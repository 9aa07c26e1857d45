/*-------------------------------------------------------------------------
 *
 * event.h
 *	  The audit trail.
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
#include "lib/stringinfo.h"

/*
 * No node; no tailnet (ids start at 1): the record of a deleted tailnet
 * outlives it, and a TRUNCATE concerns every tailnet.
 */
#define EVENT_NO_NODE		0
#define EVENT_NO_TAILNET	0

extern void EventRecord(const char *actor, int64 tailnet_id,
						const char *action, const char *key_id,
						int64 node_id, const char *detail_json);
extern void JsonAddText(StringInfo json, const char *field, const char *value);
extern void JsonAddBool(StringInfo json, const char *field, bool value);
extern void JsonAddRaw(StringInfo json, const char *field, const char *value);
extern void JsonAddTimestamp(StringInfo json, const char *field, TimestampTz value);
extern void JsonAddInterval(StringInfo json, const char *field, const Interval *value);
extern const char *JsonFinish(StringInfo json);

#endif							/* EVENT_H */
