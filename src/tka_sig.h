/*-------------------------------------------------------------------------
 *
 * tka_sig.h
 *	  Verifying a node key signature against the keys an authority
 *	  trusts.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/tka_sig.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TKA_SIG_H
#define TKA_SIG_H

#include "tka_types.h"

extern const char *TkaSigKindName(uint64 kind);
extern TkaStatus TkaNodeKeySigAuthorizingKey(const TkaNodeKeySig *sig,
											 TkaBytes *key_id,
											 TkaError *err);
extern bool TkaNodeKeySigWrappingKey(const TkaNodeKeySig *sig,
									 TkaBytes *wrapping);
extern TkaStatus TkaNodeKeySigVerify(const TkaNodeKeySig *sig,
									 const uint8 *node_key,
									 const TkaState *state,
									 TkaBytes *authorizing_key,
									 TkaError *err);

#endif							/* TKA_SIG_H */
