/*-------------------------------------------------------------------------
 *
 * tka_cbor.c
 *	  Strict reader and canonical writer of the CBOR subset Tailnet Lock
 *	  uses (see tka_cbor.h).
 *
 * The reader never recurses: callers walk the structure they expect and
 * bound their own nesting, and every length is checked against the bytes
 * that remain before anything is allocated for it.  No function here
 * calls into the backend.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/tka_cbor.c
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"

#include "tka_cbor.h"
#include "tka_error.h"

/* What a major type is called in a reason, with its article. */
static const char *
major_name(int major, int ai)
{
	switch (major)
	{
		case TKA_CBOR_UINT:
			return "an unsigned integer";
		case TKA_CBOR_NEGINT:
			return "a negative integer";
		case TKA_CBOR_BYTES:
			return "a byte string";
		case TKA_CBOR_TEXT:
			return "a text string";
		case TKA_CBOR_ARRAY:
			return "an array";
		case TKA_CBOR_MAP:
			return "a map";
		case TKA_CBOR_TAG:
			return "a tag";
		default:
			if (ai == 20 || ai == 21)
				return "a boolean";
			if (ai == 22)
				return "null";
			return "a simple value";
	}
}

/* TkaReaderInit: read len bytes at data, reporting into err. */
void
TkaReaderInit(TkaReader *r, const uint8 *data, size_t len, TkaError *err)
{
	r->data = data;
	r->len = len;
	r->pos = 0;
	r->item_start = 0;
	r->depth = 0;
	r->err = err;
}

/*
 * Read one item head: its major type, additional information and value
 * (the integer, the length or the count).  Refuses whatever canonical CBOR
 * never holds: reserved heads, indefinite lengths, breaks, tags,
 * floating-point numbers, simple values other than the four named ones,
 * and integers or lengths not in their shortest form.
 */
static bool
read_head(TkaReader *r, int *major, int *ai, uint64 *value)
{
	size_t		start = r->pos;
	uint8		b;
	int			extra;
	uint64		v = 0;

	r->item_start = start;
	if (r->pos >= r->len)
		return TkaFail(r->err, TKA_MALFORMED,
					   "The input ends at offset %z, where an item was expected.",
					   start);
	b = r->data[r->pos++];
	*major = b >> 5;
	*ai = b & 0x1F;

	if (*major == TKA_CBOR_TAG)
		return TkaFail(r->err, TKA_MALFORMED,
					   "A tag at offset %z is not allowed.", start);
	if (*ai >= 28 && *ai <= 30)
		return TkaFail(r->err, TKA_MALFORMED,
					   "The item head at offset %z uses reserved additional information %d.",
					   start, *ai);
	if (*ai == 31)
	{
		if (*major == TKA_CBOR_SIMPLE)
			return TkaFail(r->err, TKA_MALFORMED,
						   "An unexpected break code is at offset %z.", start);
		if (*major >= TKA_CBOR_BYTES && *major <= TKA_CBOR_MAP)
			return TkaFail(r->err, TKA_MALFORMED,
						   "An indefinite length at offset %z is not allowed.",
						   start);
		return TkaFail(r->err, TKA_MALFORMED,
					   "The item head at offset %z is not valid.", start);
	}
	if (*major == TKA_CBOR_SIMPLE)
	{
		if (*ai >= 25)
			return TkaFail(r->err, TKA_MALFORMED,
						   "A floating-point number at offset %z is not allowed.",
						   start);
		if (*ai == 24 || *ai < 20 || *ai == 23)
			return TkaFail(r->err, TKA_MALFORMED,
						   "A simple value at offset %z is not allowed.", start);
		*value = 0;
		return true;
	}

	extra = *ai < 24 ? 0 : 1 << (*ai - 24);
	if (r->len - r->pos < (size_t) extra)
		return TkaFail(r->err, TKA_MALFORMED,
					   "The input ends inside the item head at offset %z.",
					   start);
	if (extra == 0)
		v = (uint64) *ai;
	for (int i = 0; i < extra; i++)
		v = (v << 8) | r->data[r->pos++];

	if ((extra == 1 && v < 24) ||
		(extra == 2 && v <= 0xFF) ||
		(extra == 4 && v <= 0xFFFF) ||
		(extra == 8 && v <= 0xFFFFFFFF))
		return TkaFail(r->err, TKA_MALFORMED,
					   "The integer or length at offset %z is not in its shortest form.",
					   start);
	*value = v;
	return true;
}

/*
 * Read a head and insist on one major type; "what" names the item for
 * the reason.  A null is reported as such.
 */
static bool
read_typed(TkaReader *r, const char *what, int want, const char *want_name,
		   uint64 *value)
{
	int			major,
				ai;

	if (!read_head(r, &major, &ai, value))
		return false;
	if (major != want)
		return TkaFail(r->err, TKA_MALFORMED,
					   "%s at offset %z must be %s, not %s.",
					   what, r->item_start, want_name, major_name(major, ai));
	return true;
}

/* TkaReadUint: an unsigned integer. */
bool
TkaReadUint(TkaReader *r, const char *what, uint64 *value)
{
	return read_typed(r, what, TKA_CBOR_UINT, "an unsigned integer", value);
}

/* Read the payload of a string whose head has just been read. */
static bool
read_payload(TkaReader *r, uint64 len, TkaBytes *out)
{
	if (len > r->len - r->pos)
		return TkaFail(r->err, TKA_MALFORMED,
					   "The string at offset %z runs past the end of the input.",
					   r->item_start);
	out->data = r->data + r->pos;
	out->len = (size_t) len;
	r->pos += (size_t) len;
	return true;
}

/* TkaReadBytes: a byte string; out points into the input. */
bool
TkaReadBytes(TkaReader *r, const char *what, TkaBytes *out)
{
	uint64		len;

	if (!read_typed(r, what, TKA_CBOR_BYTES, "a byte string", &len))
		return false;
	return read_payload(r, len, out);
}

/* TkaReadText: a text string, which must be valid UTF-8. */
bool
TkaReadText(TkaReader *r, const char *what, TkaBytes *out)
{
	uint64		len;

	if (!read_typed(r, what, TKA_CBOR_TEXT, "a text string", &len))
		return false;
	if (!read_payload(r, len, out))
		return false;
	if (!TkaUtf8Valid(out->data, out->len))
		return TkaFail(r->err, TKA_MALFORMED,
					   "The text string at offset %z is not valid UTF-8.",
					   r->item_start);
	return true;
}

/* Enter a container, counting the nesting depth. */
static bool
enter(TkaReader *r)
{
	if (r->depth >= TKA_MAX_DEPTH)
		return TkaFail(r->err, TKA_MALFORMED,
					   "Nesting at offset %z is deeper than %d levels.",
					   r->item_start, TKA_MAX_DEPTH);
	r->depth++;
	return true;
}

/*
 * TkaReadMap
 *		A map head; *npairs is its number of pairs, at most
 *		TKA_MAX_MAP_PAIRS and never more than the remaining bytes could
 *		hold.  Call TkaReadLeave after its last pair.
 */
bool
TkaReadMap(TkaReader *r, const char *what, uint64 *npairs)
{
	if (!read_typed(r, what, TKA_CBOR_MAP, "a map", npairs))
		return false;
	if (*npairs > TKA_MAX_MAP_PAIRS)
		return TkaFail(r->err, TKA_MALFORMED,
					   "The map at offset %z has %U pairs, more than the %d allowed.",
					   r->item_start, *npairs, TKA_MAX_MAP_PAIRS);
	if (*npairs * 2 > r->len - r->pos)
		return TkaFail(r->err, TKA_MALFORMED,
					   "The map at offset %z has more pairs than the input has bytes left.",
					   r->item_start);
	return enter(r);
}

/*
 * TkaReadArray
 *		An array head; *count is at most TKA_MAX_ARRAY and never more than
 *		the remaining bytes.  Call TkaReadLeave after its last element.
 */
bool
TkaReadArray(TkaReader *r, const char *what, uint64 *count)
{
	if (!read_typed(r, what, TKA_CBOR_ARRAY, "an array", count))
		return false;
	if (*count > TKA_MAX_ARRAY)
		return TkaFail(r->err, TKA_MALFORMED,
					   "The array at offset %z has %U elements, more than the %d allowed.",
					   r->item_start, *count, TKA_MAX_ARRAY);
	if (*count > r->len - r->pos)
		return TkaFail(r->err, TKA_MALFORMED,
					   "The array at offset %z has more elements than the input has bytes left.",
					   r->item_start);
	return enter(r);
}

/* TkaReadLeave: the end of a map or array entered by TkaReadMap/Array. */
void
TkaReadLeave(TkaReader *r)
{
	Assert(r->depth > 0);
	r->depth--;
}

/* TkaReadNull: consume a null if one comes next, and say whether it did. */
bool
TkaReadNull(TkaReader *r)
{
	if (r->pos < r->len && r->data[r->pos] == TKA_CBOR_NULL_BYTE)
	{
		r->item_start = r->pos;
		r->pos++;
		return true;
	}
	return false;
}

/*
 * TkaReadFieldKey
 *		The next key of a structure's map, which must be an unsigned
 *		integer greater than *previous (start with -1): canonical order
 *		sorts small integer keys numerically, and a repeated key is a
 *		duplicate.  Updates *previous.
 */
bool
TkaReadFieldKey(TkaReader *r, const char *what, int64 *previous, uint64 *key)
{
	int			major,
				ai;

	if (!read_head(r, &major, &ai, key))
		return false;
	if (major != TKA_CBOR_UINT)
		return TkaFail(r->err, TKA_MALFORMED,
					   "A key of %s at offset %z is %s; only the unsigned integer keys of its fields are allowed.",
					   what, r->item_start, major_name(major, ai));
	if (*previous >= 0 && *key == (uint64) *previous)
		return TkaFail(r->err, TKA_MALFORMED,
					   "Key %U of %s at offset %z is a duplicate.",
					   *key, what, r->item_start);
	if (*previous >= 0 && *key < (uint64) *previous)
		return TkaFail(r->err, TKA_MALFORMED,
					   "The keys of %s are not in canonical order at offset %z.",
					   what, r->item_start);
	/* keys are known to be small by now, or TkaUnknownField refuses them */
	*previous = *key > PG_INT64_MAX ? PG_INT64_MAX : (int64) *key;
	return true;
}

/* TkaUnknownField: refuse a map key that is not a field of "what". */
bool
TkaUnknownField(TkaReader *r, const char *what, uint64 key)
{
	return TkaFail(r->err, TKA_MALFORMED,
				   "Key %U at offset %z is not a field of %s.",
				   key, r->item_start, what);
}

/* TkaReadEnd: nothing may follow the top-level item. */
bool
TkaReadEnd(TkaReader *r, const char *what)
{
	if (r->pos + 1 == r->len)
		return TkaFail(r->err, TKA_MALFORMED,
					   "A stray byte follows %s, at offset %z.", what, r->pos);
	if (r->pos != r->len)
		return TkaFail(r->err, TKA_MALFORMED,
					   "The input goes on for %z bytes after %s, from offset %z.",
					   r->len - r->pos, what, r->pos);
	return true;
}

/*
 * TkaCanonicalCompare
 *		Order of two text (or byte) string keys in a canonical CTAP2 map:
 *		the shorter first, then bytewise.  Negative, zero or positive.
 */
int
TkaCanonicalCompare(const TkaBytes *a, const TkaBytes *b)
{
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	if (a->len == 0)
		return 0;
	return memcmp(a->data, b->data, a->len);
}

/*
 * TkaUtf8Valid
 *		Is s well-formed UTF-8: no overlong forms, no surrogates, nothing
 *		above U+10FFFF?  (The rules of Go's utf8.Valid, which the reference
 *		decoder applies.)
 */
bool
TkaUtf8Valid(const uint8 *s, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		uint8		c = s[i];
		int			n;
		uint32		cp;
		uint32		min;

		if (c < 0x80)
		{
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
		{
			n = 1;
			cp = c & 0x1F;
			min = 0x80;
		}
		else if (c >= 0xE0 && c <= 0xEF)
		{
			n = 2;
			cp = c & 0x0F;
			min = 0x800;
		}
		else if (c >= 0xF0 && c <= 0xF4)
		{
			n = 3;
			cp = c & 0x07;
			min = 0x10000;
		}
		else
			return false;
		if (len - i <= (size_t) n)
			return false;
		for (int k = 1; k <= n; k++)
		{
			uint8		cc = s[i + k];

			if ((cc & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (cc & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n + 1;
	}
	return true;
}

/* TkaWriterInitBuffer: write into buf (cap bytes); buf NULL only counts. */
void
TkaWriterInitBuffer(TkaWriter *w, uint8 *buf, size_t cap)
{
	w->buf = buf;
	w->cap = buf == NULL ? 0 : cap;
	w->len = 0;
	w->overflow = false;
	w->sink = NULL;
	w->sink_ctx = NULL;
}

/* TkaWriterInitSink: hand every byte written to sink(ctx, ...). */
void
TkaWriterInitSink(TkaWriter *w, TkaSink sink, void *ctx)
{
	TkaWriterInitBuffer(w, NULL, 0);
	w->sink = sink;
	w->sink_ctx = ctx;
}

/* Write raw bytes to the buffer or the sink. */
static void
emit(TkaWriter *w, const uint8 *data, size_t len)
{
	if (len == 0)
		return;
	if (w->sink != NULL)
		w->sink(w->sink_ctx, data, len);
	else if (w->buf != NULL)
	{
		if (w->cap - w->len < len || w->overflow)
			w->overflow = true;
		else
			memcpy(w->buf + w->len, data, len);
	}
	w->len += len;
}

/* TkaWriteHead: an item head in its shortest form. */
void
TkaWriteHead(TkaWriter *w, int major, uint64 value)
{
	uint8		head[9];
	int			extra;

	if (value < 24)
		extra = 0;
	else if (value <= 0xFF)
		extra = 1;
	else if (value <= 0xFFFF)
		extra = 2;
	else if (value <= 0xFFFFFFFF)
		extra = 4;
	else
		extra = 8;
	if (extra == 0)
		head[0] = (uint8) ((major << 5) | value);
	else
		head[0] = (uint8) ((major << 5) | (extra == 1 ? 24 : extra == 2 ? 25 :
										   extra == 4 ? 26 : 27));
	for (int i = 0; i < extra; i++)
		head[1 + i] = (uint8) (value >> (8 * (extra - 1 - i)));
	emit(w, head, 1 + extra);
}

/* TkaWriteUint: an unsigned integer. */
void
TkaWriteUint(TkaWriter *w, uint64 value)
{
	TkaWriteHead(w, TKA_CBOR_UINT, value);
}

/* TkaWriteBytes: a byte string. */
void
TkaWriteBytes(TkaWriter *w, const uint8 *data, size_t len)
{
	TkaWriteHead(w, TKA_CBOR_BYTES, len);
	emit(w, data, len);
}

/* TkaWriteText: a text string (the caller vouches for its UTF-8). */
void
TkaWriteText(TkaWriter *w, const uint8 *data, size_t len)
{
	TkaWriteHead(w, TKA_CBOR_TEXT, len);
	emit(w, data, len);
}

/* TkaWriteNull: null. */
void
TkaWriteNull(TkaWriter *w)
{
	uint8		b = TKA_CBOR_NULL_BYTE;

	emit(w, &b, 1);
}
