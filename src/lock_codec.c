/*-------------------------------------------------------------------------
 *
 * lock_codec.c
 *	  The Tailnet Lock core's decoders and encoders (src/tka_*) with memory
 *	  from palloc, for the backend.
 *
 * The core takes caller-provided memory and never allocates; here the
 * arena a decoder needs comes from palloc in the current memory context,
 * and lives as long as it: the decoded structure points into the input
 * and into that arena, so both must outlive it.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/lock_codec.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "lock_codec.h"
#include "tka_cbor.h"
#include "tka_decode.h"
#include "tka_encode.h"

/*
 * LockDecode
 *		Decode data as the canonical encoding of one structure into out (a
 *		TkaAum, TkaNodeKeySig, TkaKey or TkaState).  Longer input than the
 *		core takes is refused by the core before any arena is used, so no
 *		arena is allocated for it.
 */
TkaStatus
LockDecode(LockStructure structure, const uint8 *data, size_t len, void *out,
		   TkaError *err)
{
	size_t		size = len > TKA_MAX_INPUT ? 64 : TKA_ARENA_SIZE(len);
	TkaArena	arena;

	TkaArenaInit(&arena, palloc(size), size);
	switch (structure)
	{
		case LOCK_AUM:
			return TkaDecodeAum(data, len, &arena, out, err);
		case LOCK_SIGNATURE:
			return TkaDecodeNodeKeySig(data, len, &arena, out, err);
		case LOCK_KEY:
			return TkaDecodeKey(data, len, &arena, out, err);
		case LOCK_STATE:
			return TkaDecodeState(data, len, &arena, out, err);
	}
	elog(ERROR, "unknown Tailnet Lock structure %d", (int) structure);
	pg_unreachable();
}

/* Encode with encode() into a new bytea: count first, then write. */
static bytea *
encode_bytea(bool (*encode) (TkaWriter *, const void *), const void *value)
{
	TkaWriter	w;
	bytea	   *out;

	TkaWriterInitBuffer(&w, NULL, 0);
	if (!encode(&w, value))
		elog(ERROR, "a Tailnet Lock structure could not be encoded canonically");
	out = palloc(VARHDRSZ + w.len);
	SET_VARSIZE(out, VARHDRSZ + w.len);
	TkaWriterInitBuffer(&w, (uint8 *) VARDATA(out), VARSIZE(out) - VARHDRSZ);
	if (!encode(&w, value) || w.overflow)
		elog(ERROR, "a Tailnet Lock structure could not be encoded canonically");
	return out;
}

static bool
encode_state(TkaWriter *w, const void *value)
{
	return TkaEncodeState(w, value);
}

static bool
encode_key(TkaWriter *w, const void *value)
{
	return TkaEncodeKey(w, value);
}

/* LockEncodeState: the canonical encoding of a state, as stored. */
bytea *
LockEncodeState(const TkaState *state)
{
	return encode_bytea(encode_state, state);
}

/* LockEncodeKey: the canonical encoding of a key, as stored. */
bytea *
LockEncodeKey(const TkaKey *key)
{
	return encode_bytea(encode_key, key);
}

/* LockBytea: a copy of len bytes as a bytea. */
bytea *
LockBytea(const uint8 *data, size_t len)
{
	bytea	   *out = palloc(VARHDRSZ + len);

	SET_VARSIZE(out, VARHDRSZ + len);
	if (len > 0)
		memcpy(VARDATA(out), data, len);
	return out;
}

/* LockHex: len bytes in lower-case hexadecimal, NUL-terminated. */
char *
LockHex(const uint8 *data, size_t len)
{
	char	   *out = palloc(2 * len + 1);

	hex_encode((const char *) data, len, out);
	out[2 * len] = '\0';
	return out;
}
