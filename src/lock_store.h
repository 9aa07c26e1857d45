/*-------------------------------------------------------------------------
 *
 * lock_store.h
 *	  The tables of Tailnet Lock: authorities, their logs, trusted keys.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/lock_store.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOCK_STORE_H
#define LOCK_STORE_H

#include "tka_state.h"
#include "tka_types.h"

/* A tailnet's authority: its genesis and head. */
typedef struct LockAuthority
{
	int64		tailnet_id;
	uint8		genesis[TKA_HASH_LEN];
	uint8		head[TKA_HASH_LEN];
} LockAuthority;

/* A stored AUM, as verifying a child or choosing a head needs it. */
typedef struct LockStoredAum
{
	uint8		hash[TKA_HASH_LEN];
	bool		has_parent;
	uint8		parent[TKA_HASH_LEN];
	int32		depth;
	int16		kind;
	int64		weight;
	bytea	   *state;			/* the state after it, canonical CBOR */
} LockStoredAum;

extern int64 LockTailnetLockForUpdate(const char *tailnet);
extern bool LockAuthorityGet(int64 tailnet_id, LockAuthority *out);
extern void LockAuthorityCreate(int64 tailnet_id, const uint8 *genesis);
extern void LockAuthoritySetHead(int64 tailnet_id, const uint8 *head);
extern void LockAuthorityDelete(int64 tailnet_id);
extern bool LockAumGet(int64 tailnet_id, const uint8 *hash, LockStoredAum *out);
extern void LockAumInsert(int64 tailnet_id, const LockStoredAum *aum,
						  const uint8 *bytes, size_t len);
extern int	LockAumChildren(int64 tailnet_id, const uint8 *parent, int32 depth,
							TkaForkCandidate **children);
extern void LockTrustedKeysSet(int64 tailnet_id, const TkaState *state);
/* What LockTrustedKeyGet found. */
typedef enum LockKeyTrust
{
	LOCK_NOT_LOCKED,			/* the tailnet has no authority */
	LOCK_KEY_UNTRUSTED,			/* it has, and does not trust the key */
	LOCK_KEY_TRUSTED			/* it trusts the key at its head */
} LockKeyTrust;

extern LockKeyTrust LockTrustedKeyGet(int64 tailnet_id, const TkaBytes *key_id,
									  uint8 *genesis, TkaKey *key);
extern void LockStateDecode(const bytea *stored, TkaState *state);

#endif							/* LOCK_STORE_H */
