/*-------------------------------------------------------------------------
 *
 * sweep.c
 *	  auth_keys.sweep and auth_keys.sweep_in_steps: the sweep in one
 *	  transaction, or in a transaction for each batch.
 *
 * Both run the steps of sweep_run.c.  auth_keys.sweep is a function, so
 * its whole sweep is one transaction: the batches bound the work of each
 * statement, not how long the sweep holds its snapshot and its locks.  It
 * is kept for callers who sweep inside a transaction of their own, and
 * leaves the uses counted for keys without a limit where they are (in
 * key_use_counts, which key_list reads): adding them to the keys' rows
 * would hold those rows, and the registrations with them, until the
 * caller commits.
 *
 * auth_keys.sweep_in_steps is a procedure that commits after each step,
 * and rests between steps with no snapshot held, so that however large
 * the backlog (a million expired keys, a hundred thousand idle nodes), no
 * transaction of the sweep holds back vacuum or a waiting lock for longer
 * than one batch takes.  The pg_cron job calls it (sweep_schedule.c).  A
 * procedure that is SECURITY DEFINER, or that sets a configuration
 * parameter, cannot commit; so this one runs with its caller's rights and
 * search_path, and each of its steps runs, as VACUUM runs its work on a
 * table, with the rights of the procedure's owner (the extension's owner,
 * who reads and changes every tenant's rows) and with search_path set to
 * pg_catalog, pg_temp, as the SECURITY DEFINER functions run: in a step,
 * nothing of its caller's schemas is found.  Who may call it is decided by
 * EXECUTE on the procedure, as for the function.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/sweep.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_proc.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "actor.h"
#include "arguments.h"
#include "sweep_run.h"
#include "writable.h"

PG_FUNCTION_INFO_V1(auth_keys_sweep);
PG_FUNCTION_INFO_V1(auth_keys_sweep_in_steps);

/* A memory context for each step's allocations, reset before the next. */
static MemoryContext
step_context_create(MemoryContext parent)
{
	return AllocSetContextCreate(parent, "auth_keys sweep step", ALLOCSET_DEFAULT_SIZES);
}

/*
 * auth_keys.sweep(batch_size integer DEFAULT 1000)
 *		RETURNS TABLE (keys_purged bigint, nodes_removed bigint,
 *					   node_key_expiries bigint)
 *		The whole sweep in the caller's transaction.  Operator tier.
 */
Datum
auth_keys_sweep(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			batch_size;
	SweepRun   *run;
	MemoryContext step_context;
	MemoryContext run_context;
	bool		full_batch;
	Datum		result[3];
	bool		result_nulls[3] = {false, false, false};

	RequireWritable(fcinfo);
	RequireArgument(fcinfo, 0);
	batch_size = PG_GETARG_INT32(0);
	SweepRequireBatchSize(batch_size);
	InitMaterializedSRF(fcinfo, 0);

	SPI_connect();
	run_context = CurrentMemoryContext;
	run = SweepRunBegin(run_context, CallerRoleDescribe(), batch_size, false);
	step_context = step_context_create(run_context);
	for (;;)
	{
		bool		more;

		MemoryContextSwitchTo(step_context);
		more = SweepRunStep(run, &full_batch);
		MemoryContextSwitchTo(run_context);
		MemoryContextReset(step_context);
		if (!more)
			break;
		if (full_batch)
			SweepRunRest();
	}
	SweepRunRecord(run);
	result[0] = Int64GetDatum(run->counts.keys_purged);
	result[1] = Int64GetDatum(run->counts.nodes_removed);
	result[2] = Int64GetDatum(run->counts.node_key_expiries);
	SPI_finish();

	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, result, result_nulls);
	return (Datum) 0;
}

/* The owner of the procedure being called: whose rights its steps have. */
static Oid
procedure_owner(FunctionCallInfo fcinfo)
{
	HeapTuple	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));
	Oid			owner;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for procedure %u", fcinfo->flinfo->fn_oid);
	owner = ((Form_pg_proc) GETSTRUCT(tuple))->proowner;
	ReleaseSysCache(tuple);
	return owner;
}

/*
 * One step of sweep_in_steps, as "owner" and with the search_path of the
 * SECURITY DEFINER functions (see the file header); an error ends the
 * transaction, whose abort restores the caller's user and settings.
 */
static bool
step_as(Oid owner, SweepRun *run, bool *full_batch)
{
	Oid			caller;
	int			security_context;
	int			nest;
	bool		more;

	GetUserIdAndSecContext(&caller, &security_context);
	SetUserIdAndSecContext(owner, security_context | SECURITY_LOCAL_USERID_CHANGE);
	nest = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
	more = SweepRunStep(run, full_batch);
	if (!more)
		SweepRunRecord(run);
	AtEOXact_GUC(true, nest);
	SetUserIdAndSecContext(caller, security_context);
	return more;
}

/*
 * auth_keys.sweep_in_steps(batch_size integer DEFAULT 1000)
 *		The sweep, committing after each batch; what it did is in
 *		auth_keys.sweep_log.  Operator tier, by CALL outside a transaction
 *		block.
 */
Datum
auth_keys_sweep_in_steps(PG_FUNCTION_ARGS)
{
	CallContext *call = (CallContext *) fcinfo->context;
	int			batch_size;
	Oid			owner;
	SweepRun   *run;
	MemoryContext run_context;
	MemoryContext step_context;
	bool		full_batch;

	if (call == NULL || !IsA(call, CallContext) || call->atomic)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_TERMINATION),
				 errmsg("auth_keys.sweep_in_steps must be called by CALL outside a transaction block"),
				 errdetail("It commits after each batch, which a transaction block, a function or a procedure with SET or SECURITY DEFINER does not allow."),
				 errhint("In a transaction of your own, SELECT * FROM auth_keys.sweep() sweeps in that transaction.")));
	RequireWritable(fcinfo);
	RequireArgument(fcinfo, 0);
	batch_size = PG_GETARG_INT32(0);
	SweepRequireBatchSize(batch_size);
	owner = procedure_owner(fcinfo);

	SPI_connect_ext(SPI_OPT_NONATOMIC);
	/* SPI's procedure context outlives the transactions of the call */
	run_context = AllocSetContextCreate(CurrentMemoryContext, "auth_keys sweep",
										ALLOCSET_DEFAULT_SIZES);
	run = SweepRunBegin(run_context, CallerRoleDescribe(), batch_size, true);
	step_context = step_context_create(run_context);
	for (;;)
	{
		MemoryContext caller_context = MemoryContextSwitchTo(step_context);
		bool		more = step_as(owner, run, &full_batch);

		MemoryContextSwitchTo(caller_context);
		MemoryContextReset(step_context);
		SPI_commit();
		if (!more)
			break;
		/* between transactions: the rest holds no snapshot and no lock */
		if (full_batch)
			SweepRunRest();
	}
	SPI_finish();
	PG_RETURN_VOID();
}
