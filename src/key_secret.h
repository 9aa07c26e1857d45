/*-------------------------------------------------------------------------
 *
 * key_secret.h
 *	  Randomness, hashing and comparison of key secrets.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/key_secret.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEY_SECRET_H
#define KEY_SECRET_H

#include "common/sha2.h"

#define KEY_HASH_LEN PG_SHA256_DIGEST_LENGTH

extern void KeyRandomBase62(char *out, int len);
extern void KeyHashSecret(const char *secret, size_t len, uint8 *hash);
extern bool KeyHashMatches(const uint8 *stored, const uint8 *computed);

#endif							/* KEY_SECRET_H */
