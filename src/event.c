/*-------------------------------------------------------------------------
 *
 * event.c
 *	  The audit trail: one row in auth_keys.events per change.
 *
 * An event names the actor (see ActorDescribe), the action, the key id
 * and node it concerns, and a JSON detail.  Key ids are selectors shown in
 * every key list, not secrets; no key or secret ever reaches this table.
 * Callers must be connected to SPI.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/event.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/timestamp.h"

#include "actor.h"
#include "event.h"
#include "query.h"

/*
 * EventRecord
 *		Append an event by "actor" (ActorDescribe, or CallerRoleDescribe for
 *		node-facing functions, which have no actor to look up).  tailnet_id
 *		may be EVENT_NO_TAILNET, key_id NULL, node_id EVENT_NO_NODE and
 *		detail_json NULL (an empty object) when they do not apply.
 */
void
EventRecord(const char *actor, int64 tailnet_id, const char *action,
			const char *key_id, int64 node_id, const char *detail_json)
{
	static SqlStatement insert = {
		"INSERT INTO auth_keys.events"
		"  (tailnet_id, actor, action, key_id, node_id, detail)"
		" VALUES ($1, $2, $3, $4, $5, pg_catalog.jsonb_in($6::pg_catalog.cstring))",
		6, {INT8OID, TEXTOID, TEXTOID, TEXTOID, INT8OID, TEXTOID}
	};
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};

	values[0] = Int64GetDatum(tailnet_id);
	if (tailnet_id == EVENT_NO_TAILNET)
		nulls[0] = 'n';
	values[1] = CStringGetTextDatum(actor);
	values[2] = CStringGetTextDatum(action);
	if (key_id != NULL)
		values[3] = CStringGetTextDatum(key_id);
	else
		nulls[3] = 'n';
	values[4] = Int64GetDatum(node_id);
	if (node_id == EVENT_NO_NODE)
		nulls[4] = 'n';
	values[5] = CStringGetTextDatum(detail_json ? detail_json : "{}");

	QueryRun(&insert, values, nulls, false);
}

/* Start a field of a JSON object being built in "json". */
static void
json_field(StringInfo json, const char *field)
{
	appendStringInfoChar(json, json->len == 0 ? '{' : ',');
	escape_json(json, field);
	appendStringInfoChar(json, ':');
}

/*
 * JsonAddText, JsonAddBool, JsonAddRaw
 *		Build a JSON object field by field; close it with '}'.  JsonAddRaw
 *		takes a value that is JSON already (a number, an array).
 */
void
JsonAddText(StringInfo json, const char *field, const char *value)
{
	json_field(json, field);
	if (value == NULL)
		appendStringInfoString(json, "null");
	else
		escape_json(json, value);
}

void
JsonAddBool(StringInfo json, const char *field, bool value)
{
	json_field(json, field);
	appendStringInfoString(json, value ? "true" : "false");
}

void
JsonAddRaw(StringInfo json, const char *field, const char *value)
{
	json_field(json, field);
	appendStringInfoString(json, value);
}

/*
 * JsonAddTimestamp, JsonAddInterval
 *		Times in ISO 8601, in UTC, whatever the session's TimeZone and
 *		IntervalStyle: the audit trail reads the same to everyone.  The
 *		infinite times, which a DBA may write into a row, are "infinity"
 *		and "-infinity", as timestamptz spells them.
 */
void
JsonAddTimestamp(StringInfo json, const char *field, TimestampTz value)
{
	struct pg_tm tm;
	fsec_t		fsec;
	char		buf[MAXDATELEN + 1];

	if (TIMESTAMP_NOT_FINITE(value))
	{
		JsonAddText(json, field, TIMESTAMP_IS_NOBEGIN(value) ? "-infinity" : "infinity");
		return;
	}
	if (timestamp2tm(value, NULL, &tm, &fsec, NULL, NULL) != 0)
		elog(ERROR, "timestamp out of range");
	tm.tm_isdst = 0;			/* UTC has no daylight saving; print "+00:00" */
	EncodeDateTime(&tm, fsec, true, 0, NULL, USE_XSD_DATES, buf);
	JsonAddText(json, field, buf);
}

void
JsonAddInterval(StringInfo json, const char *field, const Interval *value)
{
	struct pg_itm itm;
	char		buf[MAXDATELEN + 1];

	interval2itm(*value, &itm);
	EncodeInterval(&itm, INTSTYLE_ISO_8601, buf);
	JsonAddText(json, field, buf);
}

/* JsonFinish: close the object and return its text. */
const char *
JsonFinish(StringInfo json)
{
	if (json->len == 0)
		appendStringInfoChar(json, '{');
	appendStringInfoChar(json, '}');
	return json->data;
}
