/*-------------------------------------------------------------------------
 *
 * tka_crypto.h
 *	  BLAKE2s-256 hashes of Tailnet Lock structures and Ed25519
 *	  verification, with OpenSSL's libcrypto.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/tka_crypto.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TKA_CRYPTO_H
#define TKA_CRYPTO_H

#include "tka_types.h"

extern TkaStatus TkaBlake2s(const uint8 *data, size_t len, uint8 *out,
							TkaError *err);
extern TkaStatus TkaAumHash(const TkaAum *aum, uint8 *out, TkaError *err);
extern TkaStatus TkaAumSigHash(const TkaAum *aum, uint8 *out, TkaError *err);
extern TkaStatus TkaStateHash(const TkaState *state, uint8 *out,
							  TkaError *err);
extern TkaStatus TkaNodeKeySigHash(const TkaNodeKeySig *sig, uint8 *out,
								   TkaError *err);
extern TkaStatus TkaEd25519Verify(const TkaBytes *public_key,
								  const uint8 *message, size_t len,
								  const TkaBytes *signature, TkaError *err);

#endif							/* TKA_CRYPTO_H */
