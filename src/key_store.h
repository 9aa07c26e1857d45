/*-------------------------------------------------------------------------
 *
 * key_store.h
 *	  Every statement on auth_keys.keys and auth_keys.key_use_counts.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/key_store.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEY_STORE_H
#define KEY_STORE_H

#include "datatype/timestamp.h"
#include "utils/array.h"

#include "key_record.h"

/* A key as create_key makes it. */
typedef struct NewKey
{
	const char *key_id;
	int64		tailnet_id;
	const char *created_by;		/* a member's login, or NULL */
	const char *oauth_client_id;	/* or the client that minted it */
	text	   *description;	/* or NULL */
	bool		reusable;
	bool		ephemeral;
	bool		preauthorized;
	ArrayType  *tags;
	bool		has_max_uses;
	int32		max_uses;
	TimestampTz expires_at;
	const uint8 *secret_hash;	/* KEY_HASH_LEN bytes */
} NewKey;

/* A key that revoke_key has locked. */
typedef struct KeyToRevoke
{
	char	   *created_by;		/* NULL for a key an OAuth client minted */
	char	   *oauth_client_id;	/* the client, for such a key */
	bool		revoked;
} KeyToRevoke;

extern bool KeyStoreInsert(const NewKey *key);
extern bool KeyStoreSpend(const KeyRecord *key);
extern void KeyStoreCountUse(const KeyRecord *key);
extern KeyStatus KeyStoreStatusNow(const char *key_id);
extern bool KeyStoreLockForRevoke(const char *key_id, int64 tailnet_id,
								  KeyToRevoke *key);
extern void KeyStoreRevoke(const char *key_id, const char *who);
extern uint64 KeyStoreRevokeMemberKeys(int64 tailnet_id, const char *login,
									   const char *who, char ***key_ids);
extern uint64 KeyStoreRevokeClientKeys(int64 tailnet_id, const char *client_id,
									   const char *who, char ***key_ids);
extern uint64 KeyStorePickPurgeable(TimestampTz cutoff, int batch_size,
									Datum passed_over);
extern uint64 KeyStorePurge(Datum key_ids, TimestampTz cutoff);
extern uint64 KeyStoreAddUpUses(int batch_size);

#endif							/* KEY_STORE_H */
