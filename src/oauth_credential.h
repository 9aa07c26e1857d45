/*-------------------------------------------------------------------------
 *
 * oauth_credential.h
 *	  The secrets of OAuth clients and their access tokens: made, written,
 *	  read and proven.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/oauth_credential.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef OAUTH_CREDENTIAL_H
#define OAUTH_CREDENTIAL_H

#include "key_format.h"
#include "key_secret.h"

typedef enum OAuthCredentialKind
{
	OAUTH_CLIENT_SECRET,		/* <prefix>-client-<client id>-... */
	OAUTH_ACCESS_TOKEN			/* <prefix>-token-<token id>-... */
} OAuthCredentialKind;

/* A new credential: its id, its secret and the secret's hash. */
typedef struct OAuthCredential
{
	char		id[AUTH_KEY_ID_LEN + 1];
	char		secret[AUTH_KEY_SECRET_LEN + 1];
	uint8		hash[KEY_HASH_LEN];
} OAuthCredential;

extern void OAuthCredentialGenerate(OAuthCredential *credential);
extern void OAuthCredentialNewId(OAuthCredential *credential);
extern text *OAuthCredentialText(OAuthCredentialKind kind,
								 const OAuthCredential *credential);
extern bytea *OAuthHashBytea(const uint8 *hash);
extern bool OAuthCredentialRead(OAuthCredentialKind kind, text *value,
								ParsedAuthKey *parsed);
extern bool OAuthCredentialMatches(const ParsedAuthKey *parsed, bytea *stored);

#endif							/* OAUTH_CREDENTIAL_H */
