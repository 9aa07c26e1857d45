/*-------------------------------------------------------------------------
 *
 * tka_decode.c
 *	  Decoding canonical CBOR into the Tailnet Lock structures.
 *
 * The field rules follow the reference's Go structures and their cbor
 * tags.  A field without "omitempty" is always encoded, so its absence is
 * refused; one with it is never encoded empty, so an empty byte string,
 * array or map there, or a zero state id, is refused too.  Fields that Go
 * encodes as null when unset (an AUM's parent, a state's last hash and
 * lists) may be null; no other field may.  Kinds are held in one byte by
 * the reference, so larger ones are refused here already; the values of
 * every field are judged later, in tka_validate.c.
 *
 * Recursion: only node key signatures nest themselves, and the reader's
 * depth limit (TKA_MAX_DEPTH) stops that.  Every count is checked against
 * the bytes left before the arena is asked for room.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/tka_decode.c
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"

#include "tka_cbor.h"
#include "tka_decode.h"
#include "tka_encode.h"
#include "tka_error.h"

/* The fewest bytes a valid encoding of one element can take. */
#define MIN_KEY_BYTES		7	/* a3 01 01 02 01 03 40 */
#define MIN_SIGNATURE_BYTES	5	/* a2 01 40 02 40 */

typedef struct DecodeContext
{
	TkaReader	r;
	TkaArena   *arena;
} DecodeContext;

/* TkaArenaInit: hand out the size bytes at memory. */
void
TkaArenaInit(TkaArena *arena, void *memory, size_t size)
{
	arena->base = memory;
	arena->size = size;
	arena->used = 0;
}

/* Room for count elements of size bytes each, 8-byte aligned, or NULL. */
static void *
arena_alloc(DecodeContext *ctx, uint64 count, size_t size)
{
	TkaArena   *a = ctx->arena;
	size_t		start = (a->used + 7) & ~(size_t) 7;
	void	   *p;

	if (count == 0)
		return NULL;
	if (start > a->size || count > (a->size - start) / size)
	{
		TkaFail(ctx->r.err, TKA_NO_MEMORY,
				"The decoding arena of %z bytes is too small.", a->size);
		return NULL;
	}
	p = a->base + start;
	memset(p, 0, count * size);
	a->used = start + count * size;
	return p;
}

/* Refuse a count that the remaining input cannot hold at min bytes each. */
static bool
check_room(DecodeContext *ctx, const char *what, uint64 count, size_t min)
{
	if (count > (ctx->r.len - ctx->r.pos) / min)
		return TkaFail(ctx->r.err, TKA_MALFORMED,
					   "The list of %s at offset %z has more elements than the input has room for.",
					   what, ctx->r.item_start);
	return true;
}

/* A kind, which the reference holds in one byte. */
static bool
read_kind(DecodeContext *ctx, const char *what, uint64 *kind)
{
	if (!TkaReadUint(&ctx->r, what, kind))
		return false;
	if (*kind > 255)
		return TkaFail(ctx->r.err, TKA_MALFORMED,
					   "%s at offset %z is %U, but kinds are single bytes.",
					   what, ctx->r.item_start, *kind);
	return true;
}

/* A byte string of an omitempty field: present means not empty. */
static bool
read_nonempty_bytes(DecodeContext *ctx, const char *what, TkaBytes *out)
{
	if (!TkaReadBytes(&ctx->r, what, out))
		return false;
	if (out->len == 0)
		return TkaFail(ctx->r.err, TKA_MALFORMED,
					   "%s at offset %z is an empty byte string, which the canonical encoding omits.",
					   what, ctx->r.item_start);
	return true;
}

/* A byte string, or null (out->data left NULL). */
static bool
read_bytes_or_null(DecodeContext *ctx, const char *what, TkaBytes *out)
{
	if (TkaReadNull(&ctx->r))
	{
		out->data = NULL;
		out->len = 0;
		return true;
	}
	return TkaReadBytes(&ctx->r, what, out);
}

/* Refuse a structure that lacks a field its encoding always holds. */
static bool
require(DecodeContext *ctx, uint32 seen, int field, const char *what,
		const char *name)
{
	if ((seen & ((uint32) 1 << field)) == 0)
		return TkaFail(ctx->r.err, TKA_MALFORMED,
					   "%s ending at offset %z has no %s (field %d), which its encoding always holds.",
					   what, ctx->r.pos, name, field);
	return true;
}

/*
 * A text-to-text meta map: not empty, text keys in canonical order
 * (shorter first, then bytewise), no key twice, text values.
 */
static bool
decode_meta(DecodeContext *ctx, const char *what, TkaMeta *out)
{
	uint64		npairs;
	size_t		start;

	if (!TkaReadMap(&ctx->r, what, &npairs))
		return false;
	start = ctx->r.item_start;
	if (npairs == 0)
		return TkaFail(ctx->r.err, TKA_MALFORMED,
					   "%s at offset %z is empty, which the canonical encoding omits.",
					   what, start);
	out->entries = arena_alloc(ctx, npairs, sizeof(TkaMetaEntry));
	if (out->entries == NULL)
		return false;
	out->count = (int) npairs;
	for (uint64 i = 0; i < npairs; i++)
	{
		TkaMetaEntry *e = &out->entries[i];

		if (!TkaReadText(&ctx->r, "A meta key", &e->key))
			return false;
		if (i > 0)
		{
			int			c = TkaCanonicalCompare(&out->entries[i - 1].key, &e->key);

			if (c == 0)
				return TkaFail(ctx->r.err, TKA_MALFORMED,
							   "The meta key at offset %z is a duplicate.",
							   ctx->r.item_start);
			if (c > 0)
				return TkaFail(ctx->r.err, TKA_MALFORMED,
							   "The meta keys are not in canonical order at offset %z.",
							   ctx->r.item_start);
		}
		if (!TkaReadText(&ctx->r, "A meta value", &e->value))
			return false;
	}
	TkaReadLeave(&ctx->r);
	return true;
}

/* A key: {1: kind, 2: votes, 3: public, 12: meta}. */
static bool
decode_key(DecodeContext *ctx, TkaKey *out)
{
	const char *what = "the key";
	uint64		npairs;
	int64		previous = -1;
	uint32		seen = 0;

	memset(out, 0, sizeof(*out));
	if (!TkaReadMap(&ctx->r, "A key", &npairs))
		return false;
	for (uint64 i = 0; i < npairs; i++)
	{
		uint64		field;

		if (!TkaReadFieldKey(&ctx->r, what, &previous, &field))
			return false;
		switch (field)
		{
			case 1:
				if (!read_kind(ctx, "The key's kind (field 1)", &out->kind))
					return false;
				break;
			case 2:
				if (!TkaReadUint(&ctx->r, "The key's votes (field 2)", &out->votes))
					return false;
				break;
			case 3:
				if (!TkaReadBytes(&ctx->r, "The key's public key (field 3)",
								  &out->public_key))
					return false;
				break;
			case 12:
				if (!decode_meta(ctx, "The key's meta (field 12)", &out->meta))
					return false;
				break;
			default:
				return TkaUnknownField(&ctx->r, what, field);
		}
		seen |= (uint32) 1 << field;
	}
	TkaReadLeave(&ctx->r);
	return require(ctx, seen, 1, "A key", "kind") &&
		require(ctx, seen, 2, "A key", "votes") &&
		require(ctx, seen, 3, "A key", "public key");
}

/* An AUM signature: {1: key id, 2: signature}. */
static bool
decode_signature(DecodeContext *ctx, TkaSignature *out)
{
	const char *what = "an AUM signature";
	uint64		npairs;
	int64		previous = -1;
	uint32		seen = 0;

	if (!TkaReadMap(&ctx->r, "An AUM signature", &npairs))
		return false;
	for (uint64 i = 0; i < npairs; i++)
	{
		uint64		field;

		if (!TkaReadFieldKey(&ctx->r, what, &previous, &field))
			return false;
		switch (field)
		{
			case 1:
				if (!TkaReadBytes(&ctx->r, "The signature's key id (field 1)",
								  &out->key_id))
					return false;
				break;
			case 2:
				if (!TkaReadBytes(&ctx->r, "The signature (field 2)",
								  &out->signature))
					return false;
				break;
			default:
				return TkaUnknownField(&ctx->r, what, field);
		}
		seen |= (uint32) 1 << field;
	}
	TkaReadLeave(&ctx->r);
	return require(ctx, seen, 1, "An AUM signature", "key id") &&
		require(ctx, seen, 2, "An AUM signature", "signature");
}

/* A state id (fields 4 and 5): omitted when zero. */
static bool
read_state_id(DecodeContext *ctx, const char *what, uint64 *out)
{
	if (!TkaReadUint(&ctx->r, what, out))
		return false;
	if (*out == 0)
		return TkaFail(ctx->r.err, TKA_MALFORMED,
					   "%s at offset %z is 0, which the canonical encoding omits.",
					   what, ctx->r.item_start);
	return true;
}

/* The disablement values (state field 2): null or an array of strings. */
static bool
decode_disablement(DecodeContext *ctx, TkaState *out)
{
	uint64		count;

	if (TkaReadNull(&ctx->r))
	{
		out->disablement_null = true;
		return true;
	}
	if (!TkaReadArray(&ctx->r, "The disablement values (field 2)", &count))
		return false;
	out->disablement = arena_alloc(ctx, count, sizeof(TkaBytes));
	if (count > 0 && out->disablement == NULL)
		return false;
	out->ndisablement = (int) count;
	for (uint64 i = 0; i < count; i++)
		if (!TkaReadBytes(&ctx->r, "A disablement value", &out->disablement[i]))
			return false;
	TkaReadLeave(&ctx->r);
	return true;
}

/* The keys (state field 3): null or an array of keys. */
static bool
decode_keys(DecodeContext *ctx, TkaState *out)
{
	uint64		count;

	if (TkaReadNull(&ctx->r))
	{
		out->keys_null = true;
		return true;
	}
	if (!TkaReadArray(&ctx->r, "The keys (field 3)", &count))
		return false;
	if (!check_room(ctx, "keys", count, MIN_KEY_BYTES))
		return false;
	out->keys = arena_alloc(ctx, count, sizeof(TkaKey));
	if (count > 0 && out->keys == NULL)
		return false;
	out->nkeys = (int) count;
	for (uint64 i = 0; i < count; i++)
		if (!decode_key(ctx, &out->keys[i]))
			return false;
	TkaReadLeave(&ctx->r);
	return true;
}

/* A state: {1: last hash, 2: disablement, 3: keys, 4: id 1, 5: id 2}. */
static bool
decode_state(DecodeContext *ctx, TkaState *out)
{
	const char *what = "the state";
	uint64		npairs;
	int64		previous = -1;
	uint32		seen = 0;

	memset(out, 0, sizeof(*out));
	if (!TkaReadMap(&ctx->r, "A state", &npairs))
		return false;
	for (uint64 i = 0; i < npairs; i++)
	{
		uint64		field;

		if (!TkaReadFieldKey(&ctx->r, what, &previous, &field))
			return false;
		switch (field)
		{
			case 1:
				if (!read_bytes_or_null(ctx, "The state's last AUM hash (field 1)",
										&out->last_hash))
					return false;
				break;
			case 2:
				if (!decode_disablement(ctx, out))
					return false;
				break;
			case 3:
				if (!decode_keys(ctx, out))
					return false;
				break;
			case 4:
				if (!read_state_id(ctx, "State id 1 (field 4)", &out->state_id1))
					return false;
				break;
			case 5:
				if (!read_state_id(ctx, "State id 2 (field 5)", &out->state_id2))
					return false;
				break;
			default:
				return TkaUnknownField(&ctx->r, what, field);
		}
		seen |= (uint32) 1 << field;
	}
	TkaReadLeave(&ctx->r);
	return require(ctx, seen, 1, "A state", "last AUM hash") &&
		require(ctx, seen, 2, "A state", "disablement values") &&
		require(ctx, seen, 3, "A state", "keys");
}

/* The signatures of an AUM (field 23): a non-empty array. */
static bool
decode_signatures(DecodeContext *ctx, TkaAum *out)
{
	uint64		count;

	if (!TkaReadArray(&ctx->r, "The AUM's signatures (field 23)", &count))
		return false;
	if (count == 0)
		return TkaFail(ctx->r.err, TKA_MALFORMED,
					   "The AUM's signatures (field 23) at offset %z are an empty array, which the canonical encoding omits.",
					   ctx->r.item_start);
	if (!check_room(ctx, "signatures", count, MIN_SIGNATURE_BYTES))
		return false;
	out->signatures = arena_alloc(ctx, count, sizeof(TkaSignature));
	if (out->signatures == NULL)
		return false;
	out->nsignatures = (int) count;
	for (uint64 i = 0; i < count; i++)
		if (!decode_signature(ctx, &out->signatures[i]))
			return false;
	TkaReadLeave(&ctx->r);
	return true;
}

/* An AUM: {1: kind, 2: parent, 3: key, 4: key id, 5: state, 6, 7, 23}. */
static bool
decode_aum(DecodeContext *ctx, TkaAum *out)
{
	const char *what = "the AUM";
	uint64		npairs;
	int64		previous = -1;
	uint32		seen = 0;

	memset(out, 0, sizeof(*out));
	if (!TkaReadMap(&ctx->r, "An AUM", &npairs))
		return false;
	for (uint64 i = 0; i < npairs; i++)
	{
		uint64		field;

		if (!TkaReadFieldKey(&ctx->r, what, &previous, &field))
			return false;
		switch (field)
		{
			case 1:
				if (!read_kind(ctx, "The AUM's kind (field 1)", &out->kind))
					return false;
				break;
			case 2:
				if (!read_bytes_or_null(ctx, "The AUM's parent hash (field 2)",
										&out->parent))
					return false;
				break;
			case 3:
				if (!decode_key(ctx, &out->key))
					return false;
				out->has_key = true;
				break;
			case 4:
				if (!read_nonempty_bytes(ctx, "The AUM's key id (field 4)",
										 &out->key_id))
					return false;
				break;
			case 5:
				if (!decode_state(ctx, &out->state))
					return false;
				out->has_state = true;
				break;
			case 6:
				if (!TkaReadUint(&ctx->r, "The AUM's votes (field 6)", &out->votes))
					return false;
				out->has_votes = true;
				break;
			case 7:
				if (!decode_meta(ctx, "The AUM's meta (field 7)", &out->meta))
					return false;
				break;
			case 23:
				if (!decode_signatures(ctx, out))
					return false;
				break;
			default:
				return TkaUnknownField(&ctx->r, what, field);
		}
		seen |= (uint32) 1 << field;
	}
	TkaReadLeave(&ctx->r);
	return require(ctx, seen, 1, "An AUM", "kind") &&
		require(ctx, seen, 2, "An AUM", "parent hash");
}

/* A node key signature, possibly nesting others (bounded by the reader). */
static bool
decode_node_key_sig(DecodeContext *ctx, TkaNodeKeySig *out)
{
	const char *what = "the node key signature";
	uint64		npairs;
	int64		previous = -1;
	uint32		seen = 0;

	memset(out, 0, sizeof(*out));
	if (!TkaReadMap(&ctx->r, "A node key signature", &npairs))
		return false;
	for (uint64 i = 0; i < npairs; i++)
	{
		uint64		field;

		if (!TkaReadFieldKey(&ctx->r, what, &previous, &field))
			return false;
		switch (field)
		{
			case 1:
				if (!read_kind(ctx, "The signature's kind (field 1)", &out->kind))
					return false;
				break;
			case 2:
				if (!read_nonempty_bytes(ctx, "The signed public key (field 2)",
										 &out->pubkey))
					return false;
				break;
			case 3:
				if (!read_nonempty_bytes(ctx, "The signature's key id (field 3)",
										 &out->key_id))
					return false;
				break;
			case 4:
				if (!read_nonempty_bytes(ctx, "The signature (field 4)",
										 &out->signature))
					return false;
				break;
			case 5:
				out->nested = arena_alloc(ctx, 1, sizeof(TkaNodeKeySig));
				if (out->nested == NULL)
					return false;
				if (!decode_node_key_sig(ctx, out->nested))
					return false;
				break;
			case 6:
				if (!read_nonempty_bytes(ctx, "The wrapping public key (field 6)",
										 &out->wrapping_pubkey))
					return false;
				break;
			default:
				return TkaUnknownField(&ctx->r, what, field);
		}
		seen |= (uint32) 1 << field;
	}
	TkaReadLeave(&ctx->r);
	return require(ctx, seen, 1, "A node key signature", "kind");
}

/* Sink that compares what is written with the decoded input. */
typedef struct CompareSink
{
	const uint8 *data;
	size_t		len;
	size_t		pos;
	bool		differs;
	size_t		differs_at;
} CompareSink;

/* Compare the bytes written with the next ones of the input. */
static void
compare_sink(void *arg, const uint8 *data, size_t len)
{
	CompareSink *c = arg;

	for (size_t i = 0; i < len && !c->differs; i++)
	{
		if (c->pos >= c->len || c->data[c->pos] != data[i])
		{
			c->differs = true;
			c->differs_at = c->pos;
		}
		else
			c->pos++;
	}
}

/* What every decoder does around its structure. */
typedef enum Which
{
	WHICH_KEY,
	WHICH_STATE,
	WHICH_AUM,
	WHICH_NODE_KEY_SIG
} Which;

static const char *const which_name[] = {
	"the key", "the state", "the AUM", "the node key signature"
};

/*
 * Decode one structure, refuse trailing bytes, then re-encode it and
 * refuse it unless that gives back the very input: fail closed, whatever
 * the field rules above might have missed.
 */
static TkaStatus
decode_one(Which which, const uint8 *data, size_t len, TkaArena *arena,
		   void *out, TkaError *err)
{
	DecodeContext ctx;
	TkaWriter	w;
	CompareSink cmp = {data, len, 0, false, 0};
	bool		ok;

	if (len > TKA_MAX_INPUT)
	{
		TkaFail(err, TKA_MALFORMED, "The input is %z bytes long, more than the %d allowed.",
				len, TKA_MAX_INPUT);
		return TKA_MALFORMED;
	}
	TkaReaderInit(&ctx.r, data, len, err);
	ctx.arena = arena;
	switch (which)
	{
		case WHICH_KEY:
			ok = decode_key(&ctx, out);
			break;
		case WHICH_STATE:
			ok = decode_state(&ctx, out);
			break;
		case WHICH_AUM:
			ok = decode_aum(&ctx, out);
			break;
		default:
			ok = decode_node_key_sig(&ctx, out);
			break;
	}
	if (ok)
		ok = TkaReadEnd(&ctx.r, which_name[which]);
	if (!ok)
		return err != NULL ? err->status : TKA_MALFORMED;

	TkaWriterInitSink(&w, compare_sink, &cmp);
	switch (which)
	{
		case WHICH_KEY:
			ok = TkaEncodeKey(&w, out);
			break;
		case WHICH_STATE:
			ok = TkaEncodeState(&w, out);
			break;
		case WHICH_AUM:
			ok = TkaEncodeAum(&w, out, true);
			break;
		default:
			ok = TkaEncodeNodeKeySig(&w, out, true);
			break;
	}
	if (!ok || cmp.differs || cmp.pos != len)
	{
		TkaFail(err, TKA_MALFORMED,
				"The input is not in canonical form: its canonical encoding differs from it at offset %z.",
				cmp.differs ? cmp.differs_at : cmp.pos);
		return TKA_MALFORMED;
	}
	return TKA_OK;
}

/* TkaDecodeKey: a key, alone (as the reference's Key.Serialize writes it). */
TkaStatus
TkaDecodeKey(const uint8 *data, size_t len, TkaArena *arena, TkaKey *out,
			 TkaError *err)
{
	return decode_one(WHICH_KEY, data, len, arena, out, err);
}

/* TkaDecodeState: a state, as a checkpoint holds it or as stored. */
TkaStatus
TkaDecodeState(const uint8 *data, size_t len, TkaArena *arena, TkaState *out,
			   TkaError *err)
{
	return decode_one(WHICH_STATE, data, len, arena, out, err);
}

/* TkaDecodeAum: an authority update message. */
TkaStatus
TkaDecodeAum(const uint8 *data, size_t len, TkaArena *arena, TkaAum *out,
			 TkaError *err)
{
	return decode_one(WHICH_AUM, data, len, arena, out, err);
}

/* TkaDecodeNodeKeySig: a node key signature with its nested ones. */
TkaStatus
TkaDecodeNodeKeySig(const uint8 *data, size_t len, TkaArena *arena,
					TkaNodeKeySig *out, TkaError *err)
{
	return decode_one(WHICH_NODE_KEY_SIG, data, len, arena, out, err);
}
