/*-------------------------------------------------------------------------
 *
 * lock_codec.h
 *	  The Tailnet Lock core's decoders and encoders (src/tka_*) with memory
 *	  from palloc, for the backend.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/lock_codec.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOCK_CODEC_H
#define LOCK_CODEC_H

#include "tka_types.h"

/* What lock_decode and the error reports call each structure. */
typedef enum LockStructure
{
	LOCK_AUM,
	LOCK_SIGNATURE,
	LOCK_KEY,
	LOCK_STATE
} LockStructure;

extern TkaStatus LockDecode(LockStructure structure, const uint8 *data,
							size_t len, void *out, TkaError *err);
extern bytea *LockEncodeState(const TkaState *state);
extern bytea *LockEncodeKey(const TkaKey *key);
extern bytea *LockBytea(const uint8 *data, size_t len);
extern char *LockHex(const uint8 *data, size_t len);

#endif							/* LOCK_CODEC_H */
