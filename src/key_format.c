/*-------------------------------------------------------------------------
 *
 * key_format.c
 *	  Encode and parse the text form of authentication keys.
 *
 * The checksum lets the server refuse a mistyped, truncated or otherwise
 * damaged key before it reads any table, and lets secret scanners tell a
 * real key from random text, in the manner of GitHub's token format.  It is
 * not a secret and proves nothing: only the hash of the secret does.
 *
 * Keys and the credentials of OAuth clients (client secrets, access tokens)
 * share one format and one parser, told apart by their infix.  Nothing
 * here calls into the backend (see key_format.h).
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/key_format.c
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"

#include "utils/pg_crc.h"

#include "key_format.h"

static const char base62_digits[] =
"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* Base62Digit: the base62 character for a value below 62. */
char
Base62Digit(unsigned int value)
{
	Assert(value < 62);
	return base62_digits[value];
}

/* Value of a base62 character, or -1 for any other byte. */
static int
base62_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 36;
	return -1;
}

static bool
all_base62(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (base62_value((unsigned char) s[i]) < 0)
			return false;
	return true;
}

/* CRC-32 (the one zlib and Ethernet use) of a byte string. */
static uint32
key_crc32(const char *data, size_t len)
{
	pg_crc32	crc;

	INIT_TRADITIONAL_CRC32(crc);
	COMP_TRADITIONAL_CRC32(crc, data, len);
	FIN_TRADITIONAL_CRC32(crc);
	return crc;
}

/* Write a CRC-32 as AUTH_KEY_CHECKSUM_LEN base62 digits, most significant first. */
static void
encode_checksum(uint32 crc, char *out)
{
	for (int i = AUTH_KEY_CHECKSUM_LEN - 1; i >= 0; i--)
	{
		out[i] = base62_digits[crc % 62];
		crc /= 62;
	}
}

/*
 * AuthKeyPrefixIsValid
 *		A lower-case letter, then at most 15 lower-case letters or digits.
 *		The prefix never holds a dash, which is how the parser finds its end.
 */
bool
AuthKeyPrefixIsValid(const char *prefix, size_t len)
{
	if (len < 1 || len > AUTH_KEY_PREFIX_MAX)
		return false;
	if (prefix[0] < 'a' || prefix[0] > 'z')
		return false;
	for (size_t i = 1; i < len; i++)
	{
		char		c = prefix[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

/* AuthKeyIdIsValid: exactly AUTH_KEY_ID_LEN base62 characters. */
bool
AuthKeyIdIsValid(const char *key_id, size_t len)
{
	return len == AUTH_KEY_ID_LEN && all_base62(key_id, len);
}

/*
 * CredentialParse
 *		Split a credential of the kind that "infix" names (AUTH_KEY_INFIX,
 *		OAUTH_CLIENT_INFIX or OAUTH_TOKEN_INFIX) into its id and secret,
 *		checking every character and the checksum.  Returns false for
 *		anything that is not a well-formed credential of that kind; "out"
 *		is then left unspecified.  "text" need not be NUL-terminated and may
 *		hold any bytes.
 */
bool
CredentialParse(const char *text, size_t len, const char *infix,
				ParsedAuthKey *out)
{
	const size_t infix_len = strlen(infix);
	const size_t tail_len = infix_len + AUTH_KEY_ID_LEN + 1 +
		AUTH_KEY_SECRET_LEN + AUTH_KEY_CHECKSUM_LEN;
	size_t		prefix_len;
	const char *p;
	uint32		crc;
	char		expected[AUTH_KEY_CHECKSUM_LEN];

	Assert(infix_len <= CREDENTIAL_INFIX_MAX);
	if (len <= tail_len || len > tail_len + AUTH_KEY_PREFIX_MAX)
		return false;
	prefix_len = len - tail_len;
	if (!AuthKeyPrefixIsValid(text, prefix_len))
		return false;

	p = text + prefix_len;
	if (memcmp(p, infix, infix_len) != 0)
		return false;
	p += infix_len;

	if (!AuthKeyIdIsValid(p, AUTH_KEY_ID_LEN))
		return false;
	memcpy(out->key_id, p, AUTH_KEY_ID_LEN);
	out->key_id[AUTH_KEY_ID_LEN] = '\0';
	p += AUTH_KEY_ID_LEN;

	if (*p != '-')
		return false;
	p++;

	if (!all_base62(p, AUTH_KEY_SECRET_LEN + AUTH_KEY_CHECKSUM_LEN))
		return false;
	memcpy(out->secret, p, AUTH_KEY_SECRET_LEN);
	out->secret[AUTH_KEY_SECRET_LEN] = '\0';
	p += AUTH_KEY_SECRET_LEN;

	crc = key_crc32(text, p - text);
	encode_checksum(crc, expected);
	return memcmp(p, expected, AUTH_KEY_CHECKSUM_LEN) == 0;
}

/*
 * CredentialFormat
 *		Assemble a credential from a valid prefix, its infix, an id and a
 *		secret into "out", which must have room for CREDENTIAL_MAX_LEN + 1
 *		bytes (AUTH_KEY_MAX_LEN + 1 for a key).
 */
void
CredentialFormat(const char *prefix, const char *infix, const char *id,
				 const char *secret, char *out)
{
	size_t		prefix_len = strlen(prefix);
	size_t		infix_len = strlen(infix);
	char	   *p = out;

	Assert(AuthKeyPrefixIsValid(prefix, prefix_len));
	Assert(infix_len <= CREDENTIAL_INFIX_MAX);
	memcpy(p, prefix, prefix_len);
	p += prefix_len;
	memcpy(p, infix, infix_len);
	p += infix_len;
	memcpy(p, id, AUTH_KEY_ID_LEN);
	p += AUTH_KEY_ID_LEN;
	*p++ = '-';
	memcpy(p, secret, AUTH_KEY_SECRET_LEN);
	p += AUTH_KEY_SECRET_LEN;
	encode_checksum(key_crc32(out, p - out), p);
	p += AUTH_KEY_CHECKSUM_LEN;
	*p = '\0';
}

/*
 * AuthKeyParse
 *		Split a key into its key id and secret (CredentialParse for keys).
 */
bool
AuthKeyParse(const char *text, size_t len, ParsedAuthKey *out)
{
	return CredentialParse(text, len, AUTH_KEY_INFIX, out);
}

/*
 * AuthKeyFormat
 *		Assemble a key from a valid prefix, key id and secret into "out",
 *		which must have room for AUTH_KEY_MAX_LEN + 1 bytes.
 */
void
AuthKeyFormat(const char *prefix, const char *key_id, const char *secret,
			  char *out)
{
	CredentialFormat(prefix, AUTH_KEY_INFIX, key_id, secret, out);
}
