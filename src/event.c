/*-------------------------------------------------------------------------
 *
 * event.c
 *	  The audit trail: the one writer of auth_keys.events.
 *
 * An event names the actor (see ActorDescribe), the action, the key id
 * and node it concerns, and a detail: a JSON object built here as jsonb,
 * field by field, never as text to be parsed again.  Key ids are
 * selectors shown in every key list, not secrets; no key or secret ever
 * reaches this table.
 *
 * Every event is written by EventBatchWrite, with one statement for all
 * the events of a batch (a sweep's batch of purged keys, the keys revoked
 * with a member) or for the one event of a call (EventRecord).  So there
 * is one place that knows the table, and one that sends notifications:
 * with auth_keys.notify on, each event is also sent with NOTIFY on channel
 * auth_keys_events, as {event_id, tailnet_id, action, key_id, node_id}.
 * PostgreSQL delivers a notification when, and only when, the transaction
 * that sent it commits, so listeners hear of committed events only.
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
#include "commands/async.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "event.h"
#include "query.h"

/* the channel of auth_keys.notify */
#define EVENT_CHANNEL "auth_keys_events"

/* auth_keys.notify: whether each event is also sent with NOTIFY */
static bool event_notify = false;

/*
 * EventDefineSettings
 *		auth_keys.notify, from _PG_init.  Off by default: NOTIFY serializes
 *		the commits of the transactions that send one (PostgreSQL takes one
 *		lock for the queue of the whole cluster at commit), which halves
 *		registrations under load with durable commits; see the README.
 */
void
EventDefineSettings(void)
{
	DefineCustomBoolVariable("auth_keys.notify",
							 "Sends each audit event with NOTIFY on channel auth_keys_events.",
							 "The payload is the event's id, tailnet id, action, key id and node id as JSON; it is delivered when the transaction commits.",
							 &event_notify,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
}

/* EventDetailInit: start an empty object. */
void
EventDetailInit(EventDetail *detail)
{
	detail->state = NULL;
	(void) pushJsonbValue(&detail->state, WJB_BEGIN_OBJECT, NULL);
}

/* A string, copied: the builder keeps a pointer to it until it finishes. */
static void
push_string(JsonbParseState **state, JsonbIteratorToken token, const char *value)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.len = strlen(value);
	v.val.string.val = pnstrdup(value, v.val.string.len);
	(void) pushJsonbValue(state, token, &v);
}

static void
push_key(EventDetail *detail, const char *field)
{
	push_string(&detail->state, WJB_KEY, field);
}

/*
 * EventDetailText, EventDetailBool, EventDetailInt64
 *		A field with a string (NULL: JSON null), a boolean or a number.
 */
void
EventDetailText(EventDetail *detail, const char *field, const char *value)
{
	JsonbValue	v;

	push_key(detail, field);
	if (value != NULL)
	{
		push_string(&detail->state, WJB_VALUE, value);
		return;
	}
	v.type = jbvNull;
	(void) pushJsonbValue(&detail->state, WJB_VALUE, &v);
}

void
EventDetailBool(EventDetail *detail, const char *field, bool value)
{
	JsonbValue	v;

	push_key(detail, field);
	v.type = jbvBool;
	v.val.boolean = value;
	(void) pushJsonbValue(&detail->state, WJB_VALUE, &v);
}

void
EventDetailInt64(EventDetail *detail, const char *field, int64 value)
{
	JsonbValue	v;

	push_key(detail, field);
	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(value);
	(void) pushJsonbValue(&detail->state, WJB_VALUE, &v);
}

/*
 * EventDetailTimestamp, EventDetailInterval
 *		Times in ISO 8601, in UTC, whatever the session's TimeZone and
 *		IntervalStyle: the audit trail reads the same to everyone.  The
 *		infinite times, which a DBA may write into a row, are "infinity"
 *		and "-infinity", as timestamptz spells them.
 */
void
EventDetailTimestamp(EventDetail *detail, const char *field, TimestampTz value)
{
	struct pg_tm tm;
	fsec_t		fsec;
	char		buf[MAXDATELEN + 1];

	if (TIMESTAMP_NOT_FINITE(value))
	{
		EventDetailText(detail, field, TIMESTAMP_IS_NOBEGIN(value) ? "-infinity" : "infinity");
		return;
	}
	if (timestamp2tm(value, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	tm.tm_isdst = 0;			/* UTC has no daylight saving; print "+00:00" */
	EncodeDateTime(&tm, fsec, true, 0, NULL, USE_XSD_DATES, buf);
	EventDetailText(detail, field, buf);
}

void
EventDetailInterval(EventDetail *detail, const char *field, const Interval *value)
{
	struct pg_itm itm;
	char		buf[MAXDATELEN + 1];

	interval2itm(*value, &itm);
	EncodeInterval(&itm, INTSTYLE_ISO_8601, buf);
	EventDetailText(detail, field, buf);
}

/* EventDetailStrings: a field with an array of strings. */
void
EventDetailStrings(EventDetail *detail, const char *field,
				   const char *const *values, int count)
{
	push_key(detail, field);
	(void) pushJsonbValue(&detail->state, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < count; i++)
		push_string(&detail->state, WJB_ELEM, values[i]);
	(void) pushJsonbValue(&detail->state, WJB_END_ARRAY, NULL);
}

/*
 * EventDetailTextArray: a field with the elements of a text[] (tags,
 * scopes), whose NULLs, if any, are JSON nulls.
 */
void
EventDetailTextArray(EventDetail *detail, const char *field, ArrayType *values)
{
	Datum	   *elems;
	bool	   *nulls;
	int			count;
	JsonbValue	null = {.type = jbvNull};

	deconstruct_array(values, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &count);
	push_key(detail, field);
	(void) pushJsonbValue(&detail->state, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < count; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (nulls[i])
			(void) pushJsonbValue(&detail->state, WJB_ELEM, &null);
		else
			push_string(&detail->state, WJB_ELEM, TextDatumGetCString(elems[i]));
	}
	(void) pushJsonbValue(&detail->state, WJB_END_ARRAY, NULL);
}

/* EventDetailFinish: close the object; the detail is then done with. */
Jsonb *
EventDetailFinish(EventDetail *detail)
{
	JsonbValue *object = pushJsonbValue(&detail->state, WJB_END_OBJECT, NULL);

	return JsonbValueToJsonb(object);
}

/* EventBatchInit: an empty batch of events by "actor". */
void
EventBatchInit(EventBatch *batch, const char *actor)
{
	memset(batch, 0, sizeof(*batch));
	batch->actor = actor;
}

/*
 * EventBatchAdd
 *		One more event.  tailnet_id may be EVENT_NO_TAILNET, key_id NULL,
 *		node_id EVENT_NO_NODE and detail NULL (an empty object) when they do
 *		not apply.  The detail is finished here.
 */
void
EventBatchAdd(EventBatch *batch, int64 tailnet_id, const char *action,
			  const char *key_id, int64 node_id, EventDetail *detail)
{
	int			i = batch->count;
	EventDetail empty;

	if (i == batch->capacity)
	{
		int			capacity = Max(batch->capacity * 2, 8);

#define GROW(field, type) \
		batch->field = batch->field ? repalloc(batch->field, sizeof(type) * capacity) : \
			palloc(sizeof(type) * capacity)
		GROW(tailnet_ids, Datum);
		GROW(tailnet_nulls, bool);
		GROW(actions, Datum);
		GROW(key_ids, Datum);
		GROW(key_nulls, bool);
		GROW(node_ids, Datum);
		GROW(node_nulls, bool);
		GROW(details, Datum);
#undef GROW
		batch->capacity = capacity;
	}
	if (detail == NULL)
	{
		EventDetailInit(&empty);
		detail = &empty;
	}
	batch->tailnet_ids[i] = Int64GetDatum(tailnet_id);
	batch->tailnet_nulls[i] = tailnet_id == EVENT_NO_TAILNET;
	batch->actions[i] = CStringGetTextDatum(action);
	batch->key_ids[i] = key_id ? CStringGetTextDatum(key_id) : (Datum) 0;
	batch->key_nulls[i] = key_id == NULL;
	batch->node_ids[i] = Int64GetDatum(node_id);
	batch->node_nulls[i] = node_id == EVENT_NO_NODE;
	batch->details[i] = JsonbPGetDatum(EventDetailFinish(detail));
	batch->count++;
}

/* A one-dimensional array of "count" values, NULLs where nulls[i]. */
static Datum
array_of(Datum *values, bool *nulls, int count, Oid type)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			dims[1] = {count};
	int			lbs[1] = {1};

	switch (type)
	{
		case INT8OID:
			typlen = sizeof(int64);
			typbyval = FLOAT8PASSBYVAL;
			typalign = TYPALIGN_DOUBLE;
			break;
		case TEXTOID:
		case JSONBOID:
			typlen = -1;
			typbyval = false;
			typalign = TYPALIGN_INT;
			break;
		default:
			elog(ERROR, "unexpected type %u of an event column", type);
	}
	return PointerGetDatum(construct_md_array(values, nulls, 1, dims, lbs, type,
											  typlen, typbyval, typalign));
}

/*
 * The notification of an event (see the file header) from a row that the
 * INSERT returned: event_id, tailnet_id, action, key_id, node_id.
 */
static void
notify_event(uint64 row)
{
	EventDetail payload;
	bool		isnull;
	Datum		value;

	EventDetailInit(&payload);
	EventDetailInt64(&payload, "event_id", DatumGetInt64(QueryGetNotNull(row, 1)));
	value = QueryGet(row, 2, &isnull);
	if (isnull)
		EventDetailText(&payload, "tailnet_id", NULL);
	else
		EventDetailInt64(&payload, "tailnet_id", DatumGetInt64(value));
	EventDetailText(&payload, "action", QueryGetText(row, 3));
	EventDetailText(&payload, "key_id", QueryGetText(row, 4));
	value = QueryGet(row, 5, &isnull);
	if (isnull)
		EventDetailText(&payload, "node_id", NULL);
	else
		EventDetailInt64(&payload, "node_id", DatumGetInt64(value));
	Async_Notify(EVENT_CHANNEL,
				 JsonbToCString(NULL, &EventDetailFinish(&payload)->root, 0));
}

/*
 * The one event of a batch, with a plain VALUES list: a registration
 * records one event, and building six one-element arrays and unnesting
 * them costs it more than the row itself (see the benchmark's README).
 */
static uint64
write_one(EventBatch *batch)
{
	static SqlStatement insert = {
		"INSERT INTO auth_keys.events (tailnet_id, actor, action, key_id, node_id, detail)"
		" VALUES ($1, $2, $3, $4, $5, $6)"
		" RETURNING event_id, tailnet_id, action, key_id, node_id",
		6, {INT8OID, TEXTOID, TEXTOID, TEXTOID, INT8OID, JSONBOID}
	};
	Datum		values[6];
	char		nulls[6];

	memset(nulls, ' ', sizeof(nulls));
	values[0] = batch->tailnet_ids[0];
	nulls[0] = batch->tailnet_nulls[0] ? 'n' : ' ';
	values[1] = CStringGetTextDatum(batch->actor);
	values[2] = batch->actions[0];
	values[3] = batch->key_ids[0];
	nulls[3] = batch->key_nulls[0] ? 'n' : ' ';
	values[4] = batch->node_ids[0];
	nulls[4] = batch->node_nulls[0] ? 'n' : ' ';
	values[5] = batch->details[0];
	return QueryRun(&insert, values, nulls, false);
}

/*
 * EventBatchWrite
 *		Write the batch's events with one statement, and empty the batch.
 *		The statement's one scan returns the arrays' elements in order, so
 *		event ids follow the order in which the events were added.
 */
void
EventBatchWrite(EventBatch *batch)
{
	static SqlStatement insert = {
		"INSERT INTO auth_keys.events (tailnet_id, actor, action, key_id, node_id, detail)"
		" SELECT e.tailnet_id, $1, e.action, e.key_id, e.node_id, e.detail"
		"   FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3),"
		"                   pg_catalog.unnest($4), pg_catalog.unnest($5),"
		"                   pg_catalog.unnest($6))"
		"        AS e (tailnet_id, action, key_id, node_id, detail)"
		" RETURNING event_id, tailnet_id, action, key_id, node_id",
		6, {TEXTOID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, INT8ARRAYOID, JSONBARRAYOID}
	};
	Datum		values[6];
	uint64		written;

	if (batch->count == 0)
		return;
	if (batch->count == 1)
		written = write_one(batch);
	else
	{
		values[0] = CStringGetTextDatum(batch->actor);
		values[1] = array_of(batch->tailnet_ids, batch->tailnet_nulls, batch->count, INT8OID);
		values[2] = array_of(batch->actions, NULL, batch->count, TEXTOID);
		values[3] = array_of(batch->key_ids, batch->key_nulls, batch->count, TEXTOID);
		values[4] = array_of(batch->node_ids, batch->node_nulls, batch->count, INT8OID);
		values[5] = array_of(batch->details, NULL, batch->count, JSONBOID);
		written = QueryRun(&insert, values, NULL, false);
	}
	if (event_notify)
		for (uint64 i = 0; i < written; i++)
		{
			CHECK_FOR_INTERRUPTS();
			notify_event(i);
		}
	batch->count = 0;
}

/*
 * EventRecord
 *		Write one event by "actor" (ActorDescribe, or CallerRoleDescribe for
 *		node-facing functions, which have no actor to look up); the
 *		arguments as for EventBatchAdd.
 */
void
EventRecord(const char *actor, int64 tailnet_id, const char *action,
			const char *key_id, int64 node_id, EventDetail *detail)
{
	EventBatch	batch;

	EventBatchInit(&batch, actor);
	EventBatchAdd(&batch, tailnet_id, action, key_id, node_id, detail);
	EventBatchWrite(&batch);
}
