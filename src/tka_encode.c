/*-------------------------------------------------------------------------
 *
 * tka_encode.c
 *	  Canonical CBOR encoding of the decoded Tailnet Lock structures.
 *
 * Each encoder writes what the reference's CTAP2 encoder writes for the
 * same Go value (tka/key.go, aum.go, state.go, sig.go): the fields in
 * ascending key order, the ones tagged "omitempty" left out when empty,
 * the others always present.  The AUM encoder can leave out the
 * signatures (field 23) and the node key signature encoder the signature
 * (field 4): those encodings are what the sighashes are taken over.
 *
 * Each returns false, having written something partial, when the value
 * cannot be encoded canonically: meta keys out of canonical order or
 * repeated, or node key signatures nested deeper than TKA_MAX_DEPTH.  A
 * value the decoders produced always encodes.  Whether a buffer was big
 * enough is in the writer (overflow).
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/tka_encode.c
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"

#include "tka_encode.h"

/* A text-to-text map; its entries must already be in canonical order. */
static bool
encode_meta(TkaWriter *w, const TkaMeta *meta)
{
	TkaWriteHead(w, TKA_CBOR_MAP, (uint64) meta->count);
	for (int i = 0; i < meta->count; i++)
	{
		const TkaMetaEntry *e = &meta->entries[i];

		if (i > 0 && TkaCanonicalCompare(&meta->entries[i - 1].key, &e->key) >= 0)
			return false;
		TkaWriteText(w, e->key.data, e->key.len);
		TkaWriteText(w, e->value.data, e->value.len);
	}
	return true;
}

/* Is an omitempty byte string present (non-empty)? */
static inline bool
present(const TkaBytes *b)
{
	return b->data != NULL && b->len > 0;
}

/*
 * TkaEncodeKey
 *		{1: kind, 2: votes, 3: public, 12: meta}; meta omitted when empty.
 */
bool
TkaEncodeKey(TkaWriter *w, const TkaKey *key)
{
	TkaWriteHead(w, TKA_CBOR_MAP, key->meta.count > 0 ? 4 : 3);
	TkaWriteUint(w, 1);
	TkaWriteUint(w, key->kind);
	TkaWriteUint(w, 2);
	TkaWriteUint(w, key->votes);
	TkaWriteUint(w, 3);
	if (key->public_key.data == NULL)
		TkaWriteNull(w);
	else
		TkaWriteBytes(w, key->public_key.data, key->public_key.len);
	if (key->meta.count > 0)
	{
		TkaWriteUint(w, 12);
		if (!encode_meta(w, &key->meta))
			return false;
	}
	return true;
}

/*
 * TkaEncodeState
 *		{1: last hash or null, 2: disablement values or null, 3: keys or
 *		null, 4: state id 1, 5: state id 2}; 4 and 5 omitted when zero.
 */
bool
TkaEncodeState(TkaWriter *w, const TkaState *state)
{
	int			npairs = 3 + (state->state_id1 != 0) + (state->state_id2 != 0);

	TkaWriteHead(w, TKA_CBOR_MAP, (uint64) npairs);
	TkaWriteUint(w, 1);
	if (state->last_hash.data == NULL)
		TkaWriteNull(w);
	else
		TkaWriteBytes(w, state->last_hash.data, state->last_hash.len);

	TkaWriteUint(w, 2);
	if (state->disablement_null)
		TkaWriteNull(w);
	else
	{
		TkaWriteHead(w, TKA_CBOR_ARRAY, (uint64) state->ndisablement);
		for (int i = 0; i < state->ndisablement; i++)
			TkaWriteBytes(w, state->disablement[i].data,
						  state->disablement[i].len);
	}

	TkaWriteUint(w, 3);
	if (state->keys_null)
		TkaWriteNull(w);
	else
	{
		TkaWriteHead(w, TKA_CBOR_ARRAY, (uint64) state->nkeys);
		for (int i = 0; i < state->nkeys; i++)
			if (!TkaEncodeKey(w, &state->keys[i]))
				return false;
	}

	if (state->state_id1 != 0)
	{
		TkaWriteUint(w, 4);
		TkaWriteUint(w, state->state_id1);
	}
	if (state->state_id2 != 0)
	{
		TkaWriteUint(w, 5);
		TkaWriteUint(w, state->state_id2);
	}
	return true;
}

/*
 * TkaEncodeAum
 *		{1: kind, 2: parent or null, 3: key, 4: key id, 5: state, 6: votes,
 *		7: meta, 23: signatures}, 3 to 23 only when set; without field 23
 *		unless with_signatures.
 */
bool
TkaEncodeAum(TkaWriter *w, const TkaAum *aum, bool with_signatures)
{
	bool		sigs = with_signatures && aum->nsignatures > 0;
	int			npairs = 2 + aum->has_key + present(&aum->key_id) +
		aum->has_state + aum->has_votes + (aum->meta.count > 0) + sigs;

	TkaWriteHead(w, TKA_CBOR_MAP, (uint64) npairs);
	TkaWriteUint(w, 1);
	TkaWriteUint(w, aum->kind);
	TkaWriteUint(w, 2);
	if (aum->parent.data == NULL)
		TkaWriteNull(w);
	else
		TkaWriteBytes(w, aum->parent.data, aum->parent.len);
	if (aum->has_key)
	{
		TkaWriteUint(w, 3);
		if (!TkaEncodeKey(w, &aum->key))
			return false;
	}
	if (present(&aum->key_id))
	{
		TkaWriteUint(w, 4);
		TkaWriteBytes(w, aum->key_id.data, aum->key_id.len);
	}
	if (aum->has_state)
	{
		TkaWriteUint(w, 5);
		if (!TkaEncodeState(w, &aum->state))
			return false;
	}
	if (aum->has_votes)
	{
		TkaWriteUint(w, 6);
		TkaWriteUint(w, aum->votes);
	}
	if (aum->meta.count > 0)
	{
		TkaWriteUint(w, 7);
		if (!encode_meta(w, &aum->meta))
			return false;
	}
	if (sigs)
	{
		TkaWriteUint(w, 23);
		TkaWriteHead(w, TKA_CBOR_ARRAY, (uint64) aum->nsignatures);
		for (int i = 0; i < aum->nsignatures; i++)
		{
			const TkaSignature *s = &aum->signatures[i];

			TkaWriteHead(w, TKA_CBOR_MAP, 2);
			TkaWriteUint(w, 1);
			if (s->key_id.data == NULL)
				TkaWriteNull(w);
			else
				TkaWriteBytes(w, s->key_id.data, s->key_id.len);
			TkaWriteUint(w, 2);
			if (s->signature.data == NULL)
				TkaWriteNull(w);
			else
				TkaWriteBytes(w, s->signature.data, s->signature.len);
		}
	}
	return true;
}

/* One node key signature map, "depth" levels below the outermost. */
static bool
encode_sig(TkaWriter *w, const TkaNodeKeySig *sig, bool with_signature,
		   int depth)
{
	bool		has_sig = with_signature && present(&sig->signature);
	int			npairs;

	if (depth >= TKA_MAX_DEPTH)
		return false;
	npairs = 1 + present(&sig->pubkey) + present(&sig->key_id) + has_sig +
		(sig->nested != NULL) + present(&sig->wrapping_pubkey);
	TkaWriteHead(w, TKA_CBOR_MAP, (uint64) npairs);
	TkaWriteUint(w, 1);
	TkaWriteUint(w, sig->kind);
	if (present(&sig->pubkey))
	{
		TkaWriteUint(w, 2);
		TkaWriteBytes(w, sig->pubkey.data, sig->pubkey.len);
	}
	if (present(&sig->key_id))
	{
		TkaWriteUint(w, 3);
		TkaWriteBytes(w, sig->key_id.data, sig->key_id.len);
	}
	if (has_sig)
	{
		TkaWriteUint(w, 4);
		TkaWriteBytes(w, sig->signature.data, sig->signature.len);
	}
	if (sig->nested != NULL)
	{
		/* a nested signature always keeps its own field 4 */
		TkaWriteUint(w, 5);
		if (!encode_sig(w, sig->nested, true, depth + 1))
			return false;
	}
	if (present(&sig->wrapping_pubkey))
	{
		TkaWriteUint(w, 6);
		TkaWriteBytes(w, sig->wrapping_pubkey.data, sig->wrapping_pubkey.len);
	}
	return true;
}

/*
 * TkaEncodeNodeKeySig
 *		{1: kind, 2: pubkey, 3: key id, 4: signature, 5: nested,
 *		6: wrapping public key}, 2 to 6 only when set; the outermost field 4
 *		left out unless with_signature (the nested ones are always kept).
 */
bool
TkaEncodeNodeKeySig(TkaWriter *w, const TkaNodeKeySig *sig,
					bool with_signature)
{
	return encode_sig(w, sig, with_signature, 0);
}
