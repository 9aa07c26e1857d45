/*-------------------------------------------------------------------------
 *
 * fuzz_tka.c
 *	  libFuzzer harness for the Tailnet Lock core (src/tka_*.c).
 *
 * Every input is decoded as each of the four structures (key, state, AUM,
 * node key signature), from a heap copy of exactly its length into an
 * arena of exactly TKA_ARENA_SIZE(len) bytes, so that AddressSanitizer
 * catches a read past either.  Then:
 *
 *	- a refusal must say why in one sentence of printable ASCII that ends
 *	  with a period, and must never be "no memory" (the arena bound holds);
 *	- an accepted input must re-encode, into a buffer of exactly its
 *	  length, to the very same bytes;
 *	- an accepted structure is validated, hashed, and verified: an AUM as
 *	  a genesis and, when it carries a state, against that state (and then
 *	  applied to it); a node key signature against a state that trusts the
 *	  key of the real credential of test/lock/vectors, for the node key it
 *	  names.  None of this may crash, whatever the verdict.
 *
 * Argon2i (16 MiB a derivation) is left out: it would cost a thousand
 * executions a second and takes no input structure.  Any disagreement
 * aborts, which libFuzzer reports as a crash.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * test/fuzz/fuzz_tka.c
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tka_cbor.h"
#include "tka_crypto.h"
#include "tka_decode.h"
#include "tka_encode.h"
#include "tka_sig.h"
#include "tka_state.h"
#include "tka_validate.h"

/* c.h sends these to the port library, which the harness does not link. */
#undef fprintf

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The key id of the real credential (TAILNET-LOCK.md, vector 3). */
static const uint8 credential_key[TKA_KEY_LEN] = {
	0x9d, 0x7b, 0xb0, 0xe3, 0xf7, 0xd6, 0x9c, 0xd5, 0x94, 0xc1, 0xca, 0x0e,
	0x8c, 0xb7, 0xa6, 0x84, 0xeb, 0xe6, 0x97, 0x58, 0xee, 0x32, 0x5e, 0x65,
	0x84, 0xb9, 0x98, 0xe6, 0xc0, 0x54, 0xb2, 0x3f
};

/* Report a finding and abort, which libFuzzer records as a crash. */
static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_tka: %s\n", what);
	abort();
}

/* A refusal: a sentence of printable ASCII ending in a period. */
static void
check_reason(const TkaError *err, TkaStatus st)
{
	size_t		len = strnlen(err->reason, TKA_REASON_SIZE);

	if (st == TKA_NO_MEMORY)
		fail("the arena bound TKA_ARENA_SIZE did not hold");
	if (err->status != st)
		fail("the error's status is not the one returned");
	if (len == 0 || len >= TKA_REASON_SIZE)
		fail("a refusal without a reason");
	for (size_t i = 0; i < len; i++)
		if (err->reason[i] < 0x20 || err->reason[i] > 0x7E)
			fail("a reason with a byte that is not printable ASCII");
	if (err->reason[len - 1] != '.' && len < TKA_REASON_SIZE - 1)
		fail("a reason that does not end with a period");
	if (err->reason[0] < 'A' || err->reason[0] > 'Z')
		fail("a reason that does not start with a capital letter");
}

/* An accepted input must encode back to itself, in exactly its length. */
static void
check_round_trip(const uint8 *input, size_t size, int which, const void *value)
{
	uint8	   *buf = malloc(size > 0 ? size : 1);
	TkaWriter	w;
	bool		ok;

	if (buf == NULL)
		fail("out of memory");
	TkaWriterInitBuffer(&w, buf, size);
	switch (which)
	{
		case 0:
			ok = TkaEncodeKey(&w, value);
			break;
		case 1:
			ok = TkaEncodeState(&w, value);
			break;
		case 2:
			ok = TkaEncodeAum(&w, value, true);
			break;
		default:
			ok = TkaEncodeNodeKeySig(&w, value, true);
			break;
	}
	if (!ok || w.overflow || w.len != size || memcmp(buf, input, size) != 0)
		fail("an accepted input does not re-encode to itself");
	free(buf);
}

/* A state trusting the credential's key, with one vote. */
static void
make_trusting_state(TkaState *state, TkaKey *key)
{
	TkaStateInitEmpty(state);
	memset(key, 0, sizeof(*key));
	key->kind = TKA_KEY_ED25519;
	key->votes = 1;
	key->public_key.data = credential_key;
	key->public_key.len = TKA_KEY_LEN;
	state->keys = key;
	state->nkeys = 1;
	state->keys_null = false;
}

/* Validate, hash, verify and apply a decoded AUM; nothing may crash. */
static void
exercise_aum(const TkaAum *aum)
{
	uint8		hash[TKA_HASH_LEN];
	uint8		sighash[TKA_HASH_LEN];
	TkaError	err;
	TkaStateBuffer *after = malloc(sizeof(TkaStateBuffer));
	TkaStatus	st;

	if (after == NULL)
		fail("out of memory");
	if (TkaAumHash(aum, hash, &err) != TKA_OK ||
		TkaAumSigHash(aum, sighash, &err) != TKA_OK)
		fail("hashing an accepted AUM failed");
	st = TkaAumValidate(aum, &err);
	if (st != TKA_OK)
		check_reason(&err, st);
	st = TkaAumVerify(aum, NULL, &err);
	if (st != TKA_OK)
		check_reason(&err, st);
	else if (TkaStateApply(NULL, aum, hash, after, &err) != TKA_OK)
		fail("a verified genesis does not apply");
	if (aum->has_state)
	{
		st = TkaAumVerify(aum, &aum->state, &err);
		if (st != TKA_OK)
			check_reason(&err, st);
		st = TkaStateApply(&aum->state, aum, hash, after, &err);
		if (st != TKA_OK)
			check_reason(&err, st);
		(void) TkaAumWeight(aum, &aum->state);
	}
	free(after);
}

/* Verify a decoded node key signature for the node key it names. */
static void
exercise_sig(const TkaNodeKeySig *sig)
{
	uint8		node_key[TKA_NODE_KEY_LEN] = {0};
	uint8		sighash[TKA_HASH_LEN];
	TkaState	state;
	TkaKey		key;
	TkaBytes	authorizing;
	TkaError	err;
	TkaStatus	st;

	if (TkaNodeKeySigHash(sig, sighash, &err) != TKA_OK)
		fail("hashing an accepted node key signature failed");
	if (sig->pubkey.len == TKA_NODE_PUB_LEN)
		memcpy(node_key, sig->pubkey.data + 2, TKA_NODE_KEY_LEN);
	make_trusting_state(&state, &key);
	st = TkaNodeKeySigAuthorizingKey(sig, &authorizing, &err);
	if (st != TKA_OK)
		check_reason(&err, st);
	st = TkaNodeKeySigVerify(sig, node_key, &state, &authorizing, &err);
	if (st != TKA_OK)
		check_reason(&err, st);
	else if (authorizing.len != TKA_KEY_LEN ||
			 memcmp(authorizing.data, credential_key, TKA_KEY_LEN) != 0)
		fail("a verified signature names another authorizing key");
}

/* One input, decoded as each of the four structures. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8	   *input;
	size_t		arena_size = TKA_ARENA_SIZE(size);
	void	   *memory;

	if (size > 64 * 1024)
		return 0;
	input = malloc(size > 0 ? size : 1);
	memory = malloc(arena_size);
	if (input == NULL || memory == NULL)
		fail("out of memory");
	memcpy(input, data, size);

	for (int which = 0; which < 4; which++)
	{
		TkaArena	arena;
		TkaError	err;
		TkaStatus	st;
		union
		{
			TkaKey		key;
			TkaState	state;
			TkaAum		aum;
			TkaNodeKeySig sig;
		}			value;

		TkaArenaInit(&arena, memory, arena_size);
		memset(&err, 0, sizeof(err));
		switch (which)
		{
			case 0:
				st = TkaDecodeKey(input, size, &arena, &value.key, &err);
				break;
			case 1:
				st = TkaDecodeState(input, size, &arena, &value.state, &err);
				break;
			case 2:
				st = TkaDecodeAum(input, size, &arena, &value.aum, &err);
				break;
			default:
				st = TkaDecodeNodeKeySig(input, size, &arena, &value.sig, &err);
				break;
		}
		if (st != TKA_OK)
		{
			check_reason(&err, st);
			continue;
		}
		if (arena.used > arena_size)
			fail("the arena was overrun");
		check_round_trip(input, size, which, &value);
		if (which == 0)
		{
			st = TkaKeyValidate(&value.key, &err);
			if (st != TKA_OK)
				check_reason(&err, st);
		}
		else if (which == 1)
		{
			uint8		hash[TKA_HASH_LEN];

			st = TkaCheckpointStateValidate(&value.state, &err);
			if (st != TKA_OK)
				check_reason(&err, st);
			if (TkaStateHash(&value.state, hash, &err) != TKA_OK)
				fail("hashing an accepted state failed");
		}
		else if (which == 2)
			exercise_aum(&value.aum);
		else
			exercise_sig(&value.sig);
	}
	free(memory);
	free(input);
	return 0;
}
