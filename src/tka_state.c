/*-------------------------------------------------------------------------
 *
 * tka_state.c
 *	  The authority's state machine: verifying an AUM against the state
 *	  before it (the reference's aumVerify), applying it
 *	  (State.applyVerifiedAUM), weighing it (AUM.Weight) and choosing
 *	  between the children of a fork (pickNextAUM).
 *
 * A genesis AUM is verified and applied with before == NULL.  It must be
 * a Checkpoint without a parent, signed by keys of its own state: the
 * reference bootstraps an authority only from a checkpoint
 * (tka.Bootstrap); an AddKey or NoOp genesis has no trusted key that
 * could have signed it.
 *
 * One rule is stricter than the reference's: an AddKey is refused when
 * the state already trusts TKA_MAX_KEYS keys (the reference enforces the
 * limit only on checkpoints, so it could never checkpoint such a state).
 *
 * Verification failures are TKA_INVALID for a statically invalid AUM and
 * TKA_REJECTED for one that does not chain, is not signed by trusted
 * keys, or cannot be applied.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/tka_state.c
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"

#include "tka_crypto.h"
#include "tka_error.h"
#include "tka_state.h"
#include "tka_validate.h"

/* TkaStateInitEmpty: the state before any AUM (no keys, no last hash). */
void
TkaStateInitEmpty(TkaState *state)
{
	memset(state, 0, sizeof(*state));
	state->disablement_null = true;
	state->keys_null = true;
}

/*
 * TkaStateFindKey
 *		Index of the trusted key whose id (its public key) is the len bytes
 *		at key_id, or -1.
 */
int
TkaStateFindKey(const TkaState *state, const uint8 *key_id, size_t len)
{
	for (int i = 0; i < state->nkeys; i++)
	{
		const TkaBytes *pub = &state->keys[i].public_key;

		if (pub->len == len && (len == 0 || memcmp(pub->data, key_id, len) == 0))
			return i;
	}
	return -1;
}

/* The status just reported in err, or fallback when err is NULL. */
static TkaStatus
status_of(TkaError *err, TkaStatus fallback)
{
	return err != NULL ? err->status : fallback;
}

/*
 * TkaAumVerify
 *		Can the AUM be accepted after the state "before" (NULL for the
 *		genesis)?  It must be statically valid; chain to before's last AUM
 *		(a genesis: be a Checkpoint with no parent); carry at least one
 *		signature; and every signature must be by a key trusted in before
 *		(a genesis: in its own state) and verify over the AUM's sighash.
 */
TkaStatus
TkaAumVerify(const TkaAum *aum, const TkaState *before, TkaError *err)
{
	const TkaState *trusted;
	uint8		sighash[TKA_HASH_LEN];
	TkaStatus	st;

	if ((st = TkaAumValidate(aum, err)) != TKA_OK)
		return st;

	if (before == NULL)
	{
		if (aum->parent.data != NULL)
		{
			TkaFail(err, TKA_REJECTED, "A genesis AUM cannot name a parent.");
			return TKA_REJECTED;
		}
		if (aum->kind != TKA_AUM_CHECKPOINT)
		{
			TkaFail(err, TKA_REJECTED,
					"A genesis AUM must be a Checkpoint, not %s: no key is trusted before it to sign anything else.",
					TkaAumKindName(aum->kind));
			return TKA_REJECTED;
		}
		trusted = &aum->state;
	}
	else
	{
		if (aum->parent.data == NULL)
		{
			TkaFail(err, TKA_REJECTED,
					"The AUM has no parent, but the authority already has a genesis.");
			return TKA_REJECTED;
		}
		if (before->last_hash.data == NULL)
		{
			TkaFail(err, TKA_REJECTED,
					"The state before the AUM names no last AUM to chain to.");
			return TKA_REJECTED;
		}
		if (before->last_hash.len != aum->parent.len ||
			memcmp(before->last_hash.data, aum->parent.data, aum->parent.len) != 0)
		{
			TkaFail(err, TKA_REJECTED,
					"The AUM's parent is not the last AUM of the state it is applied to.");
			return TKA_REJECTED;
		}
		trusted = before;
	}

	if (aum->nsignatures == 0)
	{
		TkaFail(err, TKA_REJECTED, "The AUM carries no signature.");
		return TKA_REJECTED;
	}
	if ((st = TkaAumSigHash(aum, sighash, err)) != TKA_OK)
		return st;
	for (int i = 0; i < aum->nsignatures; i++)
	{
		const TkaSignature *s = &aum->signatures[i];
		int			k = TkaStateFindKey(trusted, s->key_id.data, s->key_id.len);
		TkaError	inner;

		if (k < 0)
		{
			TkaFail(err, TKA_REJECTED,
					"Signature %d of the AUM is by a key that is not trusted.", i);
			return TKA_REJECTED;
		}
		/* verify with the trusted key itself, never with the id given */
		st = TkaEd25519Verify(&trusted->keys[k].public_key, sighash,
							  TKA_HASH_LEN, &s->signature, &inner);
		if (st == TKA_REJECTED)
		{
			TkaFail(err, TKA_REJECTED, "Signature %d of the AUM does not verify.", i);
			return TKA_REJECTED;
		}
		if (st != TKA_OK)
		{
			if (err != NULL)
				*err = inner;
			return st;
		}
	}
	return TKA_OK;
}

/* Copy a state's scalar fields and keys into out, keys into its buffer. */
static void
copy_state(const TkaState *from, TkaStateBuffer *out)
{
	int			nkeys = from->nkeys;

	out->state = *from;
	if (nkeys > 0)
		memmove(out->keys, from->keys, nkeys * sizeof(TkaKey));
	out->state.keys = out->keys;
}

/*
 * TkaStateApply
 *		Compute in out the state after applying an AUM (whose hash is
 *		aum_hash) to "before" (NULL for the genesis).  The AUM should have
 *		passed TkaAumVerify; the checks that only applying can make are
 *		made here: AddKey of a key already trusted or past the limit,
 *		RemoveKey and UpdateKey of a key not trusted, an update that leaves
 *		the key invalid, a Checkpoint that changes the state ids.  out must
 *		not be the buffer that holds "before".
 */
TkaStatus
TkaStateApply(const TkaState *before, const TkaAum *aum, const uint8 *aum_hash,
			  TkaStateBuffer *out, TkaError *err)
{
	TkaState	empty;
	int			k;

	if (before == NULL)
	{
		TkaStateInitEmpty(&empty);
		before = &empty;
	}
	if (before->last_hash.data != NULL &&
		(aum->parent.data == NULL || aum->parent.len != before->last_hash.len ||
		 memcmp(aum->parent.data, before->last_hash.data, aum->parent.len) != 0))
	{
		TkaFail(err, TKA_REJECTED,
				"The AUM's parent is not the last AUM of the state it is applied to.");
		return TKA_REJECTED;
	}

	switch (aum->kind)
	{
		case TKA_AUM_NO_OP:
			copy_state(before, out);
			break;

		case TKA_AUM_CHECKPOINT:
			if (!aum->has_state || aum->state.nkeys > TKA_MAX_KEYS)
			{
				TkaFail(err, TKA_REJECTED, "The checkpoint carries no valid state.");
				return TKA_REJECTED;
			}
			if (before != &empty &&
				(aum->state.state_id1 != before->state_id1 ||
				 aum->state.state_id2 != before->state_id2))
			{
				TkaFail(err, TKA_REJECTED,
						"The checkpoint's state ids differ from those of the authority.");
				return TKA_REJECTED;
			}
			copy_state(&aum->state, out);
			break;

		case TKA_AUM_ADD_KEY:
			if (!aum->has_key)
			{
				TkaFail(err, TKA_REJECTED, "The AddKey AUM carries no key.");
				return TKA_REJECTED;
			}
			if (TkaStateFindKey(before, aum->key.public_key.data,
								aum->key.public_key.len) >= 0)
			{
				TkaFail(err, TKA_REJECTED, "The key the AUM adds is already trusted.");
				return TKA_REJECTED;
			}
			if (before->nkeys >= TKA_MAX_KEYS)
			{
				TkaFail(err, TKA_REJECTED,
						"The authority already trusts %d keys, the most allowed.",
						TKA_MAX_KEYS);
				return TKA_REJECTED;
			}
			copy_state(before, out);
			out->keys[out->state.nkeys++] = aum->key;
			out->state.keys_null = false;
			break;

		case TKA_AUM_UPDATE_KEY:
			k = TkaStateFindKey(before, aum->key_id.data, aum->key_id.len);
			if (k < 0)
			{
				TkaFail(err, TKA_REJECTED, "The key the AUM updates is not trusted.");
				return TKA_REJECTED;
			}
			copy_state(before, out);
			if (aum->has_votes)
				out->keys[k].votes = aum->votes;
			if (aum->meta.count > 0)
				out->keys[k].meta = aum->meta;
			{
				TkaError	inner;

				if (TkaKeyValidate(&out->keys[k], &inner) != TKA_OK)
				{
					TkaFail(err, TKA_REJECTED, "The updated key would not be valid: %l",
							inner.reason);
					return TKA_REJECTED;
				}
			}
			break;

		case TKA_AUM_REMOVE_KEY:
			k = TkaStateFindKey(before, aum->key_id.data, aum->key_id.len);
			if (k < 0)
			{
				TkaFail(err, TKA_REJECTED, "The key the AUM removes is not trusted.");
				return TKA_REJECTED;
			}
			copy_state(before, out);
			memmove(&out->keys[k], &out->keys[k + 1],
					(out->state.nkeys - k - 1) * sizeof(TkaKey));
			out->state.nkeys--;
			break;

		default:
			TkaFail(err, TKA_REJECTED, "The AUM's kind %U cannot be applied.", aum->kind);
			return status_of(err, TKA_REJECTED);
	}

	memcpy(out->last_hash, aum_hash, TKA_HASH_LEN);
	out->state.last_hash.data = out->last_hash;
	out->state.last_hash.len = TKA_HASH_LEN;
	return TKA_OK;
}

/*
 * TkaAumWeight
 *		Sum of the votes of the distinct keys, trusted in "before", that
 *		signed the AUM.  Signatures by other keys count nothing, and the
 *		caller must have verified the signatures.
 */
uint64
TkaAumWeight(const TkaAum *aum, const TkaState *before)
{
	uint64		weight = 0;

	for (int i = 0; i < aum->nsignatures; i++)
	{
		const TkaBytes *id = &aum->signatures[i].key_id;
		int			k = TkaStateFindKey(before, id->data, id->len);
		bool		seen = false;

		if (k < 0)
			continue;
		for (int j = 0; j < i && !seen; j++)
		{
			const TkaBytes *other = &aum->signatures[j].key_id;

			seen = other->len == id->len &&
				memcmp(other->data, id->data, id->len) == 0;
		}
		if (!seen)
			weight += before->keys[k].votes;
	}
	return weight;
}

/*
 * TkaForkPrefers
 *		Is child a chosen over child b of the same parent?  The higher
 *		weight wins; on a tie a RemoveKey beats any other kind; then the
 *		lower hash (bytewise) wins.
 */
bool
TkaForkPrefers(const TkaForkCandidate *a, const TkaForkCandidate *b)
{
	bool		a_remove = a->kind == TKA_AUM_REMOVE_KEY;
	bool		b_remove = b->kind == TKA_AUM_REMOVE_KEY;

	if (a->weight != b->weight)
		return a->weight > b->weight;
	if (a_remove != b_remove)
		return a_remove;
	return memcmp(a->hash, b->hash, TKA_HASH_LEN) < 0;
}

/* TkaForkChoose: index of the chosen one of n > 0 children. */
int
TkaForkChoose(const TkaForkCandidate *candidates, int n)
{
	int			best = 0;

	for (int i = 1; i < n; i++)
		if (TkaForkPrefers(&candidates[i], &candidates[best]))
			best = i;
	return best;
}
