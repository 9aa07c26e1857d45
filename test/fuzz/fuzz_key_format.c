/*-------------------------------------------------------------------------
 *
 * fuzz_key_format.c
 *	  libFuzzer harness for the text form of authentication keys, and of
 *	  the credentials of OAuth clients that share it (client secrets,
 *	  access tokens: the same form with an infix of their own).
 *
 * Every input is checked twice, for each of the three kinds.
 *
 * First as a candidate: AuthKeyParse (for keys) and CredentialParse (for
 * every kind) must agree with an independent reference parser written here
 * (bitwise CRC-32, its own way of splitting the text), and a credential
 * they accept must format back to the input byte for byte.  The input is
 * copied into a heap buffer of exactly its length, so that
 * AddressSanitizer catches any read past "len".
 *
 * Then as material: the input is turned into a valid prefix, id and
 * secret, CredentialFormat (AuthKeyFormat for keys) assembles one of each
 * kind, and the parser of that kind must accept it and give back the same
 * id and secret, while the parsers of the two other kinds refuse it (the
 * checksum covers the infix); and it must refuse the credential once any
 * one of its characters (chosen by the input) is replaced by another byte:
 * a CRC-32 detects every error confined to one byte.
 *
 * Any disagreement aborts, which libFuzzer reports as a crash.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * test/fuzz/fuzz_key_format.c
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "key_format.h"

/* c.h sends these to the port library, which the harness does not link. */
#undef fprintf

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the kinds of credential, by their infix */
static const char *const infixes[] = {AUTH_KEY_INFIX, OAUTH_CLIENT_INFIX, OAUTH_TOKEN_INFIX};
#define KINDS lengthof(infixes)

#define TAIL_LEN(infix_len) \
	((infix_len) + AUTH_KEY_ID_LEN + 1 + AUTH_KEY_SECRET_LEN + \
	 AUTH_KEY_CHECKSUM_LEN)

/* the parser of a kind: AuthKeyParse for keys, as the server calls it */
static bool
parse_kind(int kind, const char *text, size_t len, ParsedAuthKey *out)
{
	return kind == 0 ? AuthKeyParse(text, len, out) :
		CredentialParse(text, len, infixes[kind], out);
}

static const char ref_digits[] =
"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_key_format: %s\n", what);
	abort();
}

static bool
ref_is_base62(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
		(c >= 'a' && c <= 'z');
}

/* zlib's CRC-32, one bit at a time: no table shared with the code tested. */
static uint32
ref_crc32(const unsigned char *p, size_t len)
{
	uint32		crc = 0xFFFFFFFF;

	for (size_t i = 0; i < len; i++)
	{
		crc ^= p[i];
		for (int bit = 0; bit < 8; bit++)
			crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
	}
	return crc ^ 0xFFFFFFFF;
}

/*
 * The reference parser: the prefix runs to the first dash, the infix
 * ("-auth-", "-client-" or "-token-") follows, then 12 base62 characters,
 * a dash and 38 base62 characters, the last six of which are the CRC-32 of
 * everything before them, in base62, most significant digit first.
 */
static bool
ref_parse(const unsigned char *s, size_t len, const char *infix, size_t *prefix_len)
{
	const unsigned char *dash = memchr(s, '-', len);
	size_t		ilen = strlen(infix);
	size_t		plen,
				rest;
	uint32		crc;
	char		sum[AUTH_KEY_CHECKSUM_LEN];

	if (dash == NULL)
		return false;
	plen = dash - s;
	if (plen < 1 || plen > 16 || s[0] < 'a' || s[0] > 'z')
		return false;
	for (size_t i = 1; i < plen; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	rest = len - plen;
	if (rest != ilen + 12 + 1 + 38 || memcmp(dash, infix, ilen) != 0)
		return false;
	for (size_t i = 0; i < 12; i++)
		if (!ref_is_base62(dash[ilen + i]))
			return false;
	if (dash[ilen + 12] != '-')
		return false;
	for (size_t i = 0; i < 38; i++)
		if (!ref_is_base62(dash[ilen + 13 + i]))
			return false;

	crc = ref_crc32(s, len - 6);
	for (int i = 5; i >= 0; i--)
	{
		sum[i] = ref_digits[crc % 62];
		crc /= 62;
	}
	*prefix_len = plen;
	return memcmp(s + len - 6, sum, 6) == 0;
}

/* The input as a candidate credential of one kind. */
static void
check_candidate(const uint8_t *data, size_t size, int kind)
{
	const char *infix = infixes[kind];
	size_t		infix_len = strlen(infix);
	char	   *text = malloc(size > 0 ? size : 1);
	ParsedAuthKey parsed;
	size_t		ref_prefix_len = 0;
	bool		ok,
				ref_ok;

	if (text == NULL)
		fail("out of memory");
	memcpy(text, data, size);
	/* exactly "size" bytes: nothing after them may be read */
	if (size == 0)
	{
		free(text);
		text = NULL;
	}

	ok = parse_kind(kind, text, size, &parsed);
	ref_ok = size > 0 && ref_parse((const unsigned char *) text, size, infix,
								   &ref_prefix_len);
	if (ok != ref_ok)
		fail(ok ? "accepted a key the reference parser refuses"
			 : "refused a key the reference parser accepts");

	if (ok)
	{
		char		prefix[AUTH_KEY_PREFIX_MAX + 1];
		char		again[CREDENTIAL_MAX_LEN + 1];
		size_t		prefix_len = size - TAIL_LEN(infix_len);
		size_t		id_at = prefix_len + infix_len;

		if (prefix_len != ref_prefix_len)
			fail("prefix length differs from the reference parser's");
		if (strlen(parsed.key_id) != AUTH_KEY_ID_LEN ||
			memcmp(parsed.key_id, text + id_at, AUTH_KEY_ID_LEN) != 0)
			fail("id is not the one in the credential");
		if (strlen(parsed.secret) != AUTH_KEY_SECRET_LEN ||
			memcmp(parsed.secret, text + id_at + AUTH_KEY_ID_LEN + 1,
				   AUTH_KEY_SECRET_LEN) != 0)
			fail("secret is not the one in the credential");
		if (!AuthKeyIdIsValid(parsed.key_id, AUTH_KEY_ID_LEN))
			fail("parsed key id is not valid");
		if (!AuthKeyPrefixIsValid(text, prefix_len))
			fail("parsed prefix is not valid");

		memcpy(prefix, text, prefix_len);
		prefix[prefix_len] = '\0';
		if (kind == 0)
			AuthKeyFormat(prefix, parsed.key_id, parsed.secret, again);
		else
			CredentialFormat(prefix, infix, parsed.key_id, parsed.secret, again);
		if (strlen(again) != size || memcmp(again, text, size) != 0)
			fail("formatting a parsed credential does not give the input back");

		/* no text is a credential of two kinds */
		for (int other = 0; other < KINDS; other++)
			if (other != kind && parse_kind(other, text, size, &parsed))
				fail("a credential parses as one of another kind too");
	}
	free(text);
}

/* The input as material for a credential of one kind that must round-trip. */
static void
check_formatted(const uint8_t *data, size_t size, int kind)
{
	const char *infix = infixes[kind];
	char		prefix[AUTH_KEY_PREFIX_MAX + 1];
	char		key_id[AUTH_KEY_ID_LEN + 1];
	char		secret[AUTH_KEY_SECRET_LEN + 1];
	char	   *key;
	char	   *copy;
	size_t		len,
				prefix_len,
				n = 0,
				pos;
	ParsedAuthKey parsed;

	/* next byte of material, zero when it runs out */
#define NEXT() (n < size ? data[n++] : 0)

	prefix_len = 1 + NEXT() % AUTH_KEY_PREFIX_MAX;
	prefix[0] = 'a' + NEXT() % 26;
	for (size_t i = 1; i < prefix_len; i++)
		prefix[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[NEXT() % 36];
	prefix[prefix_len] = '\0';
	for (int i = 0; i < AUTH_KEY_ID_LEN; i++)
		key_id[i] = ref_digits[NEXT() % 62];
	key_id[AUTH_KEY_ID_LEN] = '\0';
	for (int i = 0; i < AUTH_KEY_SECRET_LEN; i++)
		secret[i] = ref_digits[NEXT() % 62];
	secret[AUTH_KEY_SECRET_LEN] = '\0';

	/* the output buffer is exactly as large as the header says it must be */
	key = malloc(kind == 0 ? AUTH_KEY_MAX_LEN + 1 : CREDENTIAL_MAX_LEN + 1);
	if (key == NULL)
		fail("out of memory");
	if (kind == 0)
		AuthKeyFormat(prefix, key_id, secret, key);
	else
		CredentialFormat(prefix, infix, key_id, secret, key);
	len = strlen(key);
	if (len != prefix_len + TAIL_LEN(strlen(infix)))
		fail("formatted credential has the wrong length");
	{
		size_t		ref_prefix_len;

		if (!ref_parse((const unsigned char *) key, len, infix, &ref_prefix_len))
			fail("the reference parser refuses a formatted credential");
	}

	copy = malloc(len);
	if (copy == NULL)
		fail("out of memory");
	memcpy(copy, key, len);
	if (!parse_kind(kind, copy, len, &parsed))
		fail("a formatted credential does not parse");
	if (strcmp(parsed.key_id, key_id) != 0 || strcmp(parsed.secret, secret) != 0)
		fail("a formatted credential parses to another id or secret");
	for (int other = 0; other < KINDS; other++)
		if (other != kind && parse_kind(other, copy, len, &parsed))
			fail("a formatted credential parses as one of another kind");

	/* one byte replaced, anywhere, by any other byte: refused */
	pos = NEXT();
	pos = (pos << 8 | NEXT()) % len;
	{
		uint8		delta = NEXT();

		if (delta == 0)
			delta = 1;
		copy[pos] = (char) ((uint8) copy[pos] ^ delta);
	}
	if (parse_kind(kind, copy, len, &parsed))
		fail("a credential with one byte changed still parses");
#undef NEXT

	free(copy);
	free(key);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int kind = 0; kind < KINDS; kind++)
	{
		check_candidate(data, size, kind);
		check_formatted(data, size, kind);
	}
	return 0;
}
