/*-------------------------------------------------------------------------
 *
 * tka_disable.c
 *	  Disablement secrets: their Argon2i derivation and the check of a
 *	  secret against a state's disablement values.
 *
 * The reference (tka/state.go, DisablementKDF) derives a disablement value
 * with golang.org/x/crypto/argon2.Key: Argon2i, version 0x13, the salt
 * "tailscale network-lock disablement salt", 4 passes, 16 MiB, 4 lanes,
 * 32 bytes, no secret key and no associated data.  Debian's libargon2
 * computes the same with the lanes run one after the other in the calling
 * thread (threads = 1): the result does not depend on the number of
 * threads, and a backend must not start any.  libargon2 allocates its
 * 16 MiB with malloc and frees it before returning.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/tka_disable.c
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"

#include <argon2.h>
#include <openssl/crypto.h>

#include "tka_disable.h"
#include "tka_error.h"

static const uint8 disablement_salt[] = TKA_DISABLEMENT_SALT;

/*
 * TkaDisablementKdf
 *		The disablement value (TKA_DISABLEMENT_LEN bytes, into out) of a
 *		secret of len bytes.
 */
TkaStatus
TkaDisablementKdf(const uint8 *secret, size_t len, uint8 *out, TkaError *err)
{
	argon2_context ctx;
	int			rc;

	if (len > TKA_MAX_INPUT)
	{
		TkaFail(err, TKA_INVALID, "The disablement secret is %z bytes long, more than the %d allowed.",
				len, TKA_MAX_INPUT);
		return TKA_INVALID;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.out = out;
	ctx.outlen = TKA_DISABLEMENT_LEN;
	/* libargon2 only reads the password unless asked to clear it */
	ctx.pwd = len > 0 ? unconstify(uint8 *, secret) : NULL;
	ctx.pwdlen = (uint32) len;
	ctx.salt = unconstify(uint8 *, &disablement_salt[0]);
	ctx.saltlen = sizeof(disablement_salt) - 1;
	ctx.t_cost = TKA_DISABLEMENT_PASSES;
	ctx.m_cost = TKA_DISABLEMENT_KIB;
	ctx.lanes = TKA_DISABLEMENT_LANES;
	ctx.threads = 1;
	ctx.version = ARGON2_VERSION_13;
	ctx.flags = ARGON2_DEFAULT_FLAGS;

	rc = argon2_ctx(&ctx, Argon2_i);
	if (rc != ARGON2_OK)
	{
		TkaFail(err, TKA_CRYPTO_FAILURE, "Argon2i failed: %s.", argon2_error_message(rc));
		return TKA_CRYPTO_FAILURE;
	}
	return TKA_OK;
}

/*
 * TkaDisablementCheck
 *		Set *matches to whether the secret derives one of the nvalues
 *		disablement values.  Every value is compared, in constant time, so
 *		the time taken tells nothing of which one matched.
 */
TkaStatus
TkaDisablementCheck(const uint8 *secret, size_t len, const TkaBytes *values,
					int nvalues, bool *matches, TkaError *err)
{
	uint8		derived[TKA_DISABLEMENT_LEN];
	TkaStatus	st;
	int			found = 0;

	*matches = false;
	if ((st = TkaDisablementKdf(secret, len, derived, err)) != TKA_OK)
		return st;
	for (int i = 0; i < nvalues; i++)
	{
		if (values[i].len != TKA_DISABLEMENT_LEN)
			continue;
		found |= CRYPTO_memcmp(derived, values[i].data, TKA_DISABLEMENT_LEN) == 0;
	}
	OPENSSL_cleanse(derived, sizeof(derived));
	*matches = found != 0;
	return TKA_OK;
}
