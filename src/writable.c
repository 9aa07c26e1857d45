/*-------------------------------------------------------------------------
 *
 * writable.c
 *	  Refuse a writing function on a hot standby or in a read-only
 *	  transaction, naming the function.
 *
 * Without this check the first statement inside the function would fail
 * with "cannot execute UPDATE in a read-only transaction", which names a
 * statement the caller never wrote.  The SQLSTATE is the same (25006) as
 * PostgreSQL's own PreventCommandDuringRecovery and
 * PreventCommandIfReadOnly give; the check runs before any key is read, so
 * the error says nothing about the key presented.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/writable.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "utils/lsyscache.h"

#include "writable.h"

/*
 * RequireWritable
 *		Error (25006) unless the current transaction may write.
 */
void
RequireWritable(FunctionCallInfo fcinfo)
{
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot execute %s during recovery",
						get_func_name(fcinfo->flinfo->fn_oid)),
				 errhint("Keys and nodes change only on the primary server; "
						 "a standby answers validate_key, key_status and the lists.")));
	if (XactReadOnly)
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot execute %s in a read-only transaction",
						get_func_name(fcinfo->flinfo->fn_oid))));
}
