/*-------------------------------------------------------------------------
 *
 * key_format.h
 *	  Text form of authentication keys: encoding, parsing and checksum.
 *
 * A key reads <prefix>-auth-<key id>-<secret><checksum>, where the prefix
 * is one to 16 lower-case letters and digits, the key id 12 and the secret
 * 32 base62 characters, and the checksum the CRC-32 of everything before
 * it in 6 base62 characters.
 *
 * The credentials of OAuth clients have the same form with an infix of
 * their own: a client secret reads <prefix>-client-<client id>-..., an
 * access token <prefix>-token-<token id>-...  The checksum covers the
 * infix, so no credential of one kind passes for another.
 *
 * This file and key_format.c use no backend services (no palloc, no
 * ereport), so that the parser can be fuzzed without a server.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/key_format.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEY_FORMAT_H
#define KEY_FORMAT_H

#define AUTH_KEY_PREFIX_MAX		16
#define AUTH_KEY_ID_LEN			12
#define AUTH_KEY_SECRET_LEN		32
#define AUTH_KEY_CHECKSUM_LEN	6
#define AUTH_KEY_INFIX			"-auth-"
#define AUTH_KEY_INFIX_LEN		6
#define OAUTH_CLIENT_INFIX		"-client-"
#define OAUTH_TOKEN_INFIX		"-token-"
/* the longest infix of any credential */
#define CREDENTIAL_INFIX_MAX	8

/* longest key text, without the terminating NUL */
#define AUTH_KEY_MAX_LEN \
	(AUTH_KEY_PREFIX_MAX + AUTH_KEY_INFIX_LEN + AUTH_KEY_ID_LEN + 1 + \
	 AUTH_KEY_SECRET_LEN + AUTH_KEY_CHECKSUM_LEN)

/* longest text of any credential (key, client secret, access token) */
#define CREDENTIAL_MAX_LEN \
	(AUTH_KEY_PREFIX_MAX + CREDENTIAL_INFIX_MAX + AUTH_KEY_ID_LEN + 1 + \
	 AUTH_KEY_SECRET_LEN + AUTH_KEY_CHECKSUM_LEN)

/* The two parts of a well-formed key that the server needs. */
typedef struct ParsedAuthKey
{
	char		key_id[AUTH_KEY_ID_LEN + 1];
	char		secret[AUTH_KEY_SECRET_LEN + 1];
} ParsedAuthKey;

extern bool AuthKeyPrefixIsValid(const char *prefix, size_t len);
extern bool AuthKeyIdIsValid(const char *key_id, size_t len);
extern bool AuthKeyParse(const char *text, size_t len, ParsedAuthKey *out);
extern void AuthKeyFormat(const char *prefix, const char *key_id,
						  const char *secret, char *out);
extern bool CredentialParse(const char *text, size_t len, const char *infix,
							ParsedAuthKey *out);
extern void CredentialFormat(const char *prefix, const char *infix,
							 const char *id, const char *secret, char *out);
extern char Base62Digit(unsigned int value);

#endif							/* KEY_FORMAT_H */
