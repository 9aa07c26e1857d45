/*-------------------------------------------------------------------------
 *
 * oauth_actor.h
 *	  An OAuth client as the actor of a transaction: act_as_token, and
 *	  what its access token allows.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/oauth_actor.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef OAUTH_ACTOR_H
#define OAUTH_ACTOR_H

#include "utils/array.h"
#include "utils/palloc.h"

#include "actor.h"

/* What became of the access token that act_as_token proved. */
typedef enum OAuthTokenState
{
	OAUTH_TOKEN_VALID,
	OAUTH_TOKEN_EXPIRED,
	OAUTH_TOKEN_CLIENT_REVOKED,
	OAUTH_TOKEN_GONE			/* the client is gone (its tailnet deleted) */
} OAuthTokenState;

extern OAuthTokenState OAuthActorResolve(const char *client_id,
										 const char *token_id, bool lock,
										 MemoryContext context, Actor *actor);
extern void OAuthReportInvalidToken(OAuthTokenState state) pg_attribute_noreturn();
extern void OAuthRefuseClient(const Actor *actor) pg_attribute_noreturn();
extern void OAuthRequireScope(const Actor *actor, uint32 scope);
extern bool OAuthClientOwnsTags(const Actor *actor, ArrayType *tags);

#endif							/* OAUTH_ACTOR_H */
