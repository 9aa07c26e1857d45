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
 * then runs with the rights it needs.
 *
 * How the job reaches the database.  With cron.use_background_workers on,
 * pg_cron runs it in a background worker and needs no connection.  Without,
 * pg_cron connects with libpq to the job's nodename and nodeport, which
 * cron.schedule takes from cron.host ("localhost" by default) when the job
 * is made and never changes afterwards; on a server whose pg_hba.conf asks
 * for a password over TCP (Debian's asks for one on localhost), every run
 * then fails with "connection failed".  So schedule_sweep reads pg_hba.conf
 * (pg_hba_file_rules): when a Unix socket line lets the job's role in with
 * trust or peer authentication, the job connects through that socket;
 * otherwise it keeps cron.host and schedule_sweep warns.  A NOTICE says
 * which, and every call sets the job's connection afresh, so scheduling
 * again brings an existing job up to date.
 *
 * The job's command sweeps when auth_keys is installed and does nothing
 * otherwise (after a plain DROP EXTENSION the job then fails nowhere;
 * auth_keys.uninstall() removes it), then trims the job's own run history
 * in cron.job_run_details, which pg_cron never trims: failed runs too,
 * which have no end_time (see SWEEP_JOB_TRIM).  pg_cron records only the
 * last statement's tag as a run's message, so what each sweep did is kept
 * in auth_keys.sweep_log, and sweep_job_runs shows the job's runs with it.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/sweep_schedule.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <pwd.h>
#include <unistd.h>

#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "postmaster/postmaster.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/varlena.h"

#include "arguments.h"
#include "query.h"
#include "writable.h"

PG_FUNCTION_INFO_V1(auth_keys_schedule_sweep);
PG_FUNCTION_INFO_V1(auth_keys_unschedule_sweep);
PG_FUNCTION_INFO_V1(auth_keys_sweep_job_runs);

#define SWEEP_JOB_NAME "auth_keys.sweep"

/* How long the job's run history is kept in cron.job_run_details. */
#define SWEEP_JOB_HISTORY "7 days"

/*
 * The sweep, when auth_keys is installed (the job may outlive the
 * extension): auth_keys.sweep_in_steps, which commits after each batch.  A
 * procedure may commit only when called from the top level, so the job's
 * command is one DO block (pg_cron runs a command of several statements
 * in one transaction).  PL/pgSQL plans the CALL only when it runs it.
 * Operators qualified, since the job runs with the job owner's
 * search_path.
 */
#define SWEEP_IF_INSTALLED \
	" IF EXISTS (SELECT FROM pg_catalog.pg_extension" \
	" WHERE extname OPERATOR(pg_catalog.=) 'auth_keys')" \
	" THEN CALL auth_keys.sweep_in_steps(); END IF;"

#define SWEEP_CALL "DO $sweep$ BEGIN" SWEEP_IF_INSTALLED " END $sweep$"

/*
 * The trim of the job's run history.  A run that never connected has no
 * start_time or end_time, so its age is read from run ids, which pg_cron
 * hands out in order for all jobs: every run with an id up to that of the
 * latest run (of any job) that started before the cut-off is older than
 * it.  The search for that run walks back from the newest ids, through
 * SWEEP_JOB_HISTORY's worth of runs at most.  OPERATOR() binds like any
 * other operator, hence the parentheses.
 */
#define SWEEP_JOB_TRIM \
	" DELETE FROM cron.job_run_details d USING cron.job j" \
	" WHERE j.jobname OPERATOR(pg_catalog.=) '" SWEEP_JOB_NAME "'::pg_catalog.name" \
	" AND j.username OPERATOR(pg_catalog.=) CURRENT_USER" \
	" AND d.jobid OPERATOR(pg_catalog.=) j.jobid" \
	" AND d.runid OPERATOR(pg_catalog.<=) (SELECT o.runid FROM cron.job_run_details o" \
	" WHERE COALESCE(o.start_time, o.end_time) OPERATOR(pg_catalog.<)" \
	" (pg_catalog.now() OPERATOR(pg_catalog.-) '" SWEEP_JOB_HISTORY "'::pg_catalog.interval)" \
	" ORDER BY o.runid DESC LIMIT 1);"

/* The sweep, then the trim, in the one block. */
#define SWEEP_JOB_COMMAND "DO $sweep$ BEGIN" SWEEP_IF_INSTALLED SWEEP_JOB_TRIM " END $sweep$"

/* How a job reaches the database, as schedule_sweep decided. */
typedef struct JobConnection
{
	const char *host;			/* nodename: a host, or a socket directory */
	int			port;			/* nodeport */
} JobConnection;

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
	return psprintf("SELECT cron.schedule_in_database(%s, %s, %s, %s);",
					job, quote_literal_cstr(schedule), quote_literal_cstr(SWEEP_CALL),
					quote_literal_cstr(here));
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

/* Whether a boolean setting (of pg_cron) is on. */
static bool
setting_is_on(const char *name)
{
	const char *value = GetConfigOption(name, true, false);
	bool		on;

	return value != NULL && parse_bool(value, &on) && on;
}

/* The first directory of unix_socket_directories, or NULL when none. */
static char *
first_socket_directory(void)
{
	char	   *directories = pstrdup(GetConfigOption("unix_socket_directories",
													  false, false));
	List	   *list;

	if (!SplitDirectoriesString(directories, ',', &list) || list == NIL)
		return NULL;
	return pstrdup(linitial(list));
}

/*
 * Decide how the job connects, and say so.  "role" is the job's owner.
 * Caller is connected to SPI.
 */
static JobConnection
choose_connection(const char *role)
{
	/*
	 * The first line of pg_hba.conf that a Unix socket connection of "role"
	 * to database $1 meets, as the server matches lines (all, the name,
	 * sameuser, samerole or samegroup for databases; all, the name or
	 * +group for roles).
	 */
	static SqlStatement socket_rule = {
		"SELECT r.line_number, r.auth_method, r.options IS NOT NULL"
		"  FROM pg_catalog.pg_hba_file_rules r"
		" WHERE r.type OPERATOR(pg_catalog.=) 'local' AND r.error IS NULL"
		"   AND ('all' OPERATOR(pg_catalog.=) ANY (r.database)"
		"        OR $1 OPERATOR(pg_catalog.=) ANY (r.database)"
		"        OR ('sameuser' OPERATOR(pg_catalog.=) ANY (r.database)"
		"            AND $1 OPERATOR(pg_catalog.=) $2)"
		"        OR (('samerole' OPERATOR(pg_catalog.=) ANY (r.database)"
		"             OR 'samegroup' OPERATOR(pg_catalog.=) ANY (r.database))"
		"            AND EXISTS (SELECT FROM pg_catalog.pg_roles g"
		"                         WHERE g.rolname OPERATOR(pg_catalog.=) $1"
		"                           AND pg_catalog.pg_has_role($2, g.oid, 'MEMBER'))))"
		"   AND ('all' OPERATOR(pg_catalog.=) ANY (r.user_name)"
		"        OR $2 OPERATOR(pg_catalog.=) ANY (r.user_name)"
		"        OR EXISTS (SELECT FROM pg_catalog.unnest(r.user_name) u,"
		"                               pg_catalog.pg_roles g"
		"                    WHERE u OPERATOR(pg_catalog.=)"
		"                          ('+' OPERATOR(pg_catalog.||) g.rolname)"
		"                      AND pg_catalog.pg_has_role($2, g.oid, 'MEMBER')))"
		" ORDER BY r.line_number LIMIT 1",
		2, {TEXTOID, TEXTOID}
	};
	const char *database = get_database_name(MyDatabaseId);
	char	   *socket = first_socket_directory();
	struct passwd *os_user = getpwuid(geteuid());
	JobConnection connection;
	Datum		values[2];
	int			line = 0;
	char	   *method = NULL;
	bool		mapped = false;

	connection.host = GetConfigOption("cron.host", true, false);
	if (connection.host == NULL)
		connection.host = "localhost";
	connection.port = PostPortNumber;

	if (setting_is_on("cron.use_background_workers"))
	{
		ereport(NOTICE,
				(errmsg("the sweep job runs in a pg_cron background worker"),
				 errdetail("cron.use_background_workers is on, so the job needs no connection and no password.")));
		return connection;
	}

	if (socket == NULL)
	{
		ereport(WARNING,
				(errmsg("the sweep job connects to host \"%s\" port %d and may need a password",
						connection.host, connection.port),
				 errdetail("The server has no Unix socket (unix_socket_directories is empty), so pg_cron connects over TCP as cron.host says."),
				 errhint("Set cron.use_background_workers = on and restart the server, or make sure pg_hba.conf lets role \"%s\" connect from there without a password; then run auth_keys.schedule_sweep() again.",
						 role)));
		return connection;
	}

	values[0] = CStringGetTextDatum(database);
	values[1] = CStringGetTextDatum(role);
	if (QueryRun(&socket_rule, values, NULL, true) == 1)
	{
		line = DatumGetInt32(QueryGetNotNull(0, 1));
		method = QueryGetText(0, 2);
		mapped = DatumGetBool(QueryGetNotNull(0, 3));
	}

	if (method != NULL &&
		(strcmp(method, "trust") == 0 ||
		 (strcmp(method, "peer") == 0 && !mapped && os_user != NULL &&
		  strcmp(os_user->pw_name, role) == 0)))
	{
		connection.host = socket;
		ereport(NOTICE,
				(errmsg("the sweep job connects through the Unix socket in \"%s\"", socket),
				 errdetail("Line %d of pg_hba.conf lets role \"%s\" connect to database \"%s\" there with %s authentication, which needs no password.",
						   line, role, database, method)));
		return connection;
	}

	if (method == NULL)
		ereport(WARNING,
				(errmsg("the sweep job connects to host \"%s\" port %d and may need a password",
						connection.host, connection.port),
				 errdetail("No line of pg_hba.conf lets role \"%s\" connect to database \"%s\" through the Unix socket.",
						   role, database),
				 errhint("Set cron.use_background_workers = on and restart the server, or let role \"%s\" in through the Unix socket with peer or trust authentication in pg_hba.conf; then run auth_keys.schedule_sweep() again.",
						 role)));
	else
		ereport(WARNING,
				(errmsg("the sweep job connects to host \"%s\" port %d and may need a password",
						connection.host, connection.port),
				 errdetail("Line %d of pg_hba.conf asks role \"%s\" for %s authentication on the Unix socket, which the job cannot be shown to pass without a password.",
						   line, role, method),
				 errhint("Set cron.use_background_workers = on and restart the server, or let role \"%s\" in through the Unix socket with peer or trust authentication in pg_hba.conf; then run auth_keys.schedule_sweep() again.",
						 role)));
	return connection;
}

/*
 * auth_keys.schedule_sweep(schedule text DEFAULT '* * * * *')
 *		RETURNS bigint
 *		Schedule the sweep as pg_cron job "auth_keys.sweep", or bring that
 *		job up to date (schedule, command, connection, active); return its
 *		job id.  Operator tier.
 */
Datum
auth_keys_schedule_sweep(PG_FUNCTION_ARGS)
{
	static SqlStatement schedule = {
		"SELECT cron.schedule($1, $2, $3)",
		3, {TEXTOID, TEXTOID, TEXTOID}
	};

	/*
	 * cron.schedule keeps the connection of an existing job; the trigger
	 * on cron.job tells pg_cron's launcher of the change.
	 */
	static SqlStatement connect_job = {
		"UPDATE cron.job SET nodename = $2, nodeport = $3, active = true"
		" WHERE jobid OPERATOR(pg_catalog.=) $1",
		3, {INT8OID, TEXTOID, INT4OID}
	};
	Datum		values[3];
	int64		job_id;
	JobConnection connection;

	RequireWritable(fcinfo);
	RequireArgument(fcinfo, 0);
	require_pg_cron(text_to_cstring(PG_GETARG_TEXT_PP(0)));

	SPI_connect();
	connection = choose_connection(GetUserNameFromId(GetUserId(), false));

	values[0] = CStringGetTextDatum(SWEEP_JOB_NAME);
	values[1] = PG_GETARG_DATUM(0);
	values[2] = CStringGetTextDatum(SWEEP_JOB_COMMAND);
	QueryRun(&schedule, values, NULL, false);
	job_id = DatumGetInt64(QueryGetNotNull(0, 1));

	values[0] = Int64GetDatum(job_id);
	values[1] = CStringGetTextDatum(connection.host);
	values[2] = Int32GetDatum(connection.port);
	QueryRun(&connect_job, values, NULL, false);
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

#define SWEEP_JOB_RUNS_COLUMNS 9

/*
 * With background workers, pg_cron records a run's start_time only once
 * the worker has started, and a short sweep may have finished by then
 * (seen on a loaded machine): a sweep_log row of the run's process counts
 * from this long before it.  The job's runs are a minute apart at least,
 * and the row taken is the latest before the run's end, so no row of an
 * earlier run of the same process is taken for a later one.
 */
#define SWEEP_RUN_START_LAG "1 minute"

/*
 * auth_keys.sweep_job_runs(max_runs integer DEFAULT 20)
 *		RETURNS TABLE (run_id bigint, started_at timestamptz,
 *					   finished_at timestamptz, outcome text, message text,
 *					   hint text, keys_purged bigint, nodes_removed bigint,
 *					   node_key_expiries bigint)
 *		The latest runs of the sweep job, newest first: outcome succeeded,
 *		failed or running; for a sweep that ran, what it did (from
 *		sweep_log, matched by the run's process and time), else pg_cron's
 *		message.  Operator tier.
 */
Datum
auth_keys_sweep_job_runs(PG_FUNCTION_ARGS)
{
	static SqlStatement runs = {
		"SELECT d.runid, d.start_time, d.end_time, d.status, d.return_message,"
		"       s.keys_purged, s.nodes_removed, s.node_key_expiries,"
		"       s.access_tokens_deleted, s.event_weeks_removed"
		"  FROM cron.job j"
		"  JOIN cron.job_run_details d ON d.jobid OPERATOR(pg_catalog.=) j.jobid"
		"  LEFT JOIN LATERAL ("
		"       SELECT l.keys_purged, l.nodes_removed, l.node_key_expiries,"
		"              l.access_tokens_deleted, l.event_weeks_removed"
		"         FROM auth_keys.sweep_log l"
		"        WHERE l.backend_pid OPERATOR(pg_catalog.=) d.job_pid"
		"          AND l.finished_at OPERATOR(pg_catalog.>=)"
		"              (d.start_time OPERATOR(pg_catalog.-) '" SWEEP_RUN_START_LAG "'::pg_catalog.interval)"
		"          AND l.finished_at OPERATOR(pg_catalog.<=)"
		"              COALESCE(d.end_time, pg_catalog.now())"
		"        ORDER BY l.finished_at DESC LIMIT 1) s ON true"
		" WHERE j.jobname OPERATOR(pg_catalog.=) '" SWEEP_JOB_NAME "'::pg_catalog.name"
		"   AND j.username OPERATOR(pg_catalog.=) CURRENT_USER"
		" ORDER BY d.runid DESC LIMIT $1",
		1, {INT4OID}
	};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		max_runs;
	uint64		count;

	RequireArgument(fcinfo, 0);
	if (PG_GETARG_INT32(0) < 1 || PG_GETARG_INT32(0) > 10000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_runs must be between 1 and %d", 10000)));
	require_pg_cron("* * * * *");
	InitMaterializedSRF(fcinfo, 0);

	max_runs = PG_GETARG_DATUM(0);
	SPI_connect();
	count = QueryRun(&runs, &max_runs, NULL, true);
	for (uint64 i = 0; i < count; i++)
	{
		Datum		values[SWEEP_JOB_RUNS_COLUMNS];
		bool		nulls[SWEEP_JOB_RUNS_COLUMNS];
		char	   *status = QueryGetText(i, 4);
		char	   *message = QueryGetText(i, 5);
		const char *outcome;
		char	   *hint = NULL;
		bool		swept;

		CHECK_FOR_INTERRUPTS();
		values[0] = QueryGet(i, 1, &nulls[0]);
		values[1] = QueryGet(i, 2, &nulls[1]);
		values[2] = QueryGet(i, 3, &nulls[2]);
		values[6] = QueryGet(i, 6, &nulls[6]);
		values[7] = QueryGet(i, 7, &nulls[7]);
		values[8] = QueryGet(i, 8, &nulls[8]);
		swept = !nulls[6];

		if (status != NULL && strcmp(status, "succeeded") == 0)
			outcome = "succeeded";
		else if (status != NULL && strcmp(status, "failed") == 0)
			outcome = "failed";
		else
			outcome = "running";

		if (swept)
			message = psprintf("keys purged: " INT64_FORMAT ", ephemeral nodes removed: " INT64_FORMAT ", node key expiries recorded: " INT64_FORMAT ", expired access tokens deleted: " INT64_FORMAT ", weeks of audit events removed: " INT64_FORMAT,
							   DatumGetInt64(values[6]), DatumGetInt64(values[7]),
							   DatumGetInt64(values[8]),
							   DatumGetInt64(QueryGetNotNull(i, 9)),
							   DatumGetInt64(QueryGetNotNull(i, 10)));
		else if (strcmp(outcome, "running") == 0)
			message = psprintf("pg_cron status: %s", status ? status : "unknown");
		else if (message != NULL)
		{
			/* pg_cron keeps libpq's trailing newline */
			int			len = strlen(message);

			while (len > 0 && (message[len - 1] == '\n' || message[len - 1] == ' '))
				message[--len] = '\0';
		}

		if (strcmp(outcome, "failed") == 0 && message != NULL &&
			(strncmp(message, "connection failed", 17) == 0 ||
			 strncmp(message, "connection lost", 15) == 0 ||
			 strncmp(message, "job startup timeout", 19) == 0))
			hint = "pg_cron could not connect for the job: run auth_keys.schedule_sweep() again, whose notice says how the job connects and what pg_hba.conf needs.";

		values[3] = CStringGetTextDatum(outcome);
		nulls[3] = false;
		nulls[4] = message == NULL;
		if (message != NULL)
			values[4] = CStringGetTextDatum(message);
		nulls[5] = hint == NULL;
		if (hint != NULL)
			values[5] = CStringGetTextDatum(hint);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();

	return (Datum) 0;
}
