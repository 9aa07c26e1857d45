/*-------------------------------------------------------------------------
 *
 * oauth_scope.c
 *	  The scopes of OAuth clients and their access tokens.
 *
 * The scopes are those the reference names for what concerns keys and
 * devices: auth_keys (generate, list and revoke keys), auth_keys:read (list
 * them), devices:core (the node actions) and devices:core:read (list the
 * nodes).  A scope allows what its :read scope allows, so a token of a
 * client with auth_keys may ask for auth_keys:read alone, and never the
 * other way round.  Scopes are stored as text arrays, sorted, each once;
 * in memory they are a bit set.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/oauth_scope.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "oauth_scope.h"

/* The scopes by name, in the sorted order in which arrays list them. */
static const struct
{
	const char *name;
	OAuthScopes scope;
	OAuthScopes implies;		/* what holding it also allows */
}			scope_table[] = {
	{"auth_keys", OAUTH_SCOPE_AUTH_KEYS, OAUTH_SCOPE_AUTH_KEYS_READ},
	{"auth_keys:read", OAUTH_SCOPE_AUTH_KEYS_READ, 0},
	{"devices:core", OAUTH_SCOPE_DEVICES_CORE, OAUTH_SCOPE_DEVICES_CORE_READ},
	{"devices:core:read", OAUTH_SCOPE_DEVICES_CORE_READ, 0},
};

/*
 * OAuthScopeFromName
 *		The scope of a name, or false for a name no scope has.
 */
bool
OAuthScopeFromName(const char *name, OAuthScopes *scope)
{
	for (int i = 0; i < lengthof(scope_table); i++)
		if (strcmp(name, scope_table[i].name) == 0)
		{
			*scope = scope_table[i].scope;
			return true;
		}
	return false;
}

/* OAuthScopeName: the name of one scope bit. */
const char *
OAuthScopeName(OAuthScopes scope)
{
	for (int i = 0; i < lengthof(scope_table); i++)
		if (scope_table[i].scope == scope)
			return scope_table[i].name;
	elog(ERROR, "unknown OAuth scope bit %u", scope);
	pg_unreachable();
}

/*
 * OAuthScopesParse
 *		The scopes named by a text array given by a caller, repeated names
 *		counted once.  Returns what is wrong with the array, if anything;
 *		for an unknown name, *unknown receives it.  The loop over the
 *		caller's elements checks for interrupts.
 */
OAuthScopeProblem
OAuthScopesParse(ArrayType *array, OAuthScopes *scopes, char **unknown)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	*scopes = 0;
	*unknown = NULL;
	if (ARR_NDIM(array) > 1)
		return OAUTH_SCOPES_DIMENSIONS;
	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		OAuthScopes scope;
		char	   *name;

		CHECK_FOR_INTERRUPTS();
		if (nulls[i])
			return OAUTH_SCOPES_NULL;
		name = TextDatumGetCString(elems[i]);
		if (!OAuthScopeFromName(name, &scope))
		{
			*unknown = name;
			return OAUTH_SCOPES_UNKNOWN;
		}
		*scopes |= scope;
		pfree(name);
	}
	return OAUTH_SCOPES_OK;
}

/*
 * OAuthScopesFromStored
 *		The scopes of a stored array (of a client or a token).  A name that
 *		is no scope, which only a direct change of the table could store,
 *		allows nothing.
 */
OAuthScopes
OAuthScopesFromStored(ArrayType *array)
{
	OAuthScopes scopes = 0;
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		OAuthScopes scope;
		char	   *name;

		CHECK_FOR_INTERRUPTS();
		if (nulls[i])
			continue;
		name = TextDatumGetCString(elems[i]);
		if (OAuthScopeFromName(name, &scope))
			scopes |= scope;
		pfree(name);
	}
	return scopes;
}

/*
 * OAuthScopesAllow
 *		Whether holding "held" allows everything in "wanted": each scope
 *		allows itself and its :read scope.
 */
bool
OAuthScopesAllow(OAuthScopes held, OAuthScopes wanted)
{
	OAuthScopes allowed = held;

	for (int i = 0; i < lengthof(scope_table); i++)
		if (held & scope_table[i].scope)
			allowed |= scope_table[i].implies;
	return (wanted & ~allowed) == 0;
}

/* OAuthScopesToArray: the names of a set of scopes, sorted, as text[]. */
ArrayType *
OAuthScopesToArray(OAuthScopes scopes)
{
	Datum		elems[lengthof(scope_table)];
	int			n = 0;

	for (int i = 0; i < lengthof(scope_table); i++)
		if (scopes & scope_table[i].scope)
			elems[n++] = CStringGetTextDatum(scope_table[i].name);
	return construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT);
}

/* OAuthScopesDescribe: "auth_keys, devices:core", or "none", for messages. */
char *
OAuthScopesDescribe(OAuthScopes scopes)
{
	StringInfoData out;

	initStringInfo(&out);
	for (int i = 0; i < lengthof(scope_table); i++)
		if (scopes & scope_table[i].scope)
			appendStringInfo(&out, "%s%s", out.len > 0 ? ", " : "",
							 scope_table[i].name);
	if (out.len == 0)
		appendStringInfoString(&out, "none");
	return out.data;
}
