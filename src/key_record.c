/*-------------------------------------------------------------------------
 *
 * key_record.c
 *	  Looking up a presented key, proving its secret, and its status.
 *
 * KeyProve is the one way a presented key turns into a key row: parse the
 * text (refusing malformed keys before reading any table), fetch the row by
 * its key id, and compare the SHA-256 of the secret with the stored one in
 * constant time.  Only a key that passes all three may be told apart from
 * garbage; every failure looks the same to the caller.
 *
 * A key's status has one definition, KeyStatusFrom, which the SQL function
 * auth_keys.key_status (used by the views) shares.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/key_record.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "auth_keys.h"
#include "key_format.h"
#include "key_record.h"
#include "key_secret.h"
#include "query.h"

PG_FUNCTION_INFO_V1(auth_keys_key_status);
PG_FUNCTION_INFO_V1(auth_keys_key_uses_left);

/*
 * KeyProve
 *		Fill "record" from the row of a presented key and return true when
 *		the key is well formed, exists and carries the right secret; return
 *		false otherwise.  Caller is connected to SPI; strings in "record"
 *		live in the caller's memory context.
 */
bool
KeyProve(text *key, KeyRecord *record)
{
	static SqlStatement lookup = {
		"SELECT k.secret_hash, k.tailnet_id, t.name, k.created_by,"
		"       k.reusable, k.ephemeral, k.preauthorized, k.tags,"
		"       k.max_uses, k.uses, k.expires_at,"
		"       k.revoked_at IS NOT NULL, k.used_up_at IS NOT NULL,"
		"       t.device_approval, t.node_key_expiry"
		"  FROM auth_keys.keys k"
		"  JOIN auth_keys.tailnets t"
		"    ON t.tailnet_id OPERATOR(pg_catalog.=) k.tailnet_id"
		" WHERE k.key_id OPERATOR(pg_catalog.=) $1",
		1, {TEXTOID}
	};
	ParsedAuthKey parsed;
	Datum		value;
	bytea	   *stored;
	uint8		computed[KEY_HASH_LEN];
	bool		proven;
	bool		isnull;

	if (!AuthKeyParse(VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key), &parsed))
		return false;

	value = CStringGetTextDatum(parsed.key_id);
	if (QueryRun(&lookup, &value, NULL, true) == 0)
	{
		explicit_bzero(&parsed, sizeof(parsed));
		return false;
	}

	stored = DatumGetByteaPP(QueryGetNotNull(0, 1));
	KeyHashSecret(parsed.secret, AUTH_KEY_SECRET_LEN, computed);
	explicit_bzero(&parsed, sizeof(parsed));
	proven = VARSIZE_ANY_EXHDR(stored) == KEY_HASH_LEN &&
		KeyHashMatches((uint8 *) VARDATA_ANY(stored), computed);
	if (!proven)
		return false;

	memcpy(record->key_id, VARDATA_ANY(DatumGetTextPP(value)), AUTH_KEY_ID_LEN);
	record->key_id[AUTH_KEY_ID_LEN] = '\0';
	record->tailnet_id = DatumGetInt64(QueryGetNotNull(0, 2));
	record->tailnet = QueryGetText(0, 3);
	record->created_by = QueryGetText(0, 4);
	record->reusable = DatumGetBool(QueryGetNotNull(0, 5));
	record->ephemeral = DatumGetBool(QueryGetNotNull(0, 6));
	record->preauthorized = DatumGetBool(QueryGetNotNull(0, 7));
	record->tags = DatumGetArrayTypePCopy(QueryGetNotNull(0, 8));
	record->max_uses = DatumGetInt32(QueryGet(0, 9, &isnull));
	record->has_max_uses = !isnull;
	record->uses = DatumGetInt32(QueryGetNotNull(0, 10));
	record->expires_at = DatumGetTimestampTz(QueryGetNotNull(0, 11));
	record->revoked = DatumGetBool(QueryGetNotNull(0, 12));
	record->used_up = DatumGetBool(QueryGetNotNull(0, 13));
	record->device_approval = DatumGetBool(QueryGetNotNull(0, 14));
	record->node_key_expiry_usecs =
		IntervalAbsoluteUsecs(DatumGetIntervalP(QueryGetNotNull(0, 15)));
	return true;
}

/*
 * KeyStatusFrom
 *		A key is revoked once revoked, used once its uses are spent (a
 *		one-off key after its first use), expired once past its expiry, and
 *		valid otherwise, in that order of precedence.
 */
KeyStatus
KeyStatusFrom(bool revoked, bool used_up, TimestampTz expires_at,
			  TimestampTz now)
{
	if (revoked)
		return KEY_REVOKED;
	if (used_up)
		return KEY_USED;
	if (expires_at <= now)
		return KEY_EXPIRED;
	return KEY_VALID;
}

/* KeyRecordStatus: the status of a proven key at transaction start. */
KeyStatus
KeyRecordStatus(const KeyRecord *record)
{
	return KeyStatusFrom(record->revoked, record->used_up,
						 record->expires_at,
						 GetCurrentTransactionStartTimestamp());
}

const char *
KeyStatusName(KeyStatus status)
{
	switch (status)
	{
		case KEY_VALID:
			return "valid";
		case KEY_EXPIRED:
			return "expired";
		case KEY_REVOKED:
			return "revoked";
		case KEY_USED:
			return "used";
		case KEY_INVALID:
			return "invalid";
	}
	elog(ERROR, "unknown key status %d", (int) status);
	pg_unreachable();
}

/*
 * KeyUsesLeftFrom
 *		How many more registrations a key allows, into *uses_left: one in
 *		all for a one-off key, max_uses for a reusable key with a limit.
 *		Returns false for a reusable key without a limit.
 */
bool
KeyUsesLeftFrom(bool reusable, bool has_max_uses, int32 max_uses,
				int32 uses, int32 *uses_left)
{
	int32		limit;

	if (reusable && !has_max_uses)
		return false;
	limit = reusable ? max_uses : 1;
	*uses_left = Max(limit - uses, 0);
	return true;
}

/* KeyUsesLeft: KeyUsesLeftFrom for a proven key. */
bool
KeyUsesLeft(const KeyRecord *record, int32 *uses_left)
{
	return KeyUsesLeftFrom(record->reusable, record->has_max_uses,
						   record->max_uses, record->uses, uses_left);
}

/*
 * auth_keys.key_status(revoked_at timestamptz, used_up_at timestamptz,
 *		expires_at timestamptz) RETURNS text
 *		The status of a key row, for the views.
 */
Datum
auth_keys_key_status(PG_FUNCTION_ARGS)
{
	KeyStatus	status;

	if (PG_ARGISNULL(2))
		PG_RETURN_NULL();
	status = KeyStatusFrom(!PG_ARGISNULL(0), !PG_ARGISNULL(1),
						   PG_GETARG_TIMESTAMPTZ(2),
						   GetCurrentTransactionStartTimestamp());
	PG_RETURN_TEXT_P(cstring_to_text(KeyStatusName(status)));
}

/*
 * auth_keys.key_uses_left(reusable boolean, max_uses integer, uses integer)
 *		RETURNS integer
 *		Registrations left on a key row, NULL when unlimited, for the views.
 */
Datum
auth_keys_key_uses_left(PG_FUNCTION_ARGS)
{
	int32		uses_left;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	if (!KeyUsesLeftFrom(PG_GETARG_BOOL(0), !PG_ARGISNULL(1),
						 PG_ARGISNULL(1) ? 0 : PG_GETARG_INT32(1),
						 PG_GETARG_INT32(2), &uses_left))
		PG_RETURN_NULL();
	PG_RETURN_INT32(uses_left);
}
