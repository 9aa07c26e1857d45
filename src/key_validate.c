/*-------------------------------------------------------------------------
 *
 * key_validate.c
 *	  auth_keys.validate_key: what a key would do, without spending it.
 *
 * A dry run for the node-facing backend.  A key that is malformed, unknown
 * or carries the wrong secret gets status "invalid" and nothing else, so
 * that guessing reveals nothing.  Only a proven key shows its tailnet,
 * settings and whether it is valid, expired, revoked or used.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/key_validate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "key_record.h"

PG_FUNCTION_INFO_V1(auth_keys_validate_key);

#define VALIDATE_COLUMNS 9

/*
 * auth_keys.validate_key(key text) RETURNS TABLE (key_id text, tailnet text,
 *		status text, reusable boolean, ephemeral boolean,
 *		preauthorized boolean, tags text[], expires_at timestamptz,
 *		uses_left integer)
 *		Node-facing tier.
 */
Datum
auth_keys_validate_key(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	KeyRecord	record;
	Datum		values[VALIDATE_COLUMNS];
	bool		nulls[VALIDATE_COLUMNS];
	int32		uses_left;

	/* the row type the executor expects: no catalog lookups per call */
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	memset(nulls, true, sizeof(nulls));

	if (PG_ARGISNULL(0) || !KeyProve(PG_GETARG_TEXT_PP(0), &record))
		values[2] = CStringGetTextDatum(KeyStatusName(KEY_INVALID));
	else
	{
		memset(nulls, false, sizeof(nulls));
		values[0] = CStringGetTextDatum(record.key_id);
		values[1] = CStringGetTextDatum(record.tailnet);
		values[2] = CStringGetTextDatum(KeyStatusName(KeyRecordStatus(&record)));
		values[3] = BoolGetDatum(record.reusable);
		values[4] = BoolGetDatum(record.ephemeral);
		values[5] = BoolGetDatum(record.preauthorized);
		values[6] = PointerGetDatum(record.tags);
		values[7] = TimestampTzGetDatum(record.expires_at);
		if (KeyUsesLeft(&record, &uses_left))
			values[8] = Int32GetDatum(uses_left);
		else
			nulls[8] = true;
	}
	nulls[2] = false;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);

	return (Datum) 0;
}
