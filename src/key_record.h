/*-------------------------------------------------------------------------
 *
 * key_record.h
 *	  Looking up a presented key, proving its secret, and its status.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/key_record.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEY_RECORD_H
#define KEY_RECORD_H

#include "datatype/timestamp.h"
#include "storage/itemptr.h"
#include "utils/array.h"

#include "key_format.h"

typedef enum KeyStatus
{
	KEY_VALID,
	KEY_EXPIRED,
	KEY_REVOKED,
	KEY_USED,
	KEY_INVALID
} KeyStatus;

/* A key row whose secret the caller has proven. */
typedef struct KeyRecord
{
	char		key_id[AUTH_KEY_ID_LEN + 1];
	int64		tailnet_id;
	char	   *tailnet;
	char	   *created_by;		/* NULL for a key of an OAuth client */
	bool		reusable;
	bool		ephemeral;
	bool		preauthorized;
	ArrayType  *tags;
	bool		has_max_uses;
	int32		max_uses;
	int32		uses;
	TimestampTz expires_at;
	bool		revoked;
	bool		used_up;
	ItemPointerData tid;		/* where the row version read is */
	/* settings of the key's tailnet, for registration */
	bool		device_approval;
	int64		node_key_expiry_usecs;
} KeyRecord;

extern bool KeyProve(text *key, KeyRecord *record);
extern KeyStatus KeyLockShared(KeyRecord *record);
extern KeyStatus KeyStatusFrom(bool revoked, bool used_up,
							   TimestampTz expires_at, TimestampTz now);
extern KeyStatus KeyRecordStatus(const KeyRecord *record);
extern const char *KeyStatusName(KeyStatus status);
extern int32 KeyUseLimit(bool reusable, bool has_max_uses, int32 max_uses);
extern bool KeyHasUseLimit(const KeyRecord *record);
extern bool KeyUsesLeftFrom(bool reusable, bool has_max_uses, int32 max_uses,
							int32 uses, int32 *uses_left);
extern bool KeyUsesLeft(const KeyRecord *record, int32 *uses_left);

#endif							/* KEY_RECORD_H */
