/*-------------------------------------------------------------------------
 *
 * tka_validate.c
 *	  Static validity of decoded keys, checkpoint states and AUMs: the
 *	  rules of the reference's Key.StaticValidate, AUM.StaticValidate and
 *	  State.staticValidateCheckpoint, which need no other AUM.
 *
 * Three rules are stricter than the reference's, each refusing only what
 * could never verify or what the reference itself mishandles (see
 * test/lock/NOTES.md): a key's public key must be 32 bytes; a parent
 * hash must be null or 32 bytes; and an AUM kind must be one of the five
 * known, where the reference applies unknown kinds as no-ops.
 *
 * Failures are TKA_INVALID.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/tka_validate.c
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"

#include "tka_error.h"
#include "tka_validate.h"

/* TkaAumKindName: the reference's name of an AUM kind. */
const char *
TkaAumKindName(uint64 kind)
{
	switch (kind)
	{
		case TKA_AUM_ADD_KEY:
			return "AddKey";
		case TKA_AUM_REMOVE_KEY:
			return "RemoveKey";
		case TKA_AUM_NO_OP:
			return "NoOp";
		case TKA_AUM_UPDATE_KEY:
			return "UpdateKey";
		case TKA_AUM_CHECKPOINT:
			return "Checkpoint";
	}
	return "unknown";
}

/* TkaMetaBytes: bytes of all keys and values, as the limit counts them. */
size_t
TkaMetaBytes(const TkaMeta *meta)
{
	size_t		total = 0;

	for (int i = 0; i < meta->count; i++)
		total += meta->entries[i].key.len + meta->entries[i].value.len;
	return total;
}

/* The status just reported in err (TKA_INVALID when err is NULL). */
static TkaStatus
invalid(TkaError *err)
{
	return err != NULL ? err->status : TKA_INVALID;
}

/*
 * TkaKeyValidate
 *		An Ed25519 key (kind 1) of 32 bytes, with 1 to 4096 votes and at
 *		most 512 bytes of meta.
 */
TkaStatus
TkaKeyValidate(const TkaKey *key, TkaError *err)
{
	size_t		meta_bytes = TkaMetaBytes(&key->meta);

	if (key->votes > TKA_MAX_VOTES)
		TkaFail(err, TKA_INVALID, "The key has %U votes, more than the %d allowed.",
				key->votes, TKA_MAX_VOTES);
	else if (key->votes == 0)
		TkaFail(err, TKA_INVALID, "The key has 0 votes; a key needs at least 1.");
	else if (meta_bytes > TKA_MAX_META_BYTES)
		TkaFail(err, TKA_INVALID,
				"The key's meta holds %z bytes, more than the %d allowed.",
				meta_bytes, TKA_MAX_META_BYTES);
	else if (key->kind != TKA_KEY_ED25519)
		TkaFail(err, TKA_INVALID,
				"The key's kind is %U; only 1 (Ed25519) is known.", key->kind);
	else if (key->public_key.len != TKA_KEY_LEN)
		TkaFail(err, TKA_INVALID,
				"The key's public key is %z bytes long; an Ed25519 key has %d.",
				key->public_key.len, TKA_KEY_LEN);
	else
		return TKA_OK;
	return invalid(err);
}

/* Are two byte strings equal? */
static bool
bytes_equal(const TkaBytes *a, const TkaBytes *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/*
 * TkaCheckpointStateValidate
 *		The state a checkpoint carries: no last hash, 1 to 32 disablement
 *		values of 32 bytes, all different, and 1 to 512 valid keys with
 *		different ids.
 */
TkaStatus
TkaCheckpointStateValidate(const TkaState *state, TkaError *err)
{
	if (state->last_hash.data != NULL)
	{
		TkaFail(err, TKA_INVALID, "A checkpoint's state cannot name a last AUM hash.");
		return invalid(err);
	}
	if (state->ndisablement == 0)
	{
		TkaFail(err, TKA_INVALID, "A checkpoint's state needs at least one disablement value.");
		return invalid(err);
	}
	if (state->ndisablement > TKA_MAX_DISABLEMENT)
	{
		TkaFail(err, TKA_INVALID,
				"A checkpoint's state has %d disablement values, more than the %d allowed.",
				state->ndisablement, TKA_MAX_DISABLEMENT);
		return invalid(err);
	}
	for (int i = 0; i < state->ndisablement; i++)
	{
		if (state->disablement[i].len != TKA_DISABLEMENT_LEN)
		{
			TkaFail(err, TKA_INVALID,
					"Disablement value %d is %z bytes long, not %d.",
					i, state->disablement[i].len, TKA_DISABLEMENT_LEN);
			return invalid(err);
		}
		for (int j = 0; j < i; j++)
			if (bytes_equal(&state->disablement[i], &state->disablement[j]))
			{
				TkaFail(err, TKA_INVALID,
						"Disablement value %d repeats disablement value %d.", i, j);
				return invalid(err);
			}
	}
	if (state->nkeys == 0)
	{
		TkaFail(err, TKA_INVALID, "A checkpoint's state needs at least one key.");
		return invalid(err);
	}
	if (state->nkeys > TKA_MAX_KEYS)
	{
		TkaFail(err, TKA_INVALID,
				"A checkpoint's state has %d keys, more than the %d allowed.",
				state->nkeys, TKA_MAX_KEYS);
		return invalid(err);
	}
	for (int i = 0; i < state->nkeys; i++)
	{
		TkaError	inner;

		if (TkaKeyValidate(&state->keys[i], &inner) != TKA_OK)
		{
			TkaFail(err, TKA_INVALID, "Key %d of the checkpoint is not valid: %l",
					i, inner.reason);
			return invalid(err);
		}
		/* 512 keys at most, so the quadratic scan stays small */
		for (int j = 0; j < i; j++)
			if (bytes_equal(&state->keys[i].public_key, &state->keys[j].public_key))
			{
				TkaFail(err, TKA_INVALID,
						"Key %d of the checkpoint repeats key %d.", i, j);
				return invalid(err);
			}
	}
	return TKA_OK;
}

/* Refuse an AUM with the sentence given, naming its kind. */
static TkaStatus
refuse_kind(TkaError *err, const TkaAum *aum, const char *rule)
{
	TkaFail(err, TKA_INVALID, "%s AUMs %s", TkaAumKindName(aum->kind), rule);
	return invalid(err);
}

/*
 * TkaAumValidate
 *		AUM.StaticValidate: a valid key if one is given, a null or 32-byte
 *		parent, signatures of 32-byte key ids and 64-byte signatures, a
 *		valid checkpoint state if one is given, and the fields each kind
 *		needs and allows.
 */
TkaStatus
TkaAumValidate(const TkaAum *aum, TkaError *err)
{
	bool		has_key_id = aum->key_id.data != NULL;
	bool		has_meta = aum->meta.count > 0;

	if (aum->has_key)
	{
		TkaError	inner;

		if (TkaKeyValidate(&aum->key, &inner) != TKA_OK)
		{
			if (err != NULL)
				*err = inner;
			return inner.status;
		}
	}
	if (aum->parent.data != NULL && aum->parent.len != TKA_HASH_LEN)
	{
		TkaFail(err, TKA_INVALID, "The AUM's parent hash is %z bytes long, not %d.",
				aum->parent.len, TKA_HASH_LEN);
		return invalid(err);
	}
	for (int i = 0; i < aum->nsignatures; i++)
	{
		const TkaSignature *s = &aum->signatures[i];

		if (s->key_id.len != TKA_KEY_LEN || s->signature.len != TKA_SIG_LEN)
		{
			TkaFail(err, TKA_INVALID,
					"Signature %d of the AUM needs a 32-byte key id and a 64-byte signature.", i);
			return invalid(err);
		}
	}
	if (aum->has_state)
	{
		TkaError	inner;

		if (TkaCheckpointStateValidate(&aum->state, &inner) != TKA_OK)
		{
			if (err != NULL)
				*err = inner;
			return inner.status;
		}
	}

	switch (aum->kind)
	{
		case TKA_AUM_ADD_KEY:
			if (!aum->has_key)
				return refuse_kind(err, aum, "must contain a key.");
			if (has_key_id || aum->has_state || aum->has_votes || has_meta)
				return refuse_kind(err, aum, "may only specify a key.");
			break;
		case TKA_AUM_REMOVE_KEY:
			if (!has_key_id)
				return refuse_kind(err, aum, "must specify a key id.");
			if (aum->has_key || aum->has_state || aum->has_votes || has_meta)
				return refuse_kind(err, aum, "may only specify a key id.");
			break;
		case TKA_AUM_UPDATE_KEY:
			if (!has_key_id)
				return refuse_kind(err, aum, "must specify a key id.");
			if (!aum->has_votes && !has_meta)
				return refuse_kind(err, aum, "must change the votes or the meta of the key.");
			if (aum->has_key || aum->has_state)
				return refuse_kind(err, aum, "may only specify a key id, votes and meta.");
			break;
		case TKA_AUM_CHECKPOINT:
			if (!aum->has_state)
				return refuse_kind(err, aum, "must specify the state.");
			if (has_key_id || aum->has_key || aum->has_votes || has_meta)
				return refuse_kind(err, aum, "may only specify the state.");
			break;
		case TKA_AUM_NO_OP:
			/* the reference lets a NoOp carry any field and ignores them */
			break;
		default:
			TkaFail(err, TKA_INVALID,
					"The AUM's kind is %U; only kinds 1 to 5 are known.", aum->kind);
			return invalid(err);
	}
	return TKA_OK;
}
