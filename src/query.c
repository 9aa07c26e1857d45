/*-------------------------------------------------------------------------
 *
 * query.c
 *	  SPI statements prepared once per backend and kept.
 *
 * Every statement the extension runs is fixed text with schema-qualified
 * names and operators, prepared with SPI_prepare and kept with
 * SPI_keepplan, so that no call builds or parses SQL after the first.
 * Callers must be connected to SPI.
 *
 * While one of these statements writes, QueryIsOwnWrite is true: the
 * guard triggers of keys and nodes tell the extension's own changes,
 * which record their own events, from a DBA's direct ones.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/query.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"

#include "query.h"

/* How many of the extension's writing statements are running. */
static int	own_writes = 0;

/*
 * QueryIsOwnWrite
 *		Whether the row being changed is changed by one of the extension's
 *		own statements (for a trigger to ask).
 */
bool
QueryIsOwnWrite(void)
{
	return own_writes > 0;
}

/* Prepare a statement and keep its plan, the first time it runs. */
static void
query_prepare(SqlStatement *query)
{
	SPIPlanPtr	plan;

	if (query->plan != NULL)
		return;
	plan = SPI_prepare(query->sql, query->nargs, query->argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s",
			 query->sql, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	query->plan = plan;
}

/*
 * QueryRun
 *		Execute a statement, preparing it first if need be, and return the
 *		number of rows it processed.  Results are in SPI_tuptable.
 */
uint64
QueryRun(SqlStatement *query, Datum *values, const char *nulls, bool read_only)
{
	int			rc;

	query_prepare(query);
	if (read_only)
		rc = SPI_execute_plan(query->plan, values, nulls, true, 0);
	else
	{
		own_writes++;
		PG_TRY();
		{
			rc = SPI_execute_plan(query->plan, values, nulls, false, 0);
		}
		PG_FINALLY();
		{
			own_writes--;
		}
		PG_END_TRY();
	}
	if (rc < 0)
		elog(ERROR, "SPI_execute_plan failed for \"%s\": %s",
			 query->sql, SPI_result_code_string(rc));
	return SPI_processed;
}

/*
 * QuerySetArgType
 *		Set the type of an argument whose type OID is known only at run time
 *		(the extension's own types get new OIDs when it is created again),
 *		dropping a kept plan made for another OID.
 */
void
QuerySetArgType(SqlStatement *query, int argno, Oid type)
{
	Assert(argno < query->nargs);
	if (query->argtypes[argno] == type)
		return;
	query->argtypes[argno] = type;
	if (query->plan != NULL)
	{
		SPI_freeplan(query->plan);
		query->plan = NULL;
	}
}

/*
 * QueryGet: a column (numbered from 1) of a result row.  A row that is not
 * there is a bug, but an error rather than a crash.
 */
Datum
QueryGet(uint64 row, int column, bool *isnull)
{
	if (SPI_tuptable == NULL || row >= SPI_processed)
		elog(ERROR, "row " UINT64_FORMAT " of a result of " UINT64_FORMAT " rows was asked for",
			 row, SPI_processed);
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc,
						 column, isnull);
}

/* QueryGetNotNull: a column that the table declares NOT NULL. */
Datum
QueryGetNotNull(uint64 row, int column)
{
	bool		isnull;
	Datum		value = QueryGet(row, column, &isnull);

	if (isnull)
		elog(ERROR, "unexpected null in column %d of \"%s\"", column,
			 SPI_fname(SPI_tuptable->tupdesc, column));
	return value;
}

/*
 * QueryGetText: a text column as a C string in the current memory context,
 * or NULL.  While connected to SPI that context ends with SPI_finish.
 */
char *
QueryGetText(uint64 row, int column)
{
	bool		isnull;
	Datum		value = QueryGet(row, column, &isnull);

	return isnull ? NULL : TextDatumGetCString(value);
}

/*
 * QueryRunLatest
 *		Execute a writing statement with a snapshot taken now, whatever the
 *		isolation level, as the foreign key triggers do: for a change that
 *		must reach every row committed so far, also those that a REPEATABLE
 *		READ transaction's snapshot cannot see (a member's keys made while
 *		the member was being removed).  Returns the number of rows processed.
 */
uint64
QueryRunLatest(SqlStatement *query, Datum *values, const char *nulls)
{
	int			rc;

	query_prepare(query);
	own_writes++;
	PG_TRY();
	{
		rc = SPI_execute_snapshot(query->plan, values, nulls, GetLatestSnapshot(),
								  InvalidSnapshot, false, true, 0);
	}
	PG_FINALLY();
	{
		own_writes--;
	}
	PG_END_TRY();
	if (rc < 0)
		elog(ERROR, "SPI_execute_snapshot failed for \"%s\": %s",
			 query->sql, SPI_result_code_string(rc));
	return SPI_processed;
}
