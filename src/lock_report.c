/*-------------------------------------------------------------------------
 *
 * lock_report.c
 *	  Errors for Tailnet Lock input the core refused.
 *
 * One SQLSTATE per verdict of the core (src/tka_types.h), with the core's
 * reason, one English sentence, as the detail:
 *
 *	verdict		AUM							node key signature
 *	malformed	22P02 malformed authority	22P02 malformed node key
 *				update						signature
 *	invalid		22023 invalid authority		28000 invalid node key
 *				update						signature
 *	rejected	28000 authority update		28000 invalid node key
 *				rejected					signature
 *
 * Malformed input is not the canonical encoding of the structure at all;
 * an invalid AUM breaks a static rule of its kind; a rejected one does
 * not chain to a stored AUM, is not signed by keys the authority trusts
 * before it, or cannot be applied to that state.  Class 28 says that the
 * authority does not authorize it.  Keys and states appear only in
 * lock_decode, which judges no value: they can only be malformed.
 *
 * A reason names offsets and fields, never the bytes of the input.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/lock_report.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lock_report.h"

/*
 * LockRefuseWith
 *		Raise the error for a structure refused with status and reason;
 *		position (from 1) is the AUM's place among those submitted together,
 *		or 0.
 */
void
LockRefuseWith(LockStructure structure, TkaStatus status, const char *reason,
			   int position)
{
#define REFUSE(code, message) \
	ereport(ERROR, \
			(errcode(code), errmsg(message), \
			 position > 0 ? errdetail("Authority update %d: %s", position, reason) \
			 : errdetail("%s", reason)))

	if (status == TKA_NO_MEMORY || status == TKA_CRYPTO_FAILURE)
		REFUSE(ERRCODE_INTERNAL_ERROR, "Tailnet Lock verification failed");

	switch (structure)
	{
		case LOCK_AUM:
			if (status == TKA_MALFORMED)
				REFUSE(ERRCODE_INVALID_TEXT_REPRESENTATION, "malformed authority update");
			if (status == TKA_INVALID)
				REFUSE(ERRCODE_INVALID_PARAMETER_VALUE, "invalid authority update");
			REFUSE(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, "authority update rejected");
			break;
		case LOCK_SIGNATURE:
			if (status == TKA_MALFORMED)
				REFUSE(ERRCODE_INVALID_TEXT_REPRESENTATION, "malformed node key signature");
			REFUSE(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, "invalid node key signature");
			break;
		case LOCK_KEY:
			REFUSE(ERRCODE_INVALID_TEXT_REPRESENTATION, "malformed Tailnet Lock key");
			break;
		case LOCK_STATE:
			REFUSE(ERRCODE_INVALID_TEXT_REPRESENTATION, "malformed Tailnet Lock state");
			break;
	}
#undef REFUSE
	elog(ERROR, "unknown Tailnet Lock structure %d", (int) structure);
	pg_unreachable();
}

/* LockRefuse: LockRefuseWith the status and reason of a core error. */
void
LockRefuse(LockStructure structure, const TkaError *err, int position)
{
	LockRefuseWith(structure, err->status, err->reason, position);
}
