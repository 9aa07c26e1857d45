/*-------------------------------------------------------------------------
 *
 * lock_sync.c
 *	  auth_keys.lock_head and auth_keys.lock_aums: what a node needs to
 *	  sync its copy of the authority log.
 *
 * A node that knows the head it has asks for what follows it.  lock_aums
 * gives the AUMs of the chain that ends at the head (the genesis, then
 * each AUM's chosen child), oldest first: all of them, or those after
 * "since".  When "since" is on a branch the head does not follow (the
 * node's own fork), the chain is given from where that branch leaves it,
 * so that the node can apply the fork rules itself, as the reference's
 * sync does from the intersection of two chains.
 *
 * Both only read, with the snapshot of the statement that calls them:
 * they answer on a hot standby.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/lock_sync.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "arguments.h"
#include "lock_codec.h"
#include "lock_store.h"
#include "query.h"
#include "tailnet.h"

PG_FUNCTION_INFO_V1(auth_keys_lock_head);
PG_FUNCTION_INFO_V1(auth_keys_lock_aums);

/* Read the head (NULL: no authority) of a tailnet named by argument 0. */
static bool
read_head(FunctionCallInfo fcinfo, int64 *tailnet_id, uint8 *head)
{
	static SqlStatement get = {
		"SELECT head_hash FROM auth_keys.lock_authorities"
		" WHERE tailnet_id OPERATOR(pg_catalog.=) $1",
		1, {INT8OID}
	};
	Datum		id;
	bool		found;

	RequireArgument(fcinfo, 0);
	*tailnet_id = TailnetIdByName(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	id = Int64GetDatum(*tailnet_id);
	found = QueryRun(&get, &id, NULL, true) > 0;
	if (found)
	{
		bytea	   *b = DatumGetByteaPP(QueryGetNotNull(0, 1));

		if (VARSIZE_ANY_EXHDR(b) != TKA_HASH_LEN)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("stored Tailnet Lock data is corrupt: %s",
							"an authority's hash is not 32 bytes long")));
		memcpy(head, VARDATA_ANY(b), TKA_HASH_LEN);
	}
	return found;
}

/*
 * auth_keys.lock_head(tailnet text) RETURNS bytea
 *		The head's hash, or NULL when the tailnet has no Tailnet Lock.
 */
Datum
auth_keys_lock_head(PG_FUNCTION_ARGS)
{
	int64		tailnet_id;
	uint8		head[TKA_HASH_LEN];
	bool		found;

	SPI_connect();
	found = read_head(fcinfo, &tailnet_id, head);
	SPI_finish();
	if (!found)
		PG_RETURN_NULL();
	PG_RETURN_BYTEA_P(LockBytea(head, TKA_HASH_LEN));
}

/* A bytea column of a result row (never NULL in these tables). */
static bytea *
column_bytea(SPITupleTable *rows, uint64 row, int column)
{
	bool		isnull;
	Datum		value = SPI_getbinval(rows->vals[row], rows->tupdesc, column, &isnull);

	if (isnull)
		elog(ERROR, "unexpected null in column %d of the authority log", column);
	return DatumGetByteaPP(value);
}

/* An integer column of a result row (never NULL in these tables). */
static int32
column_int32(SPITupleTable *rows, uint64 row, int column)
{
	bool		isnull;
	Datum		value = SPI_getbinval(rows->vals[row], rows->tupdesc, column, &isnull);

	if (isnull)
		elog(ERROR, "unexpected null in column %d of the authority log", column);
	return DatumGetInt32(value);
}

static bool
bytes_equal(const bytea *a, const bytea *b)
{
	return VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
		memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
}

/*
 * auth_keys.lock_aums(tailnet text, since bytea DEFAULT NULL)
 *		RETURNS SETOF bytea
 *		The chain to the head, oldest first; with "since", only what
 *		follows it (or follows where its branch leaves the chain).
 */
Datum
auth_keys_lock_aums(PG_FUNCTION_ARGS)
{
	/*
	 * The chain, walked back from the head by parent (each step one
	 * shallower, so the walk ends), stopping at "since" if it is on it.
	 */
	static SqlStatement chain = {
		"WITH RECURSIVE chain (aum_hash, parent_hash, depth, aum) AS ("
		"  SELECT u.aum_hash, u.parent_hash, u.depth, u.aum FROM auth_keys.lock_updates u"
		"   WHERE u.tailnet_id OPERATOR(pg_catalog.=) $1 AND u.aum_hash OPERATOR(pg_catalog.=) $2"
		"  UNION ALL"
		"  SELECT u.aum_hash, u.parent_hash, u.depth, u.aum"
		"    FROM chain c JOIN auth_keys.lock_updates u"
		"      ON u.tailnet_id OPERATOR(pg_catalog.=) $1"
		"     AND u.aum_hash OPERATOR(pg_catalog.=) c.parent_hash"
		"     AND u.depth OPERATOR(pg_catalog.=) (c.depth OPERATOR(pg_catalog.-) 1)"
		"   WHERE c.aum_hash IS DISTINCT FROM $3)"
		" SELECT aum_hash, depth, aum FROM chain ORDER BY depth",
		3, {INT8OID, BYTEAOID, BYTEAOID}
	};
	/* The ancestors of "since", itself first. */
	static SqlStatement ancestors = {
		"WITH RECURSIVE up (aum_hash, parent_hash, depth) AS ("
		"  SELECT u.aum_hash, u.parent_hash, u.depth FROM auth_keys.lock_updates u"
		"   WHERE u.tailnet_id OPERATOR(pg_catalog.=) $1 AND u.aum_hash OPERATOR(pg_catalog.=) $2"
		"  UNION ALL"
		"  SELECT u.aum_hash, u.parent_hash, u.depth"
		"    FROM up c JOIN auth_keys.lock_updates u"
		"      ON u.tailnet_id OPERATOR(pg_catalog.=) $1"
		"     AND u.aum_hash OPERATOR(pg_catalog.=) c.parent_hash"
		"     AND u.depth OPERATOR(pg_catalog.=) (c.depth OPERATOR(pg_catalog.-) 1))"
		" SELECT aum_hash, depth FROM up ORDER BY depth DESC",
		2, {INT8OID, BYTEAOID}
	};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		tailnet_id;
	uint8		head[TKA_HASH_LEN];
	bytea	   *since = PG_ARGISNULL(1) ? NULL : PG_GETARG_BYTEA_PP(1);
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	uint64		nchain;
	SPITupleTable *rows;
	int32		after = -1;		/* give the chain deeper than this */

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	SPI_connect();
	if (!read_head(fcinfo, &tailnet_id, head))
	{
		SPI_finish();
		return (Datum) 0;
	}

	values[0] = Int64GetDatum(tailnet_id);
	values[1] = PointerGetDatum(LockBytea(head, TKA_HASH_LEN));
	if (since != NULL)
		values[2] = PointerGetDatum(since);
	else
		nulls[2] = 'n';
	nchain = QueryRun(&chain, values, nulls, true);
	rows = SPI_tuptable;

	if (since != NULL)
	{
		if (nchain > 0 && bytes_equal(column_bytea(rows, 0, 1), since))
			after = column_int32(rows, 0, 2);
		else
		{
			/*
			 * Not on the chain, which was therefore read whole, from the
			 * genesis (row i at depth i): find the deepest ancestor of
			 * "since" that is on it.
			 */
			Datum		args[2];
			uint64		nup;
			SPITupleTable *up;

			args[0] = Int64GetDatum(tailnet_id);
			args[1] = PointerGetDatum(since);
			nup = QueryRun(&ancestors, args, NULL, true);
			up = SPI_tuptable;
			if (nup == 0)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_OBJECT),
						 errmsg("authority update %s is not stored in tailnet \"%s\"",
								LockHex((const uint8 *) VARDATA_ANY(since),
										VARSIZE_ANY_EXHDR(since)),
								text_to_cstring(PG_GETARG_TEXT_PP(0)))));
			for (uint64 i = 0; i < nup && after < 0; i++)
			{
				int32		depth = column_int32(up, i, 2);

				CHECK_FOR_INTERRUPTS();
				if (depth >= 0 && (uint64) depth < nchain &&
					bytes_equal(column_bytea(rows, depth, 1), column_bytea(up, i, 1)))
					after = depth;
			}
		}
	}

	for (uint64 i = 0; i < nchain; i++)
	{
		Datum		aum;
		bool		isnull = false;

		CHECK_FOR_INTERRUPTS();
		if (column_int32(rows, i, 2) <= after)
			continue;
		/* detoasted: the result outlives no table row */
		aum = PointerGetDatum(DatumGetByteaPCopy(SPI_getbinval(rows->vals[i], rows->tupdesc,
															   3, &isnull)));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &aum, &isnull);
	}
	SPI_finish();
	return (Datum) 0;
}
