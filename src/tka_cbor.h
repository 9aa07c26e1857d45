/*-------------------------------------------------------------------------
 *
 * tka_cbor.h
 *	  Strict reader and canonical writer of the CBOR subset Tailnet Lock
 *	  uses: unsigned integers, byte and text strings, null, arrays and
 *	  maps, in the canonical form of CTAP2.
 *
 * The reader refuses, with a sentence naming the offset (counted in bytes
 * from 0), anything a canonical encoder could not have written: integers
 * and lengths not in their shortest form, indefinite lengths, tags,
 * floating-point numbers and other simple values, text that is not UTF-8,
 * nesting deeper than TKA_MAX_DEPTH, arrays longer than TKA_MAX_ARRAY and
 * maps with more than TKA_MAX_MAP_PAIRS pairs (the reference decoder's
 * limits, tka/tka.go).  Map keys are checked by the caller, with
 * TkaReadFieldKey for the integer keys of structures and
 * TkaCanonicalCompare for text keys.
 *
 * The writer emits the shortest form of every head, into a buffer or
 * into a sink (a digest, for hashing without a copy).
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/tka_cbor.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TKA_CBOR_H
#define TKA_CBOR_H

#include "tka_types.h"

/* CBOR major types. */
#define TKA_CBOR_UINT		0
#define TKA_CBOR_NEGINT		1
#define TKA_CBOR_BYTES		2
#define TKA_CBOR_TEXT		3
#define TKA_CBOR_ARRAY		4
#define TKA_CBOR_MAP		5
#define TKA_CBOR_TAG		6
#define TKA_CBOR_SIMPLE		7

#define TKA_CBOR_NULL_BYTE	0xF6

typedef struct TkaReader
{
	const uint8 *data;
	size_t		len;
	size_t		pos;			/* next byte to read */
	size_t		item_start;		/* offset of the item read last */
	int			depth;			/* maps and arrays entered */
	TkaError   *err;
} TkaReader;

typedef void (*TkaSink) (void *ctx, const uint8 *data, size_t len);

typedef struct TkaWriter
{
	uint8	   *buf;			/* NULL with a sink, or to count only */
	size_t		cap;
	size_t		len;			/* bytes written, or that would have been */
	bool		overflow;		/* buf was too small */
	TkaSink		sink;
	void	   *sink_ctx;
} TkaWriter;

extern void TkaReaderInit(TkaReader *r, const uint8 *data, size_t len,
						  TkaError *err);
extern bool TkaReadUint(TkaReader *r, const char *what, uint64 *value);
extern bool TkaReadBytes(TkaReader *r, const char *what, TkaBytes *out);
extern bool TkaReadText(TkaReader *r, const char *what, TkaBytes *out);
extern bool TkaReadMap(TkaReader *r, const char *what, uint64 *npairs);
extern bool TkaReadArray(TkaReader *r, const char *what, uint64 *count);
extern void TkaReadLeave(TkaReader *r);
extern bool TkaReadNull(TkaReader *r);
extern bool TkaReadFieldKey(TkaReader *r, const char *what, int64 *previous,
							uint64 *key);
extern bool TkaReadEnd(TkaReader *r, const char *what);
extern bool TkaUnknownField(TkaReader *r, const char *what, uint64 key);
extern int	TkaCanonicalCompare(const TkaBytes *a, const TkaBytes *b);
extern bool TkaUtf8Valid(const uint8 *s, size_t len);

extern void TkaWriterInitBuffer(TkaWriter *w, uint8 *buf, size_t cap);
extern void TkaWriterInitSink(TkaWriter *w, TkaSink sink, void *ctx);
extern void TkaWriteHead(TkaWriter *w, int major, uint64 value);
extern void TkaWriteUint(TkaWriter *w, uint64 value);
extern void TkaWriteBytes(TkaWriter *w, const uint8 *data, size_t len);
extern void TkaWriteText(TkaWriter *w, const uint8 *data, size_t len);
extern void TkaWriteNull(TkaWriter *w);

#endif							/* TKA_CBOR_H */
