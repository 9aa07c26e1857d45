/*-------------------------------------------------------------------------
 *
 * nodekey.c
 *	  The auth_keys.nodekey base type: a Curve25519 public key.
 *
 * A nodekey is stored as its 32 raw bytes (a fixed-length, pass-by-reference
 * type without alignment requirement).  Its text form is "nodekey:" followed
 * by 64 hexadecimal digits and its binary form is the 32 bytes themselves.
 * Keys compare bytewise, so the btree order is that of the lower-case text
 * form, and equal keys always have identical bytes, which the hash support
 * functions rely on.
 *
 * The text form is parsed and printed by nodekey_format.c; this file only
 * turns its verdicts into SQL errors and provides the operator support.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/nodekey.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "fmgr.h"
#include "libpq/pqformat.h"

#include "nodekey_format.h"

/*
 * Inputs at most this long are quoted in the message of a syntax error, as
 * PostgreSQL's own types quote theirs; longer ones are left out so that a
 * stray megabyte does not end up in the server log.
 */
#define NODEKEY_MAX_QUOTED_INPUT 100

typedef struct NodeKey
{
	uint8		data[NODEKEY_LEN];
} NodeKey;

#define DatumGetNodeKeyP(X)		((NodeKey *) DatumGetPointer(X))
#define NodeKeyPGetDatum(X)		PointerGetDatum(X)
#define PG_GETARG_NODEKEY_P(n)	DatumGetNodeKeyP(PG_GETARG_DATUM(n))
#define PG_RETURN_NODEKEY_P(x)	return NodeKeyPGetDatum(x)

PG_FUNCTION_INFO_V1(auth_keys_nodekey_in);
PG_FUNCTION_INFO_V1(auth_keys_nodekey_out);
PG_FUNCTION_INFO_V1(auth_keys_nodekey_recv);
PG_FUNCTION_INFO_V1(auth_keys_nodekey_send);
PG_FUNCTION_INFO_V1(auth_keys_nodekey_eq);
PG_FUNCTION_INFO_V1(auth_keys_nodekey_ne);
PG_FUNCTION_INFO_V1(auth_keys_nodekey_lt);
PG_FUNCTION_INFO_V1(auth_keys_nodekey_le);
PG_FUNCTION_INFO_V1(auth_keys_nodekey_gt);
PG_FUNCTION_INFO_V1(auth_keys_nodekey_ge);
PG_FUNCTION_INFO_V1(auth_keys_nodekey_cmp);
PG_FUNCTION_INFO_V1(auth_keys_nodekey_hash);
PG_FUNCTION_INFO_V1(auth_keys_nodekey_hash_extended);

/*
 * Text input: parse "nodekey:" plus 64 hexadecimal digits.
 *
 * A rejected literal is a user mistake, so it is reported with
 * ERRCODE_INVALID_TEXT_REPRESENTATION and the parser's explanation as detail.
 */
Datum
auth_keys_nodekey_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	size_t		len = strlen(str);
	NodeKey	   *result = (NodeKey *) palloc(sizeof(NodeKey));
	char		reason_buf[NODEKEY_REASON_SIZE];
	const char *reason;

	reason = NodeKeyParse(str, len, result->data, reason_buf);
	if (reason != NULL)
	{
		if (len <= NODEKEY_MAX_QUOTED_INPUT)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type %s: \"%s\"",
							"nodekey", str),
					 errdetail("%s", reason)));
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type %s", "nodekey"),
					 errdetail("%s", reason)));
	}

	PG_RETURN_NODEKEY_P(result);
}

/*
 * Text output: "nodekey:" plus 64 lower-case hexadecimal digits, so that a
 * key always prints the same however it was typed in.
 */
Datum
auth_keys_nodekey_out(PG_FUNCTION_ARGS)
{
	NodeKey	   *key = PG_GETARG_NODEKEY_P(0);
	char	   *result = (char *) palloc(NODEKEY_TEXT_LEN + 1);

	NodeKeyFormat(key->data, result);
	PG_RETURN_CSTRING(result);
}

/*
 * Binary input: exactly the 32 bytes of the key.
 *
 * Any 32 bytes are a key, just as any 64 hexadecimal digits are, so the only
 * thing to check is the length; anything shorter or longer is rejected
 * rather than truncated or padded.
 */
Datum
auth_keys_nodekey_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			remaining = buf->len - buf->cursor;
	NodeKey	   *result;

	if (remaining != NODEKEY_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary representation for type %s",
						"nodekey"),
				 errdetail("A node key is exactly %d bytes in binary form, found %d.",
						   NODEKEY_LEN, remaining)));

	result = (NodeKey *) palloc(sizeof(NodeKey));
	pq_copymsgbytes(buf, (char *) result->data, NODEKEY_LEN);
	PG_RETURN_NODEKEY_P(result);
}

/*
 * Binary output: the 32 bytes of the key, the counterpart of
 * auth_keys_nodekey_recv.
 */
Datum
auth_keys_nodekey_send(PG_FUNCTION_ARGS)
{
	NodeKey	   *key = PG_GETARG_NODEKEY_P(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbytes(&buf, (const char *) key->data, NODEKEY_LEN);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * Three-way comparison of two keys in bytewise order; the basis of all the
 * comparison operators and of the btree support function.
 */
static int
nodekey_cmp_internal(const NodeKey *a, const NodeKey *b)
{
	return memcmp(a->data, b->data, NODEKEY_LEN);
}

/* The = operator. */
Datum
auth_keys_nodekey_eq(PG_FUNCTION_ARGS)
{
	NodeKey	   *a = PG_GETARG_NODEKEY_P(0);
	NodeKey	   *b = PG_GETARG_NODEKEY_P(1);

	PG_RETURN_BOOL(nodekey_cmp_internal(a, b) == 0);
}

/* The <> operator. */
Datum
auth_keys_nodekey_ne(PG_FUNCTION_ARGS)
{
	NodeKey	   *a = PG_GETARG_NODEKEY_P(0);
	NodeKey	   *b = PG_GETARG_NODEKEY_P(1);

	PG_RETURN_BOOL(nodekey_cmp_internal(a, b) != 0);
}

/* The < operator. */
Datum
auth_keys_nodekey_lt(PG_FUNCTION_ARGS)
{
	NodeKey	   *a = PG_GETARG_NODEKEY_P(0);
	NodeKey	   *b = PG_GETARG_NODEKEY_P(1);

	PG_RETURN_BOOL(nodekey_cmp_internal(a, b) < 0);
}

/* The <= operator. */
Datum
auth_keys_nodekey_le(PG_FUNCTION_ARGS)
{
	NodeKey	   *a = PG_GETARG_NODEKEY_P(0);
	NodeKey	   *b = PG_GETARG_NODEKEY_P(1);

	PG_RETURN_BOOL(nodekey_cmp_internal(a, b) <= 0);
}

/* The > operator. */
Datum
auth_keys_nodekey_gt(PG_FUNCTION_ARGS)
{
	NodeKey	   *a = PG_GETARG_NODEKEY_P(0);
	NodeKey	   *b = PG_GETARG_NODEKEY_P(1);

	PG_RETURN_BOOL(nodekey_cmp_internal(a, b) > 0);
}

/* The >= operator. */
Datum
auth_keys_nodekey_ge(PG_FUNCTION_ARGS)
{
	NodeKey	   *a = PG_GETARG_NODEKEY_P(0);
	NodeKey	   *b = PG_GETARG_NODEKEY_P(1);

	PG_RETURN_BOOL(nodekey_cmp_internal(a, b) >= 0);
}

/*
 * btree support function 1: -1, 0 or 1.  memcmp() only promises the sign,
 * so the result is normalised rather than passed through.
 */
Datum
auth_keys_nodekey_cmp(PG_FUNCTION_ARGS)
{
	NodeKey	   *a = PG_GETARG_NODEKEY_P(0);
	NodeKey	   *b = PG_GETARG_NODEKEY_P(1);
	int			cmp = nodekey_cmp_internal(a, b);

	PG_RETURN_INT32(cmp < 0 ? -1 : (cmp > 0 ? 1 : 0));
}

/*
 * hash support function 1: a 32-bit hash of the key bytes, for hash indexes,
 * hash joins and hash aggregation.
 */
Datum
auth_keys_nodekey_hash(PG_FUNCTION_ARGS)
{
	NodeKey	   *key = PG_GETARG_NODEKEY_P(0);

	return hash_any((const unsigned char *) key->data, NODEKEY_LEN);
}

/*
 * hash support function 2: a seeded 64-bit hash of the key bytes, used for
 * hash partitioning.  With seed 0 its low 32 bits equal
 * auth_keys_nodekey_hash, as the hash access method requires.
 */
Datum
auth_keys_nodekey_hash_extended(PG_FUNCTION_ARGS)
{
	NodeKey	   *key = PG_GETARG_NODEKEY_P(0);
	uint64		seed = (uint64) PG_GETARG_INT64(1);

	return hash_any_extended((const unsigned char *) key->data, NODEKEY_LEN,
							 seed);
}
