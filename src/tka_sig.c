/*-------------------------------------------------------------------------
 *
 * tka_sig.c
 *	  Verifying a node key signature against the keys an authority
 *	  trusts, as the reference's Authority.NodeKeyAuthorized does.
 *
 * A Direct signature is made by a trusted key over a node key.  A
 * Credential is made by a trusted key over a wrapping public key, and
 * authorizes nothing by itself.  A Rotation is made over a node key by
 * the wrapping key of the signature it nests (that one's field 6, or,
 * when it has none and is a Rotation itself, its own nested one's, and
 * so on down); the nested signature is then verified in turn, over its
 * own node key unless it is a Credential.  The key at the bottom of the
 * chain, whose id a Direct or Credential names, is the authorizing key;
 * it must be trusted, and it verifies the bottom signature.
 *
 * The chain is at most TKA_MAX_DEPTH long (the decoder's nesting limit)
 * and is walked with loops, never recursion.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/tka_sig.c
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"

#include "tka_crypto.h"
#include "tka_error.h"
#include "tka_sig.h"
#include "tka_state.h"

/* TkaSigKindName: the reference's name of a node key signature kind. */
const char *
TkaSigKindName(uint64 kind)
{
	switch (kind)
	{
		case TKA_SIG_DIRECT:
			return "direct";
		case TKA_SIG_ROTATION:
			return "rotation";
		case TKA_SIG_CREDENTIAL:
			return "credential";
	}
	return "unknown";
}

/* The status just reported in err (TKA_REJECTED when err is NULL). */
static TkaStatus
rejected(TkaError *err)
{
	return err != NULL ? err->status : TKA_REJECTED;
}

/*
 * TkaNodeKeySigAuthorizingKey
 *		The key id at the bottom of the chain, without verifying anything
 *		(for showing a signature, or telling which key a stored one relies
 *		on).  Refuses a Rotation without a nested signature, a Direct or
 *		Credential without a key id, and unknown kinds.
 */
TkaStatus
TkaNodeKeySigAuthorizingKey(const TkaNodeKeySig *sig, TkaBytes *key_id,
							TkaError *err)
{
	for (int depth = 0; sig != NULL && depth <= TKA_MAX_DEPTH; depth++)
	{
		switch (sig->kind)
		{
			case TKA_SIG_DIRECT:
			case TKA_SIG_CREDENTIAL:
				if (sig->key_id.data == NULL)
				{
					TkaFail(err, TKA_REJECTED,
							"The signature at depth %d names no key id.", depth);
					return rejected(err);
				}
				*key_id = sig->key_id;
				return TKA_OK;
			case TKA_SIG_ROTATION:
				if (sig->nested == NULL)
				{
					TkaFail(err, TKA_REJECTED,
							"The rotation signature at depth %d nests no signature.", depth);
					return rejected(err);
				}
				sig = sig->nested;
				break;
			default:
				TkaFail(err, TKA_REJECTED,
						"The signature at depth %d has kind %U; only 1 to 3 are known.",
						depth, sig->kind);
				return rejected(err);
		}
	}
	TkaFail(err, TKA_REJECTED, "The signatures nest deeper than %d levels.", TKA_MAX_DEPTH);
	return rejected(err);
}

/*
 * TkaNodeKeySigWrappingKey
 *		The public key that must sign a Rotation nesting sig: sig's own
 *		wrapping key, or, for a Rotation without one, that of the signature
 *		it nests, and so on.  False when there is none.
 */
bool
TkaNodeKeySigWrappingKey(const TkaNodeKeySig *sig, TkaBytes *wrapping)
{
	for (int depth = 0; sig != NULL && depth <= TKA_MAX_DEPTH; depth++)
	{
		if (sig->wrapping_pubkey.data != NULL)
		{
			*wrapping = sig->wrapping_pubkey;
			return true;
		}
		if (sig->kind != TKA_SIG_ROTATION)
			return false;
		sig = sig->nested;
	}
	return false;
}

/* Is pub "np" followed by a 32-byte node key? */
static bool
is_node_public(const TkaBytes *pub)
{
	return pub->data != NULL && pub->len == TKA_NODE_PUB_LEN &&
		pub->data[0] == 'n' && pub->data[1] == 'p';
}

/* Verify one signature's Ed25519 signature over its sighash with pub. */
static TkaStatus
verify_one(const TkaNodeKeySig *sig, const TkaBytes *pub, int depth,
		   TkaError *err)
{
	uint8		sighash[TKA_HASH_LEN];
	TkaError	inner;
	TkaStatus	st;

	if ((st = TkaNodeKeySigHash(sig, sighash, err)) != TKA_OK)
		return st;
	st = TkaEd25519Verify(pub, sighash, TKA_HASH_LEN, &sig->signature, &inner);
	if (st == TKA_REJECTED)
	{
		TkaFail(err, TKA_REJECTED, "The signature at depth %d does not verify: %l",
				depth, inner.reason);
		return TKA_REJECTED;
	}
	if (st != TKA_OK && err != NULL)
		*err = inner;
	return st;
}

/*
 * TkaNodeKeySigVerify
 *		Does sig authorize node_key (TKA_NODE_KEY_LEN bytes) under the keys
 *		trusted in state?  On success *authorizing_key (if not NULL) is the
 *		id of the trusted key at the bottom of the chain, pointing into sig.
 *		A Credential at the top is refused: it authorizes no node key.
 */
TkaStatus
TkaNodeKeySigVerify(const TkaNodeKeySig *sig, const uint8 *node_key,
					const TkaState *state, TkaBytes *authorizing_key,
					TkaError *err)
{
	uint8		expected[TKA_NODE_PUB_LEN];
	const uint8 *want = expected;	/* the pubkey the current one must sign */
	TkaBytes	key_id;
	TkaStatus	st;
	int			k;

	if (sig->kind == TKA_SIG_CREDENTIAL)
	{
		TkaFail(err, TKA_REJECTED,
				"A credential signature cannot authorize a node key on its own.");
		return TKA_REJECTED;
	}
	if ((st = TkaNodeKeySigAuthorizingKey(sig, &key_id, err)) != TKA_OK)
		return st;
	k = TkaStateFindKey(state, key_id.data, key_id.len);
	if (k < 0)
	{
		TkaFail(err, TKA_REJECTED,
				"The key that authorizes the signature is not trusted by the authority.");
		return TKA_REJECTED;
	}

	expected[0] = 'n';
	expected[1] = 'p';
	memcpy(expected + 2, node_key, TKA_NODE_KEY_LEN);

	for (int depth = 0; sig != NULL && depth <= TKA_MAX_DEPTH; depth++)
	{
		if (sig->kind != TKA_SIG_CREDENTIAL &&
			(sig->pubkey.len != TKA_NODE_PUB_LEN ||
			 memcmp(sig->pubkey.data, want, TKA_NODE_PUB_LEN) != 0))
		{
			TkaFail(err, TKA_REJECTED,
					depth == 0 ? "The signature at depth %d does not sign the node key presented."
					: "The signature at depth %d does not sign the node key its parent rotates from.",
					depth);
			return TKA_REJECTED;
		}

		if (sig->kind == TKA_SIG_ROTATION)
		{
			TkaBytes	wrapping;

			if (sig->nested == NULL)
			{
				TkaFail(err, TKA_REJECTED,
						"The rotation signature at depth %d nests no signature.", depth);
				return TKA_REJECTED;
			}
			if (!TkaNodeKeySigWrappingKey(sig->nested, &wrapping))
			{
				TkaFail(err, TKA_REJECTED,
						"The rotation signature at depth %d has no wrapping key to verify it.",
						depth);
				return TKA_REJECTED;
			}
			if (wrapping.len != TKA_KEY_LEN)
			{
				TkaFail(err, TKA_REJECTED,
						"The wrapping key for the rotation at depth %d is %z bytes long, not %d.",
						depth, wrapping.len, TKA_KEY_LEN);
				return TKA_REJECTED;
			}
			if ((st = verify_one(sig, &wrapping, depth, err)) != TKA_OK)
				return st;
			if (sig->nested->kind != TKA_SIG_CREDENTIAL)
			{
				if (!is_node_public(&sig->nested->pubkey))
				{
					TkaFail(err, TKA_REJECTED,
							"The signature at depth %d does not sign a node key.", depth + 1);
					return TKA_REJECTED;
				}
				want = sig->nested->pubkey.data;
			}
			sig = sig->nested;
			continue;
		}

		if (sig->kind == TKA_SIG_DIRECT || sig->kind == TKA_SIG_CREDENTIAL)
		{
			if (sig->nested != NULL)
			{
				TkaFail(err, TKA_REJECTED,
						"The %s signature at depth %d cannot nest another signature.",
						sig->kind == TKA_SIG_DIRECT ? "direct" : "credential", depth);
				return TKA_REJECTED;
			}
			if (state->keys[k].kind != TKA_KEY_ED25519)
			{
				TkaFail(err, TKA_REJECTED, "The authorizing key is not an Ed25519 key.");
				return TKA_REJECTED;
			}
			if ((st = verify_one(sig, &state->keys[k].public_key, depth, err)) != TKA_OK)
				return st;
			if (authorizing_key != NULL)
				*authorizing_key = key_id;
			return TKA_OK;
		}

		TkaFail(err, TKA_REJECTED,
				"The signature at depth %d has kind %U; only 1 to 3 are known.",
				depth, sig->kind);
		return rejected(err);
	}
	TkaFail(err, TKA_REJECTED, "The signatures nest deeper than %d levels.", TKA_MAX_DEPTH);
	return rejected(err);
}
