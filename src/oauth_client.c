/*-------------------------------------------------------------------------
 *
 * oauth_client.c
 *	  OAuth clients: create_oauth_client and revoke_oauth_client.
 *
 * An OAuth client is a credential of a tailnet, not of a person, that an
 * infrastructure-as-code system or a CI pipeline holds to mint tagged keys
 * (the client-credentials grant of oauth_token.c, then act_as_token).  A
 * member who may generate keys creates one with one or more scopes
 * (oauth_scope.c) and tags that the member may apply; tags are required
 * with auth_keys and devices:core, since what such a client makes or
 * changes carries them.  The secret is shown once, in the answer of
 * create_oauth_client; the table keeps its SHA-256 (oauth_credential.c).
 *
 * Revoking a client ends its access tokens at once: they are deleted, and
 * a transaction acting as the client is refused at its next call.  Its
 * keys stay valid, as a key stays valid when the member who made it loses
 * a role they had, unless revoke_keys is true: then its keys that are still
 * valid are revoked in the same transaction, each with a key.revoked event.
 * A client is revoked by the member who created it (while that member may
 * still generate keys) and by the tailnet's owners and admins; keys minted
 * by a client have no personal creator, so they are revoked by that client
 * or by the tailnet's owners and admins (key_revoke.c).
 *
 * Locking: every transaction that acts as a client, or gets a token with
 * its secret, holds the client's row FOR SHARE (oauth_actor.c,
 * oauth_token.c); revoke_oauth_client takes it FOR UPDATE, so it waits for
 * those transactions to end, and then deletes the tokens and revokes the
 * keys with a snapshot taken after the wait (QueryRunLatest): a token or a
 * key that such a transaction made is ended too, whatever the isolation
 * level.  A transaction that acts as the client after the revocation
 * committed sees it (READ COMMITTED) or fails to serialize (REPEATABLE
 * READ, SERIALIZABLE).
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/oauth_client.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"

#include "actor.h"
#include "arguments.h"
#include "event.h"
#include "key_store.h"
#include "oauth_credential.h"
#include "oauth_scope.h"
#include "query.h"
#include "tag.h"
#include "writable.h"

PG_FUNCTION_INFO_V1(auth_keys_create_oauth_client);
PG_FUNCTION_INFO_V1(auth_keys_revoke_oauth_client);

#define OAUTH_DESCRIPTION_MAX 50

/* a random 12-character client id repeats with odds of 1 in 62^12 */
#define CLIENT_ID_ATTEMPTS 3

/* The scopes argument of create_oauth_client, checked. */
static OAuthScopes
read_scopes(FunctionCallInfo fcinfo)
{
	OAuthScopes scopes;
	char	   *unknown;

	RequireArgument(fcinfo, 0);
	switch (OAuthScopesParse(PG_GETARG_ARRAYTYPE_P(0), &scopes, &unknown))
	{
		case OAUTH_SCOPES_OK:
			break;
		case OAUTH_SCOPES_NULL:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("scopes must not contain nulls")));
			break;
		case OAUTH_SCOPES_DIMENSIONS:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("scopes must be a one-dimensional array")));
			break;
		case OAUTH_SCOPES_UNKNOWN:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown OAuth scope \"%s\"", unknown),
					 errhint("The scopes are " OAUTH_SCOPE_NAMES ".")));
			break;
	}
	if (scopes == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an OAuth client needs at least one scope"),
				 errhint("The scopes are " OAUTH_SCOPE_NAMES ".")));
	return scopes;
}

/*
 * auth_keys.create_oauth_client(scopes text[], tags text[], description
 *		text) RETURNS TABLE (client_id text, secret text)
 *		Create an OAuth client of the actor's tailnet; the secret is
 *		returned here and never again.  Actor tier.
 */
Datum
auth_keys_create_oauth_client(PG_FUNCTION_ARGS)
{
	static SqlStatement insert = {
		"INSERT INTO auth_keys.oauth_clients"
		"  (client_id, tailnet_id, description, scopes, tags, created_by, secret_hash)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7)"
		" ON CONFLICT (client_id) DO NOTHING",
		7, {TEXTOID, INT8OID, TEXTOID, TEXTARRAYOID, TEXTARRAYOID, TEXTOID, BYTEAOID}
	};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const Actor *actor;
	OAuthScopes scopes;
	ArrayType  *tags;
	int			ntags = 0;
	text	   *description;
	OAuthCredential credential;
	Datum		values[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};
	bool		inserted = false;
	EventDetail detail;
	Datum		result[2];
	bool		result_nulls[2] = {false, false};

	RequireWritable(fcinfo);
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	actor = ActorRequire();
	if (!RoleMayManageKeys(actor->role))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to create OAuth clients"),
				 errdetail("Member \"%s\" has role %s in tailnet \"%s\".",
						   actor->login, RoleName(actor->role), actor->tailnet),
				 errhint("Only owners, admins, IT admins and network admins, who generate keys, create OAuth clients.")));

	scopes = read_scopes(fcinfo);
	if (PG_ARGISNULL(1))
		tags = construct_empty_array(TEXTOID);
	else
		tags = TagsCanonical(PG_GETARG_ARRAYTYPE_P(1), &ntags);
	if ((scopes & OAUTH_SCOPES_NEEDING_TAGS) != 0 && ntags == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an OAuth client with scope %s needs tags",
						OAuthScopeName((scopes & OAUTH_SCOPE_AUTH_KEYS) ?
									   OAUTH_SCOPE_AUTH_KEYS : OAUTH_SCOPE_DEVICES_CORE)),
				 errdetail("The keys such a client mints and the nodes it manages carry its tags, or tags they own."),
				 errhint("Pass tags => ARRAY['tag:...'] with tags you may apply.")));
	description = PG_ARGISNULL(2) ? NULL : PG_GETARG_TEXT_PP(2);
	if (description != NULL &&
		pg_mbstrlen_with_len(VARDATA_ANY(description),
							 VARSIZE_ANY_EXHDR(description)) > OAUTH_DESCRIPTION_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("OAuth client description must have at most %d characters",
						OAUTH_DESCRIPTION_MAX)));

	SPI_connect();
	if (ntags > 0)
		TagsRequireApplicable(actor, tags);

	OAuthCredentialGenerate(&credential);
	values[1] = Int64GetDatum(actor->tailnet_id);
	values[2] = PointerGetDatum(description);
	nulls[2] = description ? ' ' : 'n';
	values[3] = PointerGetDatum(OAuthScopesToArray(scopes));
	values[4] = PointerGetDatum(tags);
	values[5] = CStringGetTextDatum(actor->login);
	values[6] = PointerGetDatum(OAuthHashBytea(credential.hash));
	for (int attempt = 0; attempt < CLIENT_ID_ATTEMPTS && !inserted; attempt++)
	{
		if (attempt > 0)
			OAuthCredentialNewId(&credential);
		values[0] = CStringGetTextDatum(credential.id);
		inserted = QueryRun(&insert, values, nulls, false) == 1;
	}
	if (!inserted)
		elog(ERROR, "could not find a free OAuth client id");

	EventDetailInit(&detail);
	EventDetailText(&detail, "client_id", credential.id);
	EventDetailTextArray(&detail, "scopes", DatumGetArrayTypeP(values[3]));
	EventDetailTextArray(&detail, "tags", tags);
	EventRecord(actor->login, actor->tailnet_id, "oauth_client.created", NULL,
				EVENT_NO_NODE, &detail);

	result[0] = CStringGetTextDatum(credential.id);
	result[1] = PointerGetDatum(OAuthCredentialText(OAUTH_CLIENT_SECRET, &credential));
	explicit_bzero(&credential, sizeof(credential));
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, result, result_nulls);
	explicit_bzero(VARDATA(DatumGetPointer(result[1])),
				   VARSIZE(DatumGetPointer(result[1])) - VARHDRSZ);
	SPI_finish();
	return (Datum) 0;
}

/*
 * Revoke the keys of a client that are still valid, each with a key.revoked
 * event; see the file header for the snapshot.  Returns how many.  Caller
 * is connected to SPI.
 */
static uint64
revoke_client_keys(const Actor *actor, const char *client_id)
{
	char	  **key_ids;
	uint64		revoked = KeyStoreRevokeClientKeys(actor->tailnet_id, client_id,
												   actor->login, &key_ids);
	EventBatch	events;

	EventBatchInit(&events, actor->login);
	for (uint64 i = 0; i < revoked; i++)
	{
		EventDetail detail;

		CHECK_FOR_INTERRUPTS();
		EventDetailInit(&detail);
		EventDetailText(&detail, "reason", "OAuth client revoked");
		EventDetailText(&detail, "client_id", client_id);
		EventBatchAdd(&events, actor->tailnet_id, "key.revoked", key_ids[i],
					  EVENT_NO_NODE, &detail);
	}
	EventBatchWrite(&events);
	return revoked;
}

/*
 * auth_keys.revoke_oauth_client(client_id text, revoke_keys boolean)
 *		RETURNS void
 *		Revoke an OAuth client, ending its access tokens; with revoke_keys,
 *		revoke its valid keys too.  Actor tier.
 */
Datum
auth_keys_revoke_oauth_client(PG_FUNCTION_ARGS)
{
	static SqlStatement lock_client = {
		"SELECT created_by, revoked_at IS NOT NULL"
		"  FROM auth_keys.oauth_clients"
		" WHERE client_id OPERATOR(pg_catalog.=) $1"
		"   AND tailnet_id OPERATOR(pg_catalog.=) $2"
		"   AND ($3 OR created_by OPERATOR(pg_catalog.=) $4)"
		"   FOR UPDATE",
		4, {TEXTOID, INT8OID, BOOLOID, TEXTOID}
	};
	static SqlStatement revoke = {
		"UPDATE auth_keys.oauth_clients"
		"   SET revoked_at = pg_catalog.now(), revoked_by = $2,"
		"       last_used_at = (SELECT pg_catalog.max(k.created_at)"
		"                         FROM auth_keys.oauth_tokens k"
		"                        WHERE k.client_id OPERATOR(pg_catalog.=) $1)"
		" WHERE client_id OPERATOR(pg_catalog.=) $1",
		2, {TEXTOID, TEXTOID}
	};
	static SqlStatement end_tokens = {
		"DELETE FROM auth_keys.oauth_tokens WHERE client_id OPERATOR(pg_catalog.=) $1",
		1, {TEXTOID}
	};
	const Actor *actor;
	char	   *client_id;
	bool		revoke_keys;
	Datum		values[4];
	bool		own;
	bool		already_revoked;
	uint64		tokens = 0;
	uint64		keys = 0;
	EventDetail detail;

	RequireWritable(fcinfo);
	RequireArgument(fcinfo, 0);
	client_id = text_to_cstring(PG_GETARG_TEXT_PP(0));
	revoke_keys = !PG_ARGISNULL(1) && PG_GETARG_BOOL(1);
	actor = ActorRequire();

	SPI_connect();

	/*
	 * A client the actor may not see (another tailnet's, or another
	 * member's for those who see only their own) answers as an unknown
	 * client id, and is not locked.
	 */
	values[0] = PG_GETARG_DATUM(0);
	values[1] = Int64GetDatum(actor->tailnet_id);
	values[2] = BoolGetDatum(RoleSeesAllKeys(actor->role));
	values[3] = CStringGetTextDatum(actor->login);
	if (QueryRun(&lock_client, values, NULL, false) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("OAuth client \"%s\" does not exist", client_id)));
	own = strcmp(QueryGetText(0, 1), actor->login) == 0;
	already_revoked = DatumGetBool(QueryGetNotNull(0, 2));
	if (!(RoleIsTailnetAdmin(actor->role) || (own && RoleMayManageKeys(actor->role))))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to revoke OAuth client \"%s\"", client_id),
				 own ?
				 errdetail("Member \"%s\" has role %s in tailnet \"%s\".",
						   actor->login, RoleName(actor->role), actor->tailnet) :
				 errdetail("The OAuth client was created by another member."),
				 errhint("The tailnet's owners and admins revoke any OAuth client; owners, admins, IT admins and network admins revoke those they created.")));

	if (already_revoked)
		ereport(NOTICE,
				(errmsg("OAuth client \"%s\" is already revoked", client_id)));
	else
	{
		values[1] = CStringGetTextDatum(actor->login);
		QueryRunLatest(&revoke, values, NULL);
		tokens = QueryRunLatest(&end_tokens, values, NULL);
	}
	if (revoke_keys)
		keys = revoke_client_keys(actor, client_id);

	EventDetailInit(&detail);
	EventDetailText(&detail, "client_id", client_id);
	EventDetailInt64(&detail, "tokens_ended", (int64) tokens);
	EventDetailBool(&detail, "revoke_keys", revoke_keys);
	EventDetailInt64(&detail, "keys_revoked", (int64) keys);
	if (!already_revoked || keys > 0)
		EventRecord(actor->login, actor->tailnet_id, "oauth_client.revoked", NULL,
					EVENT_NO_NODE, &detail);
	SPI_finish();
	PG_RETURN_VOID();
}
