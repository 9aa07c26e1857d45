/*-------------------------------------------------------------------------
 *
 * tka_decode.h
 *	  Decoding canonical CBOR into the Tailnet Lock structures.
 *
 * Each decoder accepts exactly the canonical encoding of one structure
 * and nothing else: any input it accepts re-encodes (tka_encode.h) to the
 * same bytes, which it checks before returning.  It does not judge the
 * values (votes in range, lengths of keys and hashes, the rules of each
 * AUM kind): that is tka_validate.h.  So a decoded value can be shown
 * (lock_decode) even when it could never be accepted.
 *
 * Strings are not copied: the decoded structure points into "data",
 * which must outlive it.  Its arrays are carved from a TkaArena of
 * TKA_ARENA_SIZE(len) bytes, which is always enough for an input of len
 * bytes.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/tka_decode.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TKA_DECODE_H
#define TKA_DECODE_H

#include "tka_types.h"

/* Caller-provided memory for the arrays of decoded structures. */
typedef struct TkaArena
{
	char	   *base;
	size_t		size;
	size_t		used;
} TkaArena;

/*
 * Arena bytes that always suffice to decode len bytes: no element of an
 * array takes more than 16 bytes of arena per byte of input it needs, an
 * allocation wastes at most 7 bytes to alignment and has a head byte of
 * its own, and a chain of node key signatures (at most TKA_MAX_DEPTH)
 * needs less than 4096 bytes.
 */
#define TKA_ARENA_SIZE(len)		((size_t) (len) * 24 + 4096)

extern void TkaArenaInit(TkaArena *arena, void *memory, size_t size);

extern TkaStatus TkaDecodeKey(const uint8 *data, size_t len, TkaArena *arena,
							  TkaKey *out, TkaError *err);
extern TkaStatus TkaDecodeState(const uint8 *data, size_t len,
								TkaArena *arena, TkaState *out,
								TkaError *err);
extern TkaStatus TkaDecodeAum(const uint8 *data, size_t len, TkaArena *arena,
							  TkaAum *out, TkaError *err);
extern TkaStatus TkaDecodeNodeKeySig(const uint8 *data, size_t len,
									 TkaArena *arena, TkaNodeKeySig *out,
									 TkaError *err);

#endif							/* TKA_DECODE_H */
