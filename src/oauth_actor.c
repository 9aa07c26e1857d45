/*-------------------------------------------------------------------------
 *
 * oauth_actor.c
 *	  An OAuth client as the actor of a transaction: act_as_token, and
 *	  what its access token allows.
 *
 * A delegate (an application backend that holds the delegate tier) calls
 * act_as_token(access_token) in a transaction, and the client that the
 * token belongs to is the actor until the transaction ends, as act_as
 * makes a member the actor (actor.c keeps both in backend memory, never in
 * a setting).  The token is proven once, there; every actor call after it
 * resolves the client afresh by its id and the token's, reading the
 * client's row FOR SHARE (as members are read): a client revoked since is
 * refused at the next call, a token that expired since too, and a
 * revocation waits for the client's transactions that have acted, so that
 * the keys they made are there to be revoked with it.
 *
 * What the client may do is what its token's scopes allow (oauth_scope.c):
 * auth_keys lets create_key, revoke_key and the key lists through
 * (key_create.c and key_revoke.c apply the client's rules), devices:core
 * the node actions on tagged nodes that the token's tags own (node_admin.c),
 * the :read scopes the lists.  Everything else refuses the client with
 * 42501 (ActorRequire).  A client is no member: row-level security gives it
 * no member's rows, and the views its scopes open ask
 * actor_client_tailnet_id.
 *
 * Errors follow RFC 6750 for bearer tokens: a token that is malformed,
 * unknown or forged is 28000 "invalid_token" with no detail at all; one
 * that was proven but has expired, or whose client was revoked, says which
 * in the detail; a scope the token lacks is 42501 "insufficient_scope".
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/oauth_actor.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "actor.h"
#include "arguments.h"
#include "delegate.h"
#include "oauth_actor.h"
#include "oauth_credential.h"
#include "oauth_scope.h"
#include "query.h"
#include "tag.h"
#include "tag_graph.h"

PG_FUNCTION_INFO_V1(auth_keys_act_as_token);
PG_FUNCTION_INFO_V1(auth_keys_actor_client_tailnet_id);

/*
 * OAuthActorResolve
 *		Fill "actor" (strings in "context") with the OAuth client of an access
 *		token, as committed now and locked FOR SHARE with "lock", or as the
 *		active snapshot shows it without; returns whether the token still
 *		makes the client the actor.  A token has expired when its expiry is
 *		not after the start of the current statement.  Caller is connected
 *		to SPI.
 */
OAuthTokenState
OAuthActorResolve(const char *client_id, const char *token_id, bool lock,
				  MemoryContext context, Actor *actor)
{
#define CLIENT_SELECT \
	"SELECT c.tailnet_id, t.name, c.revoked_at IS NOT NULL," \
	"       k.scopes, k.tags, k.expires_at" \
	"  FROM auth_keys.oauth_clients c" \
	"  JOIN auth_keys.tailnets t" \
	"    ON t.tailnet_id OPERATOR(pg_catalog.=) c.tailnet_id" \
	"  LEFT JOIN auth_keys.oauth_tokens k" \
	"    ON k.token_id OPERATOR(pg_catalog.=) $2" \
	"   AND k.client_id OPERATOR(pg_catalog.=) c.client_id" \
	" WHERE c.client_id OPERATOR(pg_catalog.=) $1"
	static SqlStatement by_token[2] = {
		{CLIENT_SELECT, 2, {TEXTOID, TEXTOID}},
		{CLIENT_SELECT " FOR SHARE OF c", 2, {TEXTOID, TEXTOID}}
	};
#undef CLIENT_SELECT
	Datum		values[2];
	bool		isnull;
	Datum		scopes;
	Datum		expires_at;
	ActorClient *client;
	MemoryContext old;
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	values[0] = CStringGetTextDatum(client_id);
	values[1] = CStringGetTextDatum(token_id);
	if (QueryRun(&by_token[lock], values, NULL, !lock) == 0)
		return OAUTH_TOKEN_GONE;
	if (DatumGetBool(QueryGetNotNull(0, 3)))
		return OAUTH_TOKEN_CLIENT_REVOKED;
	scopes = QueryGet(0, 4, &isnull);
	if (isnull)
		return OAUTH_TOKEN_EXPIRED; /* purged after it expired */
	expires_at = QueryGetNotNull(0, 6);
	if (DatumGetTimestampTz(expires_at) <= GetCurrentStatementStartTimestamp())
		return OAUTH_TOKEN_EXPIRED;

	old = MemoryContextSwitchTo(context);
	client = palloc0(sizeof(ActorClient));
	client->client_id = pstrdup(client_id);
	client->scopes = OAuthScopesFromStored(DatumGetArrayTypeP(scopes));
	deconstruct_array(DatumGetArrayTypeP(QueryGetNotNull(0, 5)), TEXTOID, -1, false,
					  TYPALIGN_INT, &elems, &nulls, &n);
	client->tags = palloc(sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (!nulls[i])
			client->tags[client->ntags++] = TextDatumGetCString(elems[i]);
	}
	actor->tailnet_id = DatumGetInt64(QueryGetNotNull(0, 1));
	actor->tailnet = TextDatumGetCString(QueryGetNotNull(0, 2));
	actor->login = psprintf("client:%s", client_id);
	actor->role = ROLE_MEMBER;
	actor->client = client;
	MemoryContextSwitchTo(old);
	return OAUTH_TOKEN_VALID;
}

/*
 * OAuthReportInvalidToken
 *		The error for a proven access token that no longer makes its client
 *		the actor (RFC 6750 invalid_token), saying why.
 */
void
OAuthReportInvalidToken(OAuthTokenState state)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
			 errmsg("invalid_token: invalid OAuth access token"),
			 state == OAUTH_TOKEN_EXPIRED ?
			 errdetail("The access token has expired.") :
			 state == OAUTH_TOKEN_CLIENT_REVOKED ?
			 errdetail("The OAuth client of the access token has been revoked.") :
			 errdetail("The OAuth client of the access token no longer exists.")));
	pg_unreachable();
}

/*
 * OAuthRefuseClient
 *		An OAuth client calls a function that no scope allows.
 */
void
OAuthRefuseClient(const Actor *actor)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("insufficient_scope: an OAuth client may not call this function"),
			 errdetail("OAuth client \"%s\" is acting in this transaction (auth_keys.act_as_token), and no scope allows this function.",
					   actor->client->client_id),
			 errhint("Scope auth_keys allows create_key and revoke_key, devices:core the node functions, and auth_keys:read and devices:core:read the key and node lists.")));
	pg_unreachable();
}

/*
 * OAuthRequireScope
 *		Error unless the acting client's access token allows "scope" (RFC
 *		6750 insufficient_scope).
 */
void
OAuthRequireScope(const Actor *actor, uint32 scope)
{
	Assert(actor->client != NULL);
	if (!OAuthScopesAllow(actor->client->scopes, scope))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("insufficient_scope: the access token does not have scope %s",
						OAuthScopeName(scope)),
				 errdetail("OAuth client \"%s\" acts with an access token of scopes %s.",
						   actor->client->client_id,
						   OAuthScopesDescribe(actor->client->scopes))));
}

/*
 * OAuthClientOwnsTags
 *		Whether the acting client's token tags own every one of "tags" (are
 *		them, or own them, directly or through other tags): a client acts
 *		on nodes whose tags are such.  False for no tags at all.  Caller is
 *		connected to SPI.
 */
bool
OAuthClientOwnsTags(const Actor *actor, ArrayType *tags)
{
	int			n;
	char	  **strings = TextArrayToStrings(tags, "tags", &n);
	TagGraph   *graph;
	bool		owned = n > 0;

	Assert(actor->client != NULL);
	if (!owned)
		return false;
	graph = TagGraphBegin(actor->tailnet_id,
						  (const char *const *) actor->client->tags,
						  actor->client->ntags, false);
	for (int i = 0; i < n && owned; i++)
		owned = TagGraphOwns(graph, strings[i]);
	TagGraphEnd(graph);
	return owned;
}

static void refuse_unproven_token(void) pg_attribute_noreturn();

/* The error for an access token not proven: nothing said about it. */
static void
refuse_unproven_token(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
			 errmsg("invalid_token: invalid OAuth access token")));
}

/*
 * auth_keys.act_as_token(access_token text) RETURNS void
 *		Make the OAuth client of an access token the actor until the end of
 *		the current transaction.  Delegate tier.
 */
Datum
auth_keys_act_as_token(PG_FUNCTION_ARGS)
{
	static SqlStatement lookup = {
		"SELECT k.client_id, c.tailnet_id, t.name, k.token_hash, k.expires_at,"
		"       c.revoked_at IS NOT NULL"
		"  FROM auth_keys.oauth_tokens k"
		"  JOIN auth_keys.oauth_clients c"
		"    ON c.client_id OPERATOR(pg_catalog.=) k.client_id"
		"  JOIN auth_keys.tailnets t"
		"    ON t.tailnet_id OPERATOR(pg_catalog.=) c.tailnet_id"
		" WHERE k.token_id OPERATOR(pg_catalog.=) $1",
		1, {TEXTOID}
	};
	ParsedAuthKey parsed;
	Datum		value;
	bool		proven;
	char	   *client_id;
	int64		tailnet_id;
	char	   *tailnet;
	OAuthTokenState state = OAUTH_TOKEN_VALID;

	RequireArgument(fcinfo, 0);
	if (!OAuthCredentialRead(OAUTH_ACCESS_TOKEN, PG_GETARG_TEXT_PP(0), &parsed))
	{
		explicit_bzero(&parsed, sizeof(parsed));
		refuse_unproven_token();
	}

	SPI_connect();
	value = CStringGetTextDatum(parsed.key_id);
	/* not read-only: a fresh snapshot, which sees a revocation just made */
	proven = QueryRun(&lookup, &value, NULL, false) == 1 &&
		OAuthCredentialMatches(&parsed, DatumGetByteaPP(QueryGetNotNull(0, 4)));
	explicit_bzero(&parsed, sizeof(parsed));
	if (!proven)
		refuse_unproven_token();

	client_id = QueryGetText(0, 1);
	tailnet_id = DatumGetInt64(QueryGetNotNull(0, 2));
	tailnet = QueryGetText(0, 3);
	if (DatumGetBool(QueryGetNotNull(0, 6)))
		state = OAUTH_TOKEN_CLIENT_REVOKED;
	else if (DatumGetTimestampTz(QueryGetNotNull(0, 5)) <= GetCurrentStatementStartTimestamp())
		state = OAUTH_TOKEN_EXPIRED;
	if (state != OAUTH_TOKEN_VALID)
		OAuthReportInvalidToken(state);
	DelegateRequireTailnet(tailnet);
	ActorPushClient(tailnet_id, client_id, TextDatumGetCString(value));
	SPI_finish();

	ActorWarnOutsideTransactionBlock("auth_keys.act_as_token");
	PG_RETURN_VOID();
}

/*
 * auth_keys.actor_client_tailnet_id(scope text) RETURNS bigint
 *		The acting OAuth client's tailnet when its access token allows
 *		"scope", or NULL (no client acts, or the token lacks the scope).
 *		The views that a client's scopes open use it.
 */
Datum
auth_keys_actor_client_tailnet_id(PG_FUNCTION_ARGS)
{
	const Actor *actor = ActorCurrent();
	OAuthScopes scope;
	char	   *name;

	if (PG_ARGISNULL(0) || actor == NULL || actor->client == NULL)
		PG_RETURN_NULL();
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (!OAuthScopeFromName(name, &scope) ||
		!OAuthScopesAllow(actor->client->scopes, scope))
		PG_RETURN_NULL();
	PG_RETURN_INT64(actor->tailnet_id);
}
