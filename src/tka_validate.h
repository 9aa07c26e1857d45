/*-------------------------------------------------------------------------
 *
 * tka_validate.h
 *	  Static validity of decoded keys, checkpoint states and AUMs.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/tka_validate.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TKA_VALIDATE_H
#define TKA_VALIDATE_H

#include "tka_types.h"

extern size_t TkaMetaBytes(const TkaMeta *meta);
extern TkaStatus TkaKeyValidate(const TkaKey *key, TkaError *err);
extern TkaStatus TkaCheckpointStateValidate(const TkaState *state,
											TkaError *err);
extern TkaStatus TkaAumValidate(const TkaAum *aum, TkaError *err);
extern const char *TkaAumKindName(uint64 kind);

#endif							/* TKA_VALIDATE_H */
