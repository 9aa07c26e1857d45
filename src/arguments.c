/*-------------------------------------------------------------------------
 *
 * arguments.c
 *	  Checks on the arguments of SQL-callable functions.
 *
 * The functions are not STRICT, because a NULL where a value is needed
 * deserves an error rather than a silent NULL result.  The error names the
 * argument as the function's SQL declaration does, so that callers using
 * named notation recognise it; the name is looked up only when there is an
 * error to report.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/arguments.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "utils/syscache.h"

#include "arguments.h"

/* The declared name of argument "argno", or "argument N" if it has none. */
static char *
argument_name(FunctionCallInfo fcinfo, int argno)
{
	HeapTuple	proc;
	Oid		   *types;
	char	  **names;
	char	   *modes;
	int			nargs;
	char	   *name = NULL;

	proc = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));
	if (HeapTupleIsValid(proc))
	{
		nargs = get_func_arg_info(proc, &types, &names, &modes);
		if (names != NULL && argno < nargs && names[argno][0] != '\0')
			name = pstrdup(names[argno]);
		ReleaseSysCache(proc);
	}
	return name ? name : psprintf("argument %d", argno + 1);
}

/*
 * RequireArgument
 *		Error unless argument "argno" (from 0) is not NULL.
 */
void
RequireArgument(FunctionCallInfo fcinfo, int argno)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be null", argument_name(fcinfo, argno))));
}

/*
 * RequireArguments
 *		Error unless the first "count" arguments are not NULL.
 */
void
RequireArguments(FunctionCallInfo fcinfo, int count)
{
	for (int i = 0; i < count; i++)
		RequireArgument(fcinfo, i);
}
