/*-------------------------------------------------------------------------
 *
 * oauth_token.h
 *	  The client-credentials grant's access tokens.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/oauth_token.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef OAUTH_TOKEN_H
#define OAUTH_TOKEN_H

extern uint64 OAuthTokensDeleteExpired(int batch_size);

#endif							/* OAUTH_TOKEN_H */
