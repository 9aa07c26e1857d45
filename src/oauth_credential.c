/*-------------------------------------------------------------------------
 *
 * oauth_credential.c
 *	  The secrets of OAuth clients and their access tokens: made, written,
 *	  read and proven.
 *
 * Both kinds have the form of a key (key_format.c) with an infix of their
 * own: a client secret reads <prefix>-client-<client id>-<secret><checksum>
 * and an access token <prefix>-token-<token id>-<secret><checksum>, with
 * 32 base62 characters of secret (190 bits from pg_strong_random) and the
 * CRC-32 of everything before the checksum, infix included.  So a mistyped
 * or truncated credential, or one of another kind, is refused before any
 * table is read, and secret scanners can tell the three kinds apart.  The
 * id is the lookup selector (client ids are shown in lists; token ids are
 * never shown).  What the tables keep is the SHA-256 of the secret part,
 * as for keys, compared in constant time.
 *
 * Every copy of a secret made here is zeroed once it is done with; the
 * caller zeroes the OAuthCredential and ParsedAuthKey it holds.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/oauth_credential.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "port.h"
#include "utils/builtins.h"

#include "auth_keys.h"
#include "key_format.h"
#include "key_secret.h"
#include "oauth_credential.h"

static const char *
infix_of(OAuthCredentialKind kind)
{
	return kind == OAUTH_CLIENT_SECRET ? OAUTH_CLIENT_INFIX : OAUTH_TOKEN_INFIX;
}

/*
 * OAuthCredentialGenerate
 *		A random id and secret, and the secret's hash.
 */
void
OAuthCredentialGenerate(OAuthCredential *credential)
{
	KeyRandomBase62(credential->secret, AUTH_KEY_SECRET_LEN);
	credential->secret[AUTH_KEY_SECRET_LEN] = '\0';
	KeyHashSecret(credential->secret, AUTH_KEY_SECRET_LEN, credential->hash);
	OAuthCredentialNewId(credential);
}

/* OAuthCredentialNewId: another random id, after a collision. */
void
OAuthCredentialNewId(OAuthCredential *credential)
{
	KeyRandomBase62(credential->id, AUTH_KEY_ID_LEN);
	credential->id[AUTH_KEY_ID_LEN] = '\0';
}

/*
 * OAuthCredentialText
 *		The full credential as text, under the current auth_keys.key_prefix,
 *		for the one answer that shows it.
 */
text *
OAuthCredentialText(OAuthCredentialKind kind, const OAuthCredential *credential)
{
	char		buf[CREDENTIAL_MAX_LEN + 1];
	text	   *result;

	CredentialFormat(auth_keys_key_prefix, infix_of(kind), credential->id,
					 credential->secret, buf);
	result = cstring_to_text(buf);
	explicit_bzero(buf, sizeof(buf));
	return result;
}

/* OAuthHashBytea: a hash as a bytea datum, for a table. */
bytea *
OAuthHashBytea(const uint8 *hash)
{
	bytea	   *result = palloc(VARHDRSZ + KEY_HASH_LEN);

	SET_VARSIZE(result, VARHDRSZ + KEY_HASH_LEN);
	memcpy(VARDATA(result), hash, KEY_HASH_LEN);
	return result;
}

/*
 * OAuthCredentialRead
 *		Split a presented credential of the given kind into its id and
 *		secret; false for anything that is not one (wrong kind, mistyped,
 *		truncated), before any table is read.
 */
bool
OAuthCredentialRead(OAuthCredentialKind kind, text *value, ParsedAuthKey *parsed)
{
	return CredentialParse(VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value),
						   infix_of(kind), parsed);
}

/*
 * OAuthCredentialMatches
 *		Whether the secret of a parsed credential hashes to the stored hash,
 *		compared in constant time.
 */
bool
OAuthCredentialMatches(const ParsedAuthKey *parsed, bytea *stored)
{
	uint8		computed[KEY_HASH_LEN];
	bool		matches;

	KeyHashSecret(parsed->secret, AUTH_KEY_SECRET_LEN, computed);
	matches = VARSIZE_ANY_EXHDR(stored) == KEY_HASH_LEN &&
		KeyHashMatches((const uint8 *) VARDATA_ANY(stored), computed);
	explicit_bzero(computed, sizeof(computed));
	return matches;
}
