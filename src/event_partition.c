/*-------------------------------------------------------------------------
 *
 * event_partition.c
 *	  The audit trail's retention: auth_keys.events by week, made ahead and
 *	  removed whole once past auth_keys.event_retention.
 *
 * auth_keys.events is partitioned by range of "at", one partition a week
 * (Monday to Monday, UTC), named events_YYYYMMDD after the Monday.  The
 * sweep makes the partitions of the next EVENT_WEEKS_AHEAD weeks ahead of
 * time, and removes a partition once all its events are older than the
 * retention: a TRUNCATE, then a DROP, whose cost does not depend on how
 * many events the table holds.  events_default, made with the extension,
 * takes what no week's partition does (events restored from a dump of 1.0,
 * rows a DBA backdates); the sweep deletes its expired rows in batches.
 *
 * A week's partition is made before the week begins, never while events
 * may be written into it: an INSERT into events that chose events_default
 * before the partition was attached, and waits for the lock below, would
 * then find its row outside events_default's new bounds and fail.  So the
 * current week is never made (a new database writes it into
 * events_default), and neither is a week that begins within
 * EVENT_PARTITION_MARGIN of the sweep's start; in steady state each week
 * is made a week before it begins.
 *
 * Locks.  A partition is made as a table of its own and then attached,
 * which takes SHARE UPDATE EXCLUSIVE on events (registrations and every
 * other writer of events go on) and ACCESS EXCLUSIVE on events_default;
 * rows of the new week already in the default partition are moved into
 * it first.  TRUNCATE locks the old partition alone.  DROP TABLE must take
 * ACCESS EXCLUSIVE on events, which waits for the transactions writing
 * events and makes new ones wait behind it: it waits no longer than
 * EVENT_PARTITION_LOCK_WAIT and is otherwise tried again by the next
 * sweep (the partition is empty by then).  The same bound applies to each
 * lock the sweep takes here, so no sweep holds up the audit trail's
 * writers for longer.
 *
 * The partitions are made while the database runs, not by the extension's
 * script, so they are not members of the extension: pg_dump dumps them
 * with their rows, and a restore makes and attaches them after CREATE
 * EXTENSION.  Each has row-level security enabled without a policy, and no
 * privileges granted: only through events, whose policy applies, does
 * anyone but its owner read it.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/event_partition.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "event.h"
#include "event_partition.h"
#include "query.h"
#include "schema.h"

/* auth_keys.event_retention, in minutes; 0 keeps events forever */
static int	event_retention_min = 365 * 24 * 60;

/* weeks made ahead of the current one */
#define EVENT_WEEKS_AHEAD		2

/* no week is made that begins sooner than this after the sweep's start */
#define EVENT_PARTITION_MARGIN	(USECS_PER_HOUR)

/* the longest a sweep waits for a lock on the audit trail's tables */
#define EVENT_PARTITION_LOCK_WAIT "200ms"

#define EVENT_PARTITION_PREFIX	"events_"
#define EVENT_DEFAULT_PARTITION "events_default"

/*
 * EventPartitionDefineSettings
 *		auth_keys.event_retention, from _PG_init.  One year by default: the
 *		audit history that common compliance regimes keep (PCI DSS asks for
 *		twelve months), and longer than any key stays in the keys table (90
 *		days valid at most, 90 more listed as recently invalid), so every
 *		key a DBA can still see has its whole history.
 */
void
EventPartitionDefineSettings(void)
{
	DefineCustomIntVariable("auth_keys.event_retention",
							"How long audit events are kept before a sweep removes them.",
							"Events are removed a week at a time, once the whole week is older than this. 0 keeps them forever.",
							&event_retention_min,
							365 * 24 * 60, 0, INT_MAX,
							PGC_SUSET,
							GUC_UNIT_MIN,
							NULL, NULL, NULL);
}

/* The Monday 00:00 UTC on or before "t". */
static TimestampTz
week_start(TimestampTz t)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			days_since_monday;
	TimestampTz day;

	if (timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0)
		elog(ERROR, "timestamp out of range");
	days_since_monday = (j2day(date2j(tm.tm_year, tm.tm_mon, tm.tm_mday)) + 6) % 7;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	if (tm2timestamp(&tm, 0, NULL, &day) != 0)
		elog(ERROR, "timestamp out of range");
	return day - (int64) days_since_monday * USECS_PER_DAY;
}

/* The name of the partition of the week that starts at "start". */
static char *
partition_name(TimestampTz start)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (timestamp2tm(start, NULL, &tm, &fsec, NULL, NULL) != 0)
		elog(ERROR, "timestamp out of range");
	return psprintf(EVENT_PARTITION_PREFIX "%04d%02d%02d", tm.tm_year, tm.tm_mon, tm.tm_mday);
}

/*
 * The week a partition name stands for, into *start; false for a name that
 * is not one of ours (a DBA's partition, the default one).
 */
static bool
partition_week(const char *name, TimestampTz *start)
{
	struct pg_tm tm = {0};
	size_t		prefix = strlen(EVENT_PARTITION_PREFIX);

	if (strncmp(name, EVENT_PARTITION_PREFIX, prefix) != 0 || strlen(name) != prefix + 8 ||
		strspn(name + prefix, "0123456789") != 8)
		return false;
	tm.tm_year = atoi(pnstrdup(name + prefix, 4));
	tm.tm_mon = atoi(pnstrdup(name + prefix + 4, 2));
	tm.tm_mday = atoi(pnstrdup(name + prefix + 6, 2));
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
		tm2timestamp(&tm, 0, NULL, start) != 0)
		return false;
	return week_start(*start) == *start;
}

/* A timestamp as a literal for DDL, in UTC whatever the session's TimeZone. */
static char *
timestamp_literal(TimestampTz t)
{
	struct pg_tm tm;
	fsec_t		fsec;
	char		buf[MAXDATELEN + 1];

	if (timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0)
		elog(ERROR, "timestamp out of range");
	tm.tm_isdst = 0;
	EncodeDateTime(&tm, fsec, true, 0, NULL, USE_ISO_DATES, buf);
	return quote_literal_cstr(buf);
}

/* The names of events' partitions, in SPI_tuptable; returns how many. */
static uint64
list_partitions(void)
{
	static SqlStatement list = {
		"SELECT c.relname::pg_catalog.text FROM pg_catalog.pg_inherits i"
		"  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) i.inhrelid"
		" WHERE i.inhparent OPERATOR(pg_catalog.=) $1"
		" ORDER BY 1",
		1, {OIDOID}
	};
	Datum		events = ObjectIdGetDatum(SchemaTableRequired("events"));

	/* not read-only: a new snapshot, which sees a partition just made */
	return QueryRun(&list, &events, NULL, false);
}

/*
 * Run "ddl" (utility statements, run as they are) in a subtransaction, with
 * lock_timeout set to EVENT_PARTITION_LOCK_WAIT.  Returns false when a lock
 * was not had in time; any other error is raised.
 */
static bool
run_ddl_waiting_briefly(const char *ddl)
{
	MemoryContext caller_context = CurrentMemoryContext;
	ResourceOwner caller_owner = CurrentResourceOwner;
	volatile bool ok = true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(caller_context);
	PG_TRY();
	{
		int			nest = NewGUCNestLevel();

		(void) set_config_option("lock_timeout", EVENT_PARTITION_LOCK_WAIT,
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
								 true, 0, false);
		if (SPI_execute(ddl, false, 0) < 0)
			elog(ERROR, "SPI_execute failed for \"%s\"", ddl);
		AtEOXact_GUC(true, nest);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller_context);
		CurrentResourceOwner = caller_owner;
	}
	PG_CATCH();
	{
		ErrorData  *error;

		MemoryContextSwitchTo(caller_context);
		error = CopyErrorData();
		if (error->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
			PG_RE_THROW();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller_context);
		CurrentResourceOwner = caller_owner;
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

/*
 * Make the partition of the week starting at "start", moving into it what
 * the default partition holds of that week, with its index of (tailnet_id,
 * at) for event_list (see the extension script on why each partition has
 * its own).  False if a lock was not had.
 */
static bool
make_partition(TimestampTz start)
{
	const char *name = quote_identifier(partition_name(start));
	char	   *from = timestamp_literal(start);
	char	   *to = timestamp_literal(start + 7 * USECS_PER_DAY);

	return run_ddl_waiting_briefly(psprintf(
		"LOCK TABLE " AUTH_KEYS_SCHEMA "." EVENT_DEFAULT_PARTITION " IN ACCESS EXCLUSIVE MODE;"
		" CREATE TABLE " AUTH_KEYS_SCHEMA ".%s"
		"   (LIKE " AUTH_KEYS_SCHEMA ".events INCLUDING DEFAULTS INCLUDING STORAGE);"
		" WITH moved AS ("
		"   DELETE FROM " AUTH_KEYS_SCHEMA "." EVENT_DEFAULT_PARTITION
		"    WHERE at OPERATOR(pg_catalog.>=) %s AND at OPERATOR(pg_catalog.<) %s"
		"   RETURNING *)"
		" INSERT INTO " AUTH_KEYS_SCHEMA ".%s SELECT * FROM moved;"
		" CREATE INDEX ON " AUTH_KEYS_SCHEMA ".%s (tailnet_id, at);"
		" ALTER TABLE " AUTH_KEYS_SCHEMA ".events ATTACH PARTITION " AUTH_KEYS_SCHEMA ".%s"
		"   FOR VALUES FROM (%s) TO (%s);"
		" ALTER TABLE " AUTH_KEYS_SCHEMA ".%s ENABLE ROW LEVEL SECURITY",
		name, from, to, name, name, name, from, to, name));
}

/* The cutoff of the retention: events before it are removed. */
static TimestampTz
retention_cutoff(void)
{
	int64		usecs = (int64) event_retention_min * USECS_PER_MINUTE;
	TimestampTz now = GetCurrentTransactionStartTimestamp();

	if (usecs > now - MIN_TIMESTAMP)
		return DT_NOBEGIN;
	return now - usecs;
}

/* The retention as an interval of days and time, for the events. */
static Interval
retention_interval(void)
{
	Interval	interval = {0};
	int64		usecs = (int64) event_retention_min * USECS_PER_MINUTE;

	interval.day = usecs / USECS_PER_DAY;
	interval.time = usecs % USECS_PER_DAY;
	return interval;
}

/*
 * Remove the partition "name" (of the week starting at "start"), past the
 * retention: its rows with a TRUNCATE (and an event that says so), then
 * the table.  Returns false when a lock was not had in time: a later sweep
 * goes on from there.
 */
static bool
remove_partition(const char *name, TimestampTz start, const char *actor)
{
	char	   *qualified = psprintf(AUTH_KEYS_SCHEMA ".%s", quote_identifier(name));
	Interval	retention = retention_interval();
	EventDetail detail;

	if (SPI_execute(psprintf("SELECT FROM %s LIMIT 1", qualified), true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read partition %s", qualified);
	if (SPI_processed > 0)
	{
		if (!run_ddl_waiting_briefly(psprintf("TRUNCATE %s", qualified)))
			return false;
		EventDetailInit(&detail);
		EventDetailText(&detail, "partition", name);
		EventDetailTimestamp(&detail, "before", start + 7 * USECS_PER_DAY);
		EventDetailInterval(&detail, "retention", &retention);
		EventRecord(actor, EVENT_NO_TAILNET, "events.removed", NULL, EVENT_NO_NODE, &detail);
	}
	return run_ddl_waiting_briefly(psprintf("DROP TABLE %s", qualified));
}

/*
 * Delete a batch of the default partition's events older than the cutoff;
 * returns how many.
 */
static uint64
delete_default_batch(TimestampTz cutoff, int batch_size, const char *actor)
{
	static SqlStatement delete = {
		"DELETE FROM " AUTH_KEYS_SCHEMA "." EVENT_DEFAULT_PARTITION
		" WHERE ctid OPERATOR(pg_catalog.=) ANY (ARRAY("
		"   SELECT ctid FROM " AUTH_KEYS_SCHEMA "." EVENT_DEFAULT_PARTITION
		"    WHERE at OPERATOR(pg_catalog.<) $1 LIMIT $2))",
		2, {TIMESTAMPTZOID, INT4OID}
	};
	Datum		values[2];
	uint64		deleted;
	Interval	retention = retention_interval();
	EventDetail detail;

	values[0] = TimestampTzGetDatum(cutoff);
	values[1] = Int32GetDatum(batch_size);
	deleted = QueryRun(&delete, values, NULL, false);
	if (deleted > 0)
	{
		EventDetailInit(&detail);
		EventDetailText(&detail, "partition", EVENT_DEFAULT_PARTITION);
		EventDetailTimestamp(&detail, "before", cutoff);
		EventDetailInterval(&detail, "retention", &retention);
		EventDetailInt64(&detail, "events", (int64) deleted);
		EventRecord(actor, EVENT_NO_TAILNET, "events.removed", NULL, EVENT_NO_NODE, &detail);
	}
	return deleted;
}

/*
 * One step on the weeks' partitions: make the next missing week of the
 * next EVENT_WEEKS_AHEAD (see the file header), else remove the oldest
 * partition past the
 * retention.  Returns false when there was neither to do; otherwise sets
 * *more, whether a later step may find more (false when a lock was not
 * had: the next sweep tries again).
 */
static bool
partitions_step(const char *actor, int64 *partitions, bool *more)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	TimestampTz this_week = week_start(now);
	TimestampTz cutoff = retention_cutoff();
	uint64		count = list_partitions();
	char	  **names = palloc(sizeof(char *) * Max(count, 1));

	for (uint64 i = 0; i < count; i++)
		names[i] = QueryGetText(i, 1);

	for (int week = 1; week <= EVENT_WEEKS_AHEAD; week++)
	{
		TimestampTz start = this_week + (int64) week * 7 * USECS_PER_DAY;
		char	   *name;
		bool		exists = false;

		if (start - now < EVENT_PARTITION_MARGIN)
			continue;
		name = partition_name(start);

		for (uint64 i = 0; i < count && !exists; i++)
			exists = strcmp(names[i], name) == 0;
		if (!exists)
		{
			*more = make_partition(start);
			return true;
		}
	}

	if (event_retention_min == 0)
		return false;
	for (uint64 i = 0; i < count; i++)
	{
		TimestampTz start;

		/* in name order, so oldest first */
		if (partition_week(names[i], &start) && start + 7 * USECS_PER_DAY <= cutoff)
		{
			*more = remove_partition(names[i], start, actor);
			if (*more)
				(*partitions)++;
			return true;
		}
	}
	return false;
}

/*
 * EventPartitionsStep
 *		One step of the audit trail's upkeep: a step on the weeks'
 *		partitions (partitions_step) if there is one to do, else delete a
 *		batch of the default partition's expired events.  Adds to
 *		*partitions the partitions removed and to *deleted the rows deleted
 *		from the default one.  Returns whether there may be more to do.  A
 *		database whose events are not partitioned (version 1.0) keeps its
 *		events.
 *
 * Without "ddl" (a sweep in its caller's transaction) no partition is made
 * or removed: the locks that takes on events and events_default would be
 * held, and every writer of the audit trail kept waiting, until the caller
 * commits.  Only the default partition's expired events are deleted then.
 */
bool
EventPartitionsStep(int batch_size, const char *actor, bool ddl,
					int64 *partitions, int64 *deleted)
{
	bool		more;
	uint64		removed;

	if (get_rel_relkind(SchemaTableRequired("events")) != RELKIND_PARTITIONED_TABLE)
		return false;
	if (ddl && partitions_step(actor, partitions, &more))
		return more;
	if (event_retention_min == 0)
		return false;
	removed = delete_default_batch(retention_cutoff(), batch_size, actor);
	*deleted += removed;
	return removed == (uint64) batch_size;
}
