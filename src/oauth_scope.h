/*-------------------------------------------------------------------------
 *
 * oauth_scope.h
 *	  The scopes of OAuth clients and their access tokens.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/oauth_scope.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef OAUTH_SCOPE_H
#define OAUTH_SCOPE_H

#include "utils/array.h"

/* A set of scopes, one bit each. */
typedef uint32 OAuthScopes;

#define OAUTH_SCOPE_AUTH_KEYS			((OAuthScopes) 1 << 0)
#define OAUTH_SCOPE_AUTH_KEYS_READ		((OAuthScopes) 1 << 1)
#define OAUTH_SCOPE_DEVICES_CORE		((OAuthScopes) 1 << 2)
#define OAUTH_SCOPE_DEVICES_CORE_READ	((OAuthScopes) 1 << 3)

/* the scopes that need tags: what they make or change carries tags */
#define OAUTH_SCOPES_NEEDING_TAGS \
	(OAUTH_SCOPE_AUTH_KEYS | OAUTH_SCOPE_DEVICES_CORE)

#define OAUTH_SCOPE_NAMES \
	"auth_keys, auth_keys:read, devices:core and devices:core:read"

/* What OAuthScopesParse found wrong, if anything. */
typedef enum OAuthScopeProblem
{
	OAUTH_SCOPES_OK,
	OAUTH_SCOPES_NULL,			/* a NULL element */
	OAUTH_SCOPES_DIMENSIONS,	/* more than one dimension */
	OAUTH_SCOPES_UNKNOWN		/* a name no scope has */
} OAuthScopeProblem;

extern bool OAuthScopeFromName(const char *name, OAuthScopes *scope);
extern OAuthScopeProblem OAuthScopesParse(ArrayType *array, OAuthScopes *scopes,
										  char **unknown);
extern OAuthScopes OAuthScopesFromStored(ArrayType *array);
extern bool OAuthScopesAllow(OAuthScopes held, OAuthScopes wanted);
extern ArrayType *OAuthScopesToArray(OAuthScopes scopes);
extern char *OAuthScopesDescribe(OAuthScopes scopes);
extern const char *OAuthScopeName(OAuthScopes scope);

#endif							/* OAUTH_SCOPE_H */
