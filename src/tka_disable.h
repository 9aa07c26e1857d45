/*-------------------------------------------------------------------------
 *
 * tka_disable.h
 *	  Disablement secrets: their Argon2i derivation and the check of a
 *	  secret against a state's disablement values.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/tka_disable.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TKA_DISABLE_H
#define TKA_DISABLE_H

#include "tka_types.h"

#define TKA_DISABLEMENT_SALT	"tailscale network-lock disablement salt"
#define TKA_DISABLEMENT_PASSES	4
#define TKA_DISABLEMENT_KIB		(16 * 1024)
#define TKA_DISABLEMENT_LANES	4

extern TkaStatus TkaDisablementKdf(const uint8 *secret, size_t len,
								   uint8 *out, TkaError *err);
extern TkaStatus TkaDisablementCheck(const uint8 *secret, size_t len,
									 const TkaBytes *values, int nvalues,
									 bool *matches, TkaError *err);

#endif							/* TKA_DISABLE_H */
