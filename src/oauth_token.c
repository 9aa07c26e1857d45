/*-------------------------------------------------------------------------
 *
 * oauth_token.c
 *	  auth_keys.oauth_token: the client-credentials grant of OAuth 2.0
 *	  (RFC 6749, section 4.4).
 *
 * A delegate presents a client's secret, and may ask for fewer scopes and
 * tags than the client has (never more); the answer is an access token
 * that lives auth_keys.oauth_token_lifetime (one hour, the most), for
 * act_as_token.  The token is stored as its id and the SHA-256 of its
 * secret (oauth_credential.c); it dies with its client (revoke_oauth_client
 * deletes it), and tokens of a client that expired are deleted when the
 * client gets its next one, and by the sweep (OAuthTokensDeleteExpired).
 *
 * Errors are those RFC 6749 names, carried in the SQLSTATE, the message
 * (which starts with the name) and the detail:
 *
 *	invalid_client	28000	the secret is malformed, unknown or wrong: no
 *							detail at all; once the secret is proven, a
 *							revoked client says so in the detail
 *	invalid_scope	22S01	a scope is unknown, or exceeds the client's
 *	invalid_target	22T01	a tag is malformed, or not the client's; or a
 *							scope that needs tags gets none
 *
 * The secret is proven first: nothing about the request is answered for an
 * unproven one.  22S01 and 22T01 are of class 22 (data exception, a bad
 * request) with subclasses of the kind the SQL standard leaves to
 * implementations.
 *
 * Locking: the client's row is read FOR SHARE before it is decided on, so
 * that a revocation waits for the grant to commit and then deletes the
 * token it made (oauth_client.c).
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/oauth_token.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/timestamp.h"

#include "arguments.h"
#include "auth_keys.h"
#include "delegate.h"
#include "event.h"
#include "oauth_credential.h"
#include "oauth_scope.h"
#include "oauth_token.h"
#include "query.h"
#include "schema.h"
#include "tag.h"
#include "writable.h"

PG_FUNCTION_INFO_V1(auth_keys_oauth_token);

#define ERRCODE_OAUTH_INVALID_CLIENT	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION
#define ERRCODE_OAUTH_INVALID_SCOPE		MAKE_SQLSTATE('2','2','S','0','1')
#define ERRCODE_OAUTH_INVALID_TARGET	MAKE_SQLSTATE('2','2','T','0','1')

/* a random 12-character token id repeats with odds of 1 in 62^12 */
#define TOKEN_ID_ATTEMPTS 3

/* The client whose secret was presented. */
typedef struct GrantClient
{
	char		client_id[AUTH_KEY_ID_LEN + 1];
	int64		tailnet_id;
	char	   *tailnet;
	OAuthScopes scopes;
	int			ntags;
	char	  **tags;			/* sorted, as stored */
	ArrayType  *tag_array;
} GrantClient;

static void refuse_unproven(void) pg_attribute_noreturn();

/* The error for a secret not proven: nothing said about it. */
static void
refuse_unproven(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_OAUTH_INVALID_CLIENT),
			 errmsg("invalid_client: invalid OAuth client credentials")));
}

/*
 * Prove the presented secret and read its client, FOR SHARE, into
 * "client"; refuses with invalid_client otherwise.  Caller is connected to
 * SPI.
 */
static void
prove_client(text *secret, GrantClient *client)
{
	static SqlStatement lookup = {
		"SELECT c.tailnet_id, t.name, c.scopes, c.tags, c.revoked_at IS NOT NULL,"
		"       c.secret_hash"
		"  FROM auth_keys.oauth_clients c"
		"  JOIN auth_keys.tailnets t"
		"    ON t.tailnet_id OPERATOR(pg_catalog.=) c.tailnet_id"
		" WHERE c.client_id OPERATOR(pg_catalog.=) $1"
		"   FOR SHARE OF c",
		1, {TEXTOID}
	};
	ParsedAuthKey parsed;
	Datum		value;
	bool		proven;

	if (!OAuthCredentialRead(OAUTH_CLIENT_SECRET, secret, &parsed))
	{
		explicit_bzero(&parsed, sizeof(parsed));
		refuse_unproven();
	}
	value = CStringGetTextDatum(parsed.key_id);
	proven = QueryRun(&lookup, &value, NULL, false) == 1 &&
		OAuthCredentialMatches(&parsed, DatumGetByteaPP(QueryGetNotNull(0, 6)));
	memcpy(client->client_id, parsed.key_id, sizeof(client->client_id));
	explicit_bzero(&parsed, sizeof(parsed));
	if (!proven)
		refuse_unproven();

	if (DatumGetBool(QueryGetNotNull(0, 5)))
		ereport(ERROR,
				(errcode(ERRCODE_OAUTH_INVALID_CLIENT),
				 errmsg("invalid_client: invalid OAuth client credentials"),
				 errdetail("The OAuth client has been revoked.")));
	client->tailnet_id = DatumGetInt64(QueryGetNotNull(0, 1));
	client->tailnet = QueryGetText(0, 2);
	client->scopes = OAuthScopesFromStored(DatumGetArrayTypeP(QueryGetNotNull(0, 3)));
	client->tag_array = DatumGetArrayTypePCopy(QueryGetNotNull(0, 4));
	client->tags = TextArrayToStrings(client->tag_array, "tags", &client->ntags);
}

/*
 * The scopes of the token: the client's when none are asked for, or those
 * asked for, each allowed by the client's (invalid_scope otherwise).
 */
static OAuthScopes
token_scopes(FunctionCallInfo fcinfo, const GrantClient *client)
{
	OAuthScopes wanted;
	char	   *unknown;
	OAuthScopes extra;

	if (PG_ARGISNULL(1))
		return client->scopes;
	switch (OAuthScopesParse(PG_GETARG_ARRAYTYPE_P(1), &wanted, &unknown))
	{
		case OAUTH_SCOPES_OK:
			break;
		case OAUTH_SCOPES_NULL:
		case OAUTH_SCOPES_DIMENSIONS:
			ereport(ERROR,
					(errcode(ERRCODE_OAUTH_INVALID_SCOPE),
					 errmsg("invalid_scope: malformed scopes"),
					 errdetail("Scopes are a one-dimensional array of scope names, without nulls.")));
			break;
		case OAUTH_SCOPES_UNKNOWN:
			ereport(ERROR,
					(errcode(ERRCODE_OAUTH_INVALID_SCOPE),
					 errmsg("invalid_scope: unknown scope \"%s\"", unknown),
					 errdetail("The scopes are " OAUTH_SCOPE_NAMES ".")));
			break;
	}
	if (wanted == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OAUTH_INVALID_SCOPE),
				 errmsg("invalid_scope: no scope requested"),
				 errdetail("Ask for some of the OAuth client's scopes (%s), or leave scopes out for all of them.",
						   OAuthScopesDescribe(client->scopes))));
	extra = wanted;
	for (OAuthScopes bit = 1; bit != 0 && bit <= wanted; bit <<= 1)
		if ((wanted & bit) && OAuthScopesAllow(client->scopes, bit))
			extra &= ~bit;
	if (extra != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OAUTH_INVALID_SCOPE),
				 errmsg("invalid_scope: scope %s exceeds the scopes of the OAuth client",
						OAuthScopeName(extra & -extra)),
				 errdetail("OAuth client \"%s\" has scopes %s; a token may narrow them, never widen them.",
						   client->client_id, OAuthScopesDescribe(client->scopes))));
	return wanted;
}

/* a message names this many of the client's tags at most */
#define TAGS_NAMED_MAX 10

/* The client's tags as "tag:a, tag:b", for a message. */
static char *
describe_tags(const GrantClient *client)
{
	StringInfoData out;

	initStringInfo(&out);
	for (int i = 0; i < client->ntags && i < TAGS_NAMED_MAX; i++)
		appendStringInfo(&out, "%s%s", i > 0 ? ", " : "", client->tags[i]);
	if (client->ntags > TAGS_NAMED_MAX)
		appendStringInfo(&out, " and %d more", client->ntags - TAGS_NAMED_MAX);
	return out.data;
}

/*
 * The tags of the token: the client's when none are asked for, or those
 * asked for, each a tag of the client (invalid_target otherwise); a token
 * with a scope that needs tags gets some.  Sets *ntags.
 */
static ArrayType *
token_tags(FunctionCallInfo fcinfo, const GrantClient *client, OAuthScopes scopes,
		   int *ntags)
{
	ArrayType  *tags;

	if (PG_ARGISNULL(2))
	{
		tags = client->tag_array;
		*ntags = client->ntags;
	}
	else
	{
		ArrayType  *wanted = PG_GETARG_ARRAYTYPE_P(2);
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		if (ARR_NDIM(wanted) > 1)
			ereport(ERROR,
					(errcode(ERRCODE_OAUTH_INVALID_TARGET),
					 errmsg("invalid_target: malformed tags"),
					 errdetail("Tags are a one-dimensional array of tags, without nulls.")));
		deconstruct_array(wanted, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
		for (int i = 0; i < n; i++)
		{
			char	   *tag;

			CHECK_FOR_INTERRUPTS();
			if (nulls[i])
				ereport(ERROR,
						(errcode(ERRCODE_OAUTH_INVALID_TARGET),
						 errmsg("invalid_target: malformed tags"),
						 errdetail("Tags are a one-dimensional array of tags, without nulls.")));
			tag = TextDatumGetCString(elems[i]);
			if (!TagIsValid(tag, strlen(tag)))
				ereport(ERROR,
						(errcode(ERRCODE_OAUTH_INVALID_TARGET),
						 errmsg("invalid_target: invalid tag \"%s\"", tag),
						 errdetail("A tag is \"tag:\" followed by a lower-case letter and up to %d more lower-case letters, digits or dashes.",
								   TAG_NAME_MAX - 1)));
			if (bsearch(&tag, client->tags, client->ntags, sizeof(char *),
						pg_qsort_strcmp) == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_OAUTH_INVALID_TARGET),
						 errmsg("invalid_target: tag \"%s\" is not a tag of the OAuth client", tag),
						 client->ntags == 0 ?
						 errdetail("OAuth client \"%s\" has no tags.", client->client_id) :
						 errdetail("OAuth client \"%s\" has tags %s; a token may narrow them, never widen them.",
								   client->client_id, describe_tags(client))));
			pfree(tag);
		}
		tags = TagsCanonical(wanted, ntags);
	}
	if ((scopes & OAUTH_SCOPES_NEEDING_TAGS) != 0 && *ntags == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OAUTH_INVALID_TARGET),
				 errmsg("invalid_target: scope %s needs tags",
						OAuthScopeName((scopes & OAUTH_SCOPE_AUTH_KEYS) ?
									   OAUTH_SCOPE_AUTH_KEYS : OAUTH_SCOPE_DEVICES_CORE)),
				 errdetail("A token with scope auth_keys or devices:core carries at least one of the OAuth client's tags.")));
	return tags;
}

/*
 * auth_keys.oauth_token(secret text, scopes text[], tags text[])
 *		RETURNS TABLE (access_token text, token_type text, expires_in
 *		integer, scopes text[], tags text[])
 *		The client-credentials grant.  Delegate tier.
 */
Datum
auth_keys_oauth_token(PG_FUNCTION_ARGS)
{
	static SqlStatement purge = {
		"DELETE FROM auth_keys.oauth_tokens"
		" WHERE client_id OPERATOR(pg_catalog.=) $1"
		"   AND expires_at OPERATOR(pg_catalog.<=) $2",
		2, {TEXTOID, TIMESTAMPTZOID}
	};
	static SqlStatement insert = {
		"INSERT INTO auth_keys.oauth_tokens"
		"  (token_id, tailnet_id, client_id, scopes, tags, created_at, expires_at, token_hash)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
		" ON CONFLICT (token_id) DO NOTHING",
		8, {TEXTOID, INT8OID, TEXTOID, TEXTARRAYOID, TEXTARRAYOID, TIMESTAMPTZOID,
		TIMESTAMPTZOID, BYTEAOID}
	};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	GrantClient client;
	OAuthScopes scopes;
	ArrayType  *scope_array;
	ArrayType  *tags;
	int			ntags;
	int			lifetime = auth_keys_oauth_token_lifetime_s;
	TimestampTz now = GetCurrentStatementStartTimestamp();
	TimestampTz expires_at = now + (int64) lifetime * USECS_PER_SEC;
	OAuthCredential credential;
	Datum		values[8];
	bool		inserted = false;
	EventDetail detail;
	Datum		result[5];
	bool		result_nulls[5] = {false, false, false, false, false};

	RequireWritable(fcinfo);
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	RequireArgument(fcinfo, 0);

	SPI_connect();
	prove_client(PG_GETARG_TEXT_PP(0), &client);
	DelegateRequireTailnet(client.tailnet);
	scopes = token_scopes(fcinfo, &client);
	scope_array = OAuthScopesToArray(scopes);
	tags = token_tags(fcinfo, &client, scopes, &ntags);

	values[0] = CStringGetTextDatum(client.client_id);
	values[1] = TimestampTzGetDatum(now);
	QueryRun(&purge, values, NULL, false);

	OAuthCredentialGenerate(&credential);
	values[1] = Int64GetDatum(client.tailnet_id);
	values[2] = CStringGetTextDatum(client.client_id);
	values[3] = PointerGetDatum(scope_array);
	values[4] = PointerGetDatum(tags);
	values[5] = TimestampTzGetDatum(now);
	values[6] = TimestampTzGetDatum(expires_at);
	values[7] = PointerGetDatum(OAuthHashBytea(credential.hash));
	for (int attempt = 0; attempt < TOKEN_ID_ATTEMPTS && !inserted; attempt++)
	{
		if (attempt > 0)
			OAuthCredentialNewId(&credential);
		values[0] = CStringGetTextDatum(credential.id);
		inserted = QueryRun(&insert, values, NULL, false) == 1;
	}
	if (!inserted)
		elog(ERROR, "could not find a free OAuth access token id");

	EventDetailInit(&detail);
	EventDetailTextArray(&detail, "scopes", scope_array);
	EventDetailTextArray(&detail, "tags", tags);
	EventDetailTimestamp(&detail, "expires_at", expires_at);
	EventRecord(psprintf("client:%s", client.client_id), client.tailnet_id,
				"oauth_token.granted", NULL, EVENT_NO_NODE, &detail);

	result[0] = PointerGetDatum(OAuthCredentialText(OAUTH_ACCESS_TOKEN, &credential));
	explicit_bzero(&credential, sizeof(credential));
	result[1] = CStringGetTextDatum("Bearer");
	result[2] = Int32GetDatum(lifetime);
	result[3] = PointerGetDatum(scope_array);
	result[4] = PointerGetDatum(tags);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, result, result_nulls);
	explicit_bzero(VARDATA(DatumGetPointer(result[0])),
				   VARSIZE(DatumGetPointer(result[0])) - VARHDRSZ);
	SPI_finish();
	return (Datum) 0;
}

/*
 * OAuthTokensDeleteExpired
 *		Delete up to batch_size access tokens that have expired, for the
 *		sweep (a token in use right now, locked, is left to the next);
 *		returns how many.  A database still on 1.0 has no tokens.
 */
uint64
OAuthTokensDeleteExpired(int batch_size)
{
	static SqlStatement delete = {
		"DELETE FROM auth_keys.oauth_tokens"
		" WHERE token_id OPERATOR(pg_catalog.=) ANY (ARRAY("
		"   SELECT token_id FROM auth_keys.oauth_tokens"
		"    WHERE expires_at OPERATOR(pg_catalog.<=) pg_catalog.now()"
		"    LIMIT $1 FOR UPDATE SKIP LOCKED))",
		1, {INT4OID}
	};
	Datum		value = Int32GetDatum(batch_size);

	if (!OidIsValid(SchemaTable("oauth_tokens")))
		return 0;
	return QueryRun(&delete, &value, NULL, false);
}
