/*-------------------------------------------------------------------------
 *
 * key_create.c
 *	  auth_keys.create_key: generate a pre-authentication key.
 *
 * The caller gets the full key once, in the result of this function; the
 * table keeps only the key id and the SHA-256 of the secret.  The rules:
 * only owners, admins, IT admins and network admins generate
 * keys; a key expires after 1 to 90 days (90 when not given); its tags must
 * be defined and the actor must own them; its description has at most 50
 * characters; a use limit only makes sense on a reusable key.
 *
 * An OAuth client whose access token has scope auth_keys generates keys
 * too (oauth_actor.c): they belong to the tailnet (created_by is NULL and
 * oauth_client_id names the client), and must carry tags, each one of the
 * token's tags or a tag they own.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/key_create.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "actor.h"
#include "arguments.h"
#include "auth_keys.h"
#include "event.h"
#include "key_format.h"
#include "key_secret.h"
#include "key_store.h"
#include "oauth_scope.h"
#include "query.h"
#include "tag.h"
#include "writable.h"

PG_FUNCTION_INFO_V1(auth_keys_create_key);

#define KEY_EXPIRY_MIN_DAYS 1
#define KEY_EXPIRY_MAX_DAYS 90
#define KEY_DESCRIPTION_MAX 50

/* a random 12-character key id repeats with odds of 1 in 62^12 */
#define KEY_ID_ATTEMPTS 3

/* The arguments of create_key, checked. */
typedef struct KeyRequest
{
	bool		reusable;
	bool		ephemeral;
	bool		preauthorized;
	ArrayType  *tags;
	int			ntags;
	int64		expiry_usecs;
	text	   *description;
	bool		has_max_uses;
	int32		max_uses;
} KeyRequest;

/*
 * Read and check the arguments.  NULL tags mean none and a NULL expiry the
 * default of 90 days, as if they had been left out.
 */
static void
read_request(FunctionCallInfo fcinfo, KeyRequest *req)
{
	RequireArguments(fcinfo, 3);
	req->reusable = PG_GETARG_BOOL(0);
	req->ephemeral = PG_GETARG_BOOL(1);
	req->preauthorized = PG_GETARG_BOOL(2);

	if (PG_ARGISNULL(3))
	{
		req->tags = construct_empty_array(TEXTOID);
		req->ntags = 0;
	}
	else
		req->tags = TagsCanonical(PG_GETARG_ARRAYTYPE_P(3), &req->ntags);

	req->expiry_usecs = PG_ARGISNULL(4) ? KEY_EXPIRY_MAX_DAYS * USECS_PER_DAY :
		IntervalAbsoluteUsecs(PG_GETARG_INTERVAL_P(4));
	if (req->expiry_usecs < KEY_EXPIRY_MIN_DAYS * USECS_PER_DAY ||
		req->expiry_usecs > KEY_EXPIRY_MAX_DAYS * USECS_PER_DAY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("authentication key expiry must be between %d and %d days",
						KEY_EXPIRY_MIN_DAYS, KEY_EXPIRY_MAX_DAYS),
				 errhint("Leave expiry out for the longest, 90 days.")));

	req->description = PG_ARGISNULL(5) ? NULL : PG_GETARG_TEXT_PP(5);
	if (req->description != NULL &&
		pg_mbstrlen_with_len(VARDATA_ANY(req->description),
							 VARSIZE_ANY_EXHDR(req->description)) > KEY_DESCRIPTION_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("authentication key description must have at most %d characters",
						KEY_DESCRIPTION_MAX)));

	req->has_max_uses = !PG_ARGISNULL(6);
	req->max_uses = req->has_max_uses ? PG_GETARG_INT32(6) : 0;
	if (req->has_max_uses && !req->reusable)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_uses applies only to reusable keys"),
				 errhint("A one-off key is used once; pass reusable => true for a limit above one.")));
	if (req->has_max_uses && req->max_uses < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_uses must be at least 1")));
}

/*
 * Insert the key row under a fresh random key id; returns false in the
 * unlikely case that the id is taken.
 */
static bool
insert_key(const Actor *actor, const KeyRequest *req, const char *key_id,
		   const uint8 *hash, TimestampTz expires_at)
{
	NewKey		key;

	key.key_id = key_id;
	key.tailnet_id = actor->tailnet_id;
	/* a key of an OAuth client: the tailnet's, with the client recorded */
	key.created_by = actor->client ? NULL : actor->login;
	key.oauth_client_id = actor->client ? actor->client->client_id : NULL;
	key.description = req->description;
	key.reusable = req->reusable;
	key.ephemeral = req->ephemeral;
	key.preauthorized = req->preauthorized;
	key.tags = req->tags;
	key.has_max_uses = req->has_max_uses;
	key.max_uses = req->max_uses;
	key.expires_at = expires_at;
	key.secret_hash = hash;
	return KeyStoreInsert(&key);
}

/* The audit detail of a new key: its settings, never its secret. */
static void
creation_detail(EventDetail *detail, const KeyRequest *req, TimestampTz expires_at)
{
	EventDetailInit(detail);
	EventDetailBool(detail, "reusable", req->reusable);
	EventDetailBool(detail, "ephemeral", req->ephemeral);
	EventDetailBool(detail, "preauthorized", req->preauthorized);
	EventDetailTextArray(detail, "tags", req->tags);
	EventDetailTimestamp(detail, "expires_at", expires_at);
	if (req->has_max_uses)
		EventDetailInt64(detail, "max_uses", req->max_uses);
}

/*
 * auth_keys.create_key(reusable, ephemeral, preauthorized, tags, expiry,
 *		description, max_uses) RETURNS TABLE (key_id text, key text,
 *		expires_at timestamptz)
 *		Generate a key for the actor's tailnet.  Actor tier.
 */
Datum
auth_keys_create_key(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const Actor *actor;
	KeyRequest	req;
	char		key_id[AUTH_KEY_ID_LEN + 1];
	char		secret[AUTH_KEY_SECRET_LEN + 1];
	char		key[AUTH_KEY_MAX_LEN + 1];
	uint8		hash[KEY_HASH_LEN];
	TimestampTz expires_at;
	bool		inserted = false;
	EventDetail detail;
	Datum		result[3];
	bool		result_nulls[3] = {false, false, false};

	RequireWritable(fcinfo);
	/* the row type the executor expects: no catalog lookups per call */
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);

	actor = ActorRequireScoped(OAUTH_SCOPE_AUTH_KEYS);
	if (actor->client == NULL)
		RequireKeyManager(actor, KEY_GENERATE);
	read_request(fcinfo, &req);
	expires_at = GetCurrentTransactionStartTimestamp() + req.expiry_usecs;
	if (actor->client != NULL && req.ntags == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("an OAuth client may generate only tagged authentication keys"),
				 errdetail("The keys of OAuth client \"%s\" belong to the tailnet, and take the identity of their tags.",
						   actor->client->client_id),
				 errhint("Pass tags => ARRAY['tag:...'] with the client's tags, or tags they own.")));

	SPI_connect();
	if (req.ntags > 0)
		TagsRequireApplicable(actor, req.tags);

	KeyRandomBase62(secret, AUTH_KEY_SECRET_LEN);
	secret[AUTH_KEY_SECRET_LEN] = '\0';
	KeyHashSecret(secret, AUTH_KEY_SECRET_LEN, hash);
	for (int attempt = 0; attempt < KEY_ID_ATTEMPTS && !inserted; attempt++)
	{
		KeyRandomBase62(key_id, AUTH_KEY_ID_LEN);
		key_id[AUTH_KEY_ID_LEN] = '\0';
		inserted = insert_key(actor, &req, key_id, hash, expires_at);
	}
	if (!inserted)
		elog(ERROR, "could not find a free authentication key id");

	creation_detail(&detail, &req, expires_at);
	EventRecord(actor->login, actor->tailnet_id, "key.created", key_id,
				EVENT_NO_NODE, &detail);

	/*
	 * The key exists in the copies made here, each zeroed once the next
	 * holds it, and in the result tuple: PostgreSQL's own copies from there
	 * on (the function scan's tuplestore, the protocol's output buffer) are
	 * freed with the statement, and are beyond reach.
	 */
	AuthKeyFormat(auth_keys_key_prefix, key_id, secret, key);
	explicit_bzero(secret, sizeof(secret));
	result[0] = CStringGetTextDatum(key_id);
	result[1] = CStringGetTextDatum(key);
	result[2] = TimestampTzGetDatum(expires_at);
	explicit_bzero(key, sizeof(key));
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, result, result_nulls);
	explicit_bzero(VARDATA(DatumGetPointer(result[1])),
				   VARSIZE(DatumGetPointer(result[1])) - VARHDRSZ);
	pfree(DatumGetPointer(result[1]));
	SPI_finish();

	return (Datum) 0;
}
