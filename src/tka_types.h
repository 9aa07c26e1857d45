/*-------------------------------------------------------------------------
 *
 * tka_types.h
 *	  Decoded forms of the Tailnet Lock structures, their limits, and the
 *	  error report that every tka_* function fills in.
 *
 * The structures mirror the CBOR maps of the reference (tka/key.go,
 * tka/aum.go, tka/state.go, tka/sig.go).  Byte and text strings are not
 * copied: a TkaBytes points into the buffer that was decoded, which must
 * outlive the structure.  Arrays live in a TkaArena (tka_decode.h).
 *
 * Nothing declared here or in any tka_*.h uses backend services (no
 * palloc, no ereport), so that the whole core can be fuzzed and tested
 * without a server.  Include "c.h" (or "postgres.h") first.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/tka_types.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TKA_TYPES_H
#define TKA_TYPES_H

/* Sizes of the fixed-length values. */
#define TKA_HASH_LEN			32	/* BLAKE2s-256 digest */
#define TKA_KEY_LEN				32	/* Ed25519 public key, also a key id */
#define TKA_SIG_LEN				64	/* Ed25519 signature */
#define TKA_NODE_KEY_LEN		32	/* node key (Curve25519 public key) */
#define TKA_NODE_PUB_LEN		34	/* "np" followed by the node key */
#define TKA_DISABLEMENT_LEN		32	/* an Argon2i disablement value */

/* Limits of the reference: tka/limits.go, tka/key.go and tka/tka.go. */
#define TKA_MAX_KEYS			512
#define TKA_MAX_DISABLEMENT		32
#define TKA_MAX_META_BYTES		512
#define TKA_MAX_VOTES			4096
#define TKA_MAX_DEPTH			16	/* nested maps and arrays */
#define TKA_MAX_ARRAY			4096	/* elements of one array */
#define TKA_MAX_MAP_PAIRS		1024	/* pairs of one map */

/* Longest input any decoder accepts (a full checkpoint needs ~600 kB). */
#define TKA_MAX_INPUT			(1024 * 1024)

/* AUM kinds (tka/aum.go). */
#define TKA_AUM_ADD_KEY			1
#define TKA_AUM_REMOVE_KEY		2
#define TKA_AUM_NO_OP			3
#define TKA_AUM_UPDATE_KEY		4
#define TKA_AUM_CHECKPOINT		5

/* Key kinds (tka/key.go). */
#define TKA_KEY_ED25519			1

/* Node key signature kinds (tka/sig.go). */
#define TKA_SIG_DIRECT			1
#define TKA_SIG_ROTATION		2
#define TKA_SIG_CREDENTIAL		3

/* Outcome of every tka_* function that can fail. */
typedef enum TkaStatus
{
	TKA_OK = 0,
	TKA_MALFORMED,				/* not the canonical encoding of the structure */
	TKA_INVALID,				/* well-formed, but breaks a static rule */
	TKA_REJECTED,				/* valid, but does not verify or apply */
	TKA_NO_MEMORY,				/* the caller's arena or buffer is too small */
	TKA_CRYPTO_FAILURE			/* the crypto library failed */
} TkaStatus;

/* Room for a reason, including the terminating NUL. */
#define TKA_REASON_SIZE			256

/*
 * Error report: the status and one whole English sentence saying why, fit
 * for an errdetail.  Every function that takes one sets it on failure and
 * leaves it alone on success.
 */
typedef struct TkaError
{
	TkaStatus	status;
	char		reason[TKA_REASON_SIZE];
} TkaError;

/* A byte or text string inside a decoded buffer; data is NULL if absent. */
typedef struct TkaBytes
{
	const uint8 *data;
	size_t		len;
} TkaBytes;

/* One meta entry: text to text. */
typedef struct TkaMetaEntry
{
	TkaBytes	key;
	TkaBytes	value;
} TkaMetaEntry;

/*
 * A text-to-text map, entries in canonical order (shorter keys first, then
 * bytewise).  The reference omits an empty map, so count == 0 means absent.
 */
typedef struct TkaMeta
{
	int			count;
	TkaMetaEntry *entries;
} TkaMeta;

/* Key: {1: kind, 2: votes, 3: public, 12: meta (optional)}. */
typedef struct TkaKey
{
	uint64		kind;
	uint64		votes;
	TkaBytes	public_key;		/* always present (may be of any length) */
	TkaMeta		meta;
} TkaKey;

/* Signature over an AUM: {1: key id, 2: signature}. */
typedef struct TkaSignature
{
	TkaBytes	key_id;
	TkaBytes	signature;
} TkaSignature;

/*
 * State: {1: last AUM hash or null, 2: disablement values or null,
 * 3: keys or null, 4: state id 1 (omitted if 0), 5: state id 2 (same)}.
 * The reference tells a null list from an empty one, so we do too.
 */
typedef struct TkaState
{
	TkaBytes	last_hash;		/* data NULL: null */
	bool		disablement_null;
	int			ndisablement;
	TkaBytes   *disablement;
	bool		keys_null;
	int			nkeys;
	TkaKey	   *keys;
	uint64		state_id1;
	uint64		state_id2;
} TkaState;

/*
 * AUM: {1: kind, 2: parent or null, 3: key, 4: key id, 5: state, 6: votes,
 * 7: meta, 23: signatures}; 3 to 23 are omitted when empty.
 */
typedef struct TkaAum
{
	uint64		kind;
	TkaBytes	parent;			/* data NULL: null (a genesis) */
	bool		has_key;
	TkaKey		key;
	TkaBytes	key_id;			/* data NULL: absent */
	bool		has_state;
	TkaState	state;
	bool		has_votes;
	uint64		votes;
	TkaMeta		meta;
	int			nsignatures;
	TkaSignature *signatures;
} TkaAum;

/*
 * Node key signature: {1: kind, 2: pubkey, 3: key id, 4: signature,
 * 5: nested, 6: wrapping public key}; 2 to 6 are omitted when empty.
 */
typedef struct TkaNodeKeySig
{
	uint64		kind;
	TkaBytes	pubkey;
	TkaBytes	key_id;
	TkaBytes	signature;
	struct TkaNodeKeySig *nested;
	TkaBytes	wrapping_pubkey;
} TkaNodeKeySig;

#endif							/* TKA_TYPES_H */
