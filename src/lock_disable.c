/*-------------------------------------------------------------------------
 *
 * lock_disable.c
 *	  auth_keys.lock_disable: turn a tailnet's Tailnet Lock off.
 *
 * The secret is derived with Argon2i (src/tka_disable.c: the reference's
 * parameters, 16 MiB, one thread) and compared, in constant time, with
 * each disablement value of the head's state.  When one matches, the
 * authority is deleted, and with it the log, the trusted keys and every
 * node key signature of the tailnet (the nodes become "not_locked"); a
 * genesis can turn the lock on again later.  A wrong secret is 28P01 and
 * says nothing else.  No secret and no derived value reaches a message,
 * a table or an event.
 *
 * One derivation costs about a tenth of a second of CPU and 16 MiB: the
 * secret's length is bounded, and the tailnet's row is locked first, so
 * that one tailnet's attempts queue rather than run side by side.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/lock_disable.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "actor.h"
#include "arguments.h"
#include "event.h"
#include "lock_codec.h"
#include "lock_report.h"
#include "lock_store.h"
#include "tka_disable.h"
#include "writable.h"

PG_FUNCTION_INFO_V1(auth_keys_lock_disable);

/* Longest secret taken (the reference's are 32 bytes). */
#define LOCK_SECRET_MAX 1024

/*
 * auth_keys.lock_disable(tailnet text, secret bytea) RETURNS void
 *		Node tier.
 */
Datum
auth_keys_lock_disable(PG_FUNCTION_ARGS)
{
	char	   *tailnet;
	bytea	   *secret;
	int64		tailnet_id;
	LockAuthority authority;
	LockStoredAum head;
	TkaState	state;
	TkaError	err;
	bool		matches = false;
	EventDetail detail;

	RequireWritable(fcinfo);
	RequireArguments(fcinfo, 2);
	tailnet = text_to_cstring(PG_GETARG_TEXT_PP(0));
	secret = PG_GETARG_BYTEA_PP(1);
	if (VARSIZE_ANY_EXHDR(secret) > LOCK_SECRET_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a disablement secret has at most %d bytes", LOCK_SECRET_MAX)));

	SPI_connect();
	tailnet_id = LockTailnetLockForUpdate(tailnet);
	if (!LockAuthorityGet(tailnet_id, &authority))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("tailnet \"%s\" has no Tailnet Lock", tailnet)));
	if (!LockAumGet(tailnet_id, authority.head, &head))
		elog(ERROR, "the head of the authority log is not stored");
	LockStateDecode(head.state, &state);

	if (TkaDisablementCheck((const uint8 *) VARDATA_ANY(secret), VARSIZE_ANY_EXHDR(secret),
							state.disablement, state.ndisablement, &matches, &err) != TKA_OK)
		LockRefuse(LOCK_STATE, &err, 0);
	if (!matches)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PASSWORD),
				 errmsg("invalid disablement secret")));

	LockAuthorityDelete(tailnet_id);
	EventDetailInit(&detail);
	EventDetailText(&detail, "head", LockHex(authority.head, TKA_HASH_LEN));
	EventRecord(CallerRoleDescribe(), tailnet_id, "lock.disabled", NULL,
				EVENT_NO_NODE, &detail);
	SPI_finish();
	PG_RETURN_VOID();
}
