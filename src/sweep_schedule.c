/*-------------------------------------------------------------------------
 *
 * sweep_schedule.c
 *	  auth_keys.schedule_sweep and auth_keys.unschedule_sweep: the sweep as
 *	  a named pg_cron job.
 *
 * pg_cron keeps its jobs in one database, cron.database_name, and its
 * cron.schedule runs a job in the database it is called from.  So these
 * functions work where auth_keys shares that database; elsewhere they say
 * how to schedule the sweep from the cron database with
 * cron.schedule_in_database, under a job name of its own for each
 * database (a job of the same name and owner would be replaced).  Without pg_cron they fail with a hint on
 * setting it up, rather than with "schema cron does not exist".
 *
 * The job has a fixed name, so scheduling again replaces the schedule
 * (cron.schedule updates a job of the same name and owner) and
 * unscheduling needs no job id.  The functions are SECURITY DEFINER, so the
 * job belongs to the extension's owner whoever scheduled it: the sweep
 * then runs with the rights it needs.  Its command also trims the job's
 * own run history in cron.job_run_details, which pg_cron never trims.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/sweep_schedule.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/varlena.h"

#include "arguments.h"
#include "query.h"
#include "writable.h"

PG_FUNCTION_INFO_V1(auth_keys_schedule_sweep);
PG_FUNCTION_INFO_V1(auth_keys_unschedule_sweep);

#define SWEEP_JOB_NAME "auth_keys.sweep"

/* How long the job's run history is kept in cron.job_run_details. */
#define SWEEP_JOB_HISTORY "7 days"

/*
 * Operators qualified, since the job runs with the job owner's search_path;
 * OPERATOR() binds like any other operator, hence the parentheses.
 */
#define SWEEP_JOB_COMMAND \
	"SELECT auth_keys.sweep();" \
	" DELETE FROM cron.job_run_details d USING cron.job j" \
	" WHERE j.jobname OPERATOR(pg_catalog.=) '" SWEEP_JOB_NAME "'::pg_catalog.name" \
	" AND d.jobid OPERATOR(pg_catalog.=) j.jobid" \
	" AND d.end_time OPERATOR(pg_catalog.<)" \
	" (pg_catalog.now() OPERATOR(pg_catalog.-) '" SWEEP_JOB_HISTORY "'::pg_catalog.interval)"

/* Whether shared_preload_libraries names pg_cron, with or without a path. */
static bool
pg_cron_preloaded(void)
{
	char	   *libraries = pstrdup(GetConfigOption("shared_preload_libraries",
													false, false));
	List	   *names;
	ListCell   *lc;

	if (!SplitDirectoriesString(libraries, ',', &names))
		return false;
	foreach(lc, names)
	{
		const char *name = lfirst(lc);
		const char *base = strrchr(name, '/');

		base = base ? base + 1 : name;
		if (strcmp(base, "pg_cron") == 0 || strcmp(base, "pg_cron.so") == 0)
			return true;
	}
	return false;
}

/*
 * What to run in the cron database instead, for database "here": schedule
 * the sweep there with cron.schedule_in_database, or, with no schedule,
 * unschedule it.
 */
static char *
cron_database_advice(const char *schedule, const char *here)
{
	char	   *job = quote_literal_cstr(psprintf("%s.%s", SWEEP_JOB_NAME, here));

	if (schedule == NULL)
		return psprintf("SELECT cron.unschedule(%s);", job);
	return psprintf("SELECT cron.schedule_in_database(%s, %s, 'SELECT auth_keys.sweep()', %s);",
					job, quote_literal_cstr(schedule), quote_literal_cstr(here));
}

/*
 * Error unless pg_cron can run jobs in this database, with a hint on what
 * is missing.  "schedule" is the caller's schedule (NULL to unschedule),
 * for the hint on scheduling the sweep from another database.
 */
static void
require_pg_cron(const char *schedule)
{
	const char *here = get_database_name(MyDatabaseId);
	const char *cron_database;

	if (!pg_cron_preloaded())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_cron is not loaded"),
				 errhint("Add pg_cron to shared_preload_libraries and set cron.database_name = '%s' in postgresql.conf, restart the server, then run CREATE EXTENSION pg_cron in database \"%s\".",
						 here, here)));

	cron_database = GetConfigOption("cron.database_name", true, false);
	if (cron_database != NULL && strcmp(cron_database, here) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_cron runs jobs from database \"%s\", not from \"%s\"",
						cron_database, here),
				 errhint("Set cron.database_name = '%s', or in database \"%s\" run: %s",
						 here, cron_database,
						 cron_database_advice(schedule, here))));

	if (!OidIsValid(get_extension_oid("pg_cron", true)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"pg_cron\" is not installed in database \"%s\"",
						here),
				 errhint("Run CREATE EXTENSION pg_cron.")));
}

/*
 * auth_keys.schedule_sweep(schedule text DEFAULT '* * * * *')
 *		RETURNS bigint
 *		Schedule the sweep as pg_cron job "auth_keys.sweep", or change the
 *		schedule of that job; return its job id.  Operator tier.
 */
Datum
auth_keys_schedule_sweep(PG_FUNCTION_ARGS)
{
	static SqlStatement schedule = {
		"SELECT cron.schedule($1, $2, $3)",
		3, {TEXTOID, TEXTOID, TEXTOID}
	};
	Datum		values[3];
	int64		job_id;

	RequireWritable(fcinfo);
	RequireArgument(fcinfo, 0);
	require_pg_cron(text_to_cstring(PG_GETARG_TEXT_PP(0)));

	values[0] = CStringGetTextDatum(SWEEP_JOB_NAME);
	values[1] = PG_GETARG_DATUM(0);
	values[2] = CStringGetTextDatum(SWEEP_JOB_COMMAND);
	SPI_connect();
	QueryRun(&schedule, values, NULL, false);
	job_id = DatumGetInt64(QueryGetNotNull(0, 1));
	SPI_finish();

	PG_RETURN_INT64(job_id);
}

/*
 * auth_keys.unschedule_sweep() RETURNS boolean
 *		Remove the pg_cron job of the sweep; false if there was none.
 *		Operator tier.
 */
Datum
auth_keys_unschedule_sweep(PG_FUNCTION_ARGS)
{
	static SqlStatement unschedule = {
		"SELECT cron.unschedule(jobid) FROM cron.job"
		" WHERE jobname OPERATOR(pg_catalog.=) $1"
		"   AND username OPERATOR(pg_catalog.=) CURRENT_USER",
		1, {TEXTOID}
	};
	Datum		job_name;
	bool		removed;

	RequireWritable(fcinfo);
	require_pg_cron(NULL);

	job_name = CStringGetTextDatum(SWEEP_JOB_NAME);
	SPI_connect();
	removed = QueryRun(&unschedule, &job_name, NULL, false) > 0;
	SPI_finish();

	PG_RETURN_BOOL(removed);
}
