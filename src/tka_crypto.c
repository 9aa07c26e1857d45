/*-------------------------------------------------------------------------
 *
 * tka_crypto.c
 *	  BLAKE2s-256 hashes of Tailnet Lock structures and Ed25519
 *	  verification, with OpenSSL's libcrypto.
 *
 * Hashes are taken over the canonical encoding (tka_encode.c), streamed
 * into the digest without a copy:
 *	- the hash of an AUM covers all of it, signatures included;
 *	- its sighash leaves out the signatures (field 23);
 *	- the sighash of a node key signature leaves out its own signature
 *	  (field 4), but not the nested ones'.
 *
 * A failed verification leaves errors in OpenSSL's per-thread queue;
 * they are cleared here, so that nothing stale reaches the next user of
 * OpenSSL in the same backend (its SSL connection, pgcrypto).
 *
 * Ed25519 is the RFC 8032 verification of OpenSSL (EVP_DigestVerify with
 * no digest).  The reference verifies AUM, direct and credential
 * signatures with ed25519consensus (the ZIP 215 rules), which also
 * accepts some crafted signatures with non-canonical or small-order
 * points that RFC 8032 refuses; every signature an honest signer makes
 * verifies under both.  See test/lock/NOTES.md.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/tka_crypto.c
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include "tka_cbor.h"
#include "tka_crypto.h"
#include "tka_encode.h"
#include "tka_error.h"

/* A digest being fed by a writer, and whether every update worked. */
typedef struct DigestSink
{
	EVP_MD_CTX *ctx;
	bool		failed;
} DigestSink;

/* Feed the bytes written to the digest. */
static void
digest_sink(void *arg, const uint8 *data, size_t len)
{
	DigestSink *d = arg;

	if (!d->failed && EVP_DigestUpdate(d->ctx, data, len) != 1)
		d->failed = true;
}

/* Which encoding to hash. */
typedef enum HashInput
{
	HASH_BYTES,
	HASH_AUM,
	HASH_AUM_SIG,
	HASH_STATE,
	HASH_NODE_KEY_SIG
} HashInput;

/* BLAKE2s-256 of an encoding, written into out (TKA_HASH_LEN bytes). */
static TkaStatus
hash_encoding(HashInput input, const void *value, size_t len, uint8 *out,
			  TkaError *err)
{
	DigestSink	d;
	TkaWriter	w;
	unsigned int outlen = 0;
	bool		encoded = true;

	d.ctx = EVP_MD_CTX_new();
	d.failed = false;
	if (d.ctx == NULL || EVP_DigestInit_ex(d.ctx, EVP_blake2s256(), NULL) != 1)
	{
		EVP_MD_CTX_free(d.ctx);
		ERR_clear_error();
		TkaFail(err, TKA_CRYPTO_FAILURE, "The BLAKE2s-256 digest could not be started.");
		return TKA_CRYPTO_FAILURE;
	}
	TkaWriterInitSink(&w, digest_sink, &d);
	switch (input)
	{
		case HASH_BYTES:
			digest_sink(&d, value, len);
			break;
		case HASH_AUM:
			encoded = TkaEncodeAum(&w, value, true);
			break;
		case HASH_AUM_SIG:
			encoded = TkaEncodeAum(&w, value, false);
			break;
		case HASH_STATE:
			encoded = TkaEncodeState(&w, value);
			break;
		case HASH_NODE_KEY_SIG:
			encoded = TkaEncodeNodeKeySig(&w, value, false);
			break;
	}
	if (!d.failed && encoded && EVP_DigestFinal_ex(d.ctx, out, &outlen) != 1)
		d.failed = true;
	EVP_MD_CTX_free(d.ctx);
	if (!encoded)
	{
		TkaFail(err, TKA_INVALID, "The value has no canonical encoding to hash.");
		return TKA_INVALID;
	}
	if (d.failed || outlen != TKA_HASH_LEN)
	{
		ERR_clear_error();
		TkaFail(err, TKA_CRYPTO_FAILURE, "The BLAKE2s-256 digest failed.");
		return TKA_CRYPTO_FAILURE;
	}
	return TKA_OK;
}

/* TkaBlake2s: BLAKE2s-256 of len bytes at data. */
TkaStatus
TkaBlake2s(const uint8 *data, size_t len, uint8 *out, TkaError *err)
{
	return hash_encoding(HASH_BYTES, data, len, out, err);
}

/* TkaAumHash: the AUM's hash, its identity and its children's parent. */
TkaStatus
TkaAumHash(const TkaAum *aum, uint8 *out, TkaError *err)
{
	return hash_encoding(HASH_AUM, aum, 0, out, err);
}

/* TkaAumSigHash: what the AUM's signatures sign. */
TkaStatus
TkaAumSigHash(const TkaAum *aum, uint8 *out, TkaError *err)
{
	return hash_encoding(HASH_AUM_SIG, aum, 0, out, err);
}

/* TkaStateHash: hash of a state's encoding (a cheap equality check). */
TkaStatus
TkaStateHash(const TkaState *state, uint8 *out, TkaError *err)
{
	return hash_encoding(HASH_STATE, state, 0, out, err);
}

/* TkaNodeKeySigHash: what a node key signature's own signature signs. */
TkaStatus
TkaNodeKeySigHash(const TkaNodeKeySig *sig, uint8 *out, TkaError *err)
{
	return hash_encoding(HASH_NODE_KEY_SIG, sig, 0, out, err);
}

/*
 * TkaEd25519Verify
 *		TKA_OK when signature is a valid Ed25519 signature of the message by
 *		public_key; TKA_REJECTED (with a reason) when it is not, or when a
 *		length is wrong; TKA_CRYPTO_FAILURE when OpenSSL itself failed.
 */
TkaStatus
TkaEd25519Verify(const TkaBytes *public_key, const uint8 *message, size_t len,
				 const TkaBytes *signature, TkaError *err)
{
	EVP_PKEY   *pkey;
	EVP_MD_CTX *ctx;
	int			rc;

	if (public_key->data == NULL || public_key->len != TKA_KEY_LEN)
	{
		TkaFail(err, TKA_REJECTED, "The public key is %z bytes long, not %d.",
				public_key->len, TKA_KEY_LEN);
		return TKA_REJECTED;
	}
	if (signature->data == NULL || signature->len != TKA_SIG_LEN)
	{
		TkaFail(err, TKA_REJECTED, "The signature is %z bytes long, not %d.",
				signature->len, TKA_SIG_LEN);
		return TKA_REJECTED;
	}
	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
									   public_key->data, public_key->len);
	if (pkey == NULL)
	{
		/* OpenSSL takes any 32 bytes; a failure here is its own */
		ERR_clear_error();
		TkaFail(err, TKA_CRYPTO_FAILURE, "OpenSSL could not load the Ed25519 public key.");
		return TKA_CRYPTO_FAILURE;
	}
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) != 1)
	{
		EVP_MD_CTX_free(ctx);
		EVP_PKEY_free(pkey);
		ERR_clear_error();
		TkaFail(err, TKA_CRYPTO_FAILURE, "OpenSSL could not start an Ed25519 verification.");
		return TKA_CRYPTO_FAILURE;
	}
	rc = EVP_DigestVerify(ctx, signature->data, signature->len, message, len);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	if (rc == 1)
		return TKA_OK;
	ERR_clear_error();
	TkaFail(err, TKA_REJECTED, "The Ed25519 signature does not verify.");
	return TKA_REJECTED;
}
