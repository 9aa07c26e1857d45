/*-------------------------------------------------------------------------
 *
 * key_secret.c
 *	  Randomness, hashing and comparison of key secrets.
 *
 * Secrets come from pg_strong_random, the server's cryptographically
 * strong source.  What the keys table keeps is the SHA-256 of the secret,
 * computed with PostgreSQL's own cryptohash API (OpenSSL when the server
 * was built with it), so that pgcrypto's digest(secret, 'sha256') gives the
 * same bytes.  Hashes are compared in constant time.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/key_secret.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/cryptohash.h"
#include "port.h"

#include "key_format.h"
#include "key_secret.h"

/*
 * KeyRandomBase62
 *		Fill "out" with "len" uniformly random base62 characters (no NUL).
 *
 * A random byte maps to a digit only when it is below 248 = 4 * 62, so
 * that every digit is equally likely; other bytes are drawn again.  Each
 * character carries log2(62) = 5.95 bits: a 32-character secret has 190.
 */
void
KeyRandomBase62(char *out, int len)
{
	uint8		buf[64];
	int			used = lengthof(buf);
	int			filled = 0;

	while (filled < len)
	{
		if (used == lengthof(buf))
		{
			if (!pg_strong_random(buf, sizeof(buf)))
				ereport(ERROR,
						(errcode(ERRCODE_INTERNAL_ERROR),
						 errmsg("could not generate random bytes for an authentication key")));
			used = 0;
		}
		if (buf[used] < 248)
			out[filled++] = Base62Digit(buf[used] % 62);
		used++;
	}
	explicit_bzero(buf, sizeof(buf));
}

/*
 * KeyHashSecret
 *		SHA-256 of a secret into "hash" (KEY_HASH_LEN bytes).
 */
void
KeyHashSecret(const char *secret, size_t len, uint8 *hash)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);

	if (ctx == NULL ||
		pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) secret, len) < 0 ||
		pg_cryptohash_final(ctx, hash, KEY_HASH_LEN) < 0)
	{
		const char *reason = ctx ? pg_cryptohash_error(ctx) : "out of memory";

		pg_cryptohash_free(ctx);
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not compute the hash of an authentication key: %s",
						reason)));
	}
	pg_cryptohash_free(ctx);
}

/*
 * KeyHashMatches
 *		Whether two hashes are equal, taking the same time whichever byte
 *		differs, so that response times tell an attacker nothing.
 */
bool
KeyHashMatches(const uint8 *stored, const uint8 *computed)
{
	return timingsafe_bcmp(stored, computed, KEY_HASH_LEN) == 0;
}
