/*-------------------------------------------------------------------------
 *
 * direct_change.h
 *	  Changes to keys and nodes that the extension's functions did not make.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/direct_change.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef DIRECT_CHANGE_H
#define DIRECT_CHANGE_H

#include "access/tupdesc.h"
#include "access/htup.h"

/* How a row trigger of keys or nodes sees the change it is called for. */
typedef enum ChangeSource
{
	CHANGE_BY_EXTENSION,		/* a function of the extension: it records it */
	CHANGE_BY_RESTORE,			/* COPY, as pg_restore and dumps load data */
	CHANGE_DIRECT				/* any other statement: a DBA's */
} ChangeSource;

extern ChangeSource DirectChangeSource(void);
extern void DirectChangeRecord(int64 tailnet_id, const char *action,
							   const char *key_id, int64 node_id,
							   const char *const *columns, int ncolumns);
extern int	DirectChangeColumns(TupleDesc desc, HeapTuple old_row,
								HeapTuple new_row, const char ***columns);

#endif							/* DIRECT_CHANGE_H */
