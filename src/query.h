/*-------------------------------------------------------------------------
 *
 * query.h
 *	  SPI statements prepared once per backend and kept.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/query.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef QUERY_H
#define QUERY_H

#include "executor/spi.h"

#define QUERY_MAX_ARGS 12

/*
 * One SQL statement of the extension.  Declare it static at its call site
 * with the text and argument types; the plan is made on first use and kept
 * for the life of the backend (the plan cache replans it when the tables
 * change, for instance when the extension is dropped and created again).
 */
typedef struct SqlStatement
{
	const char *sql;
	int			nargs;
	Oid			argtypes[QUERY_MAX_ARGS];
	SPIPlanPtr	plan;
} SqlStatement;

extern uint64 QueryRun(SqlStatement *query, Datum *values, const char *nulls,
					   bool read_only);
extern uint64 QueryRunLatest(SqlStatement *query, Datum *values,
							 const char *nulls);
extern bool QueryIsOwnWrite(void);
extern void QuerySetArgType(SqlStatement *query, int argno, Oid type);
extern Datum QueryGet(uint64 row, int column, bool *isnull);
extern Datum QueryGetNotNull(uint64 row, int column);
extern char *QueryGetText(uint64 row, int column);

#endif							/* QUERY_H */
