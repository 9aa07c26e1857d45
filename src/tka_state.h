/*-------------------------------------------------------------------------
 *
 * tka_state.h
 *	  The authority's state machine: verifying an AUM against the state
 *	  before it, applying it, weighing it and choosing between forks.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/tka_state.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TKA_STATE_H
#define TKA_STATE_H

#include "tka_types.h"

/*
 * Room for a state computed by TkaStateApply.  Its keys and disablement
 * values still point into the state and the AUM it was computed from,
 * which must outlive it (or encode it at once with TkaEncodeState).
 */
typedef struct TkaStateBuffer
{
	TkaState	state;
	uint8		last_hash[TKA_HASH_LEN];
	TkaKey		keys[TKA_MAX_KEYS];
} TkaStateBuffer;

/* One child of a fork, as the choice between them needs it. */
typedef struct TkaForkCandidate
{
	uint64		weight;			/* TkaAumWeight against the parent's state */
	uint64		kind;
	uint8		hash[TKA_HASH_LEN];
} TkaForkCandidate;

extern void TkaStateInitEmpty(TkaState *state);
extern int	TkaStateFindKey(const TkaState *state, const uint8 *key_id,
							size_t len);
extern TkaStatus TkaAumVerify(const TkaAum *aum, const TkaState *before,
							  TkaError *err);
extern TkaStatus TkaStateApply(const TkaState *before, const TkaAum *aum,
							   const uint8 *aum_hash, TkaStateBuffer *out,
							   TkaError *err);
extern uint64 TkaAumWeight(const TkaAum *aum, const TkaState *before);
extern bool TkaForkPrefers(const TkaForkCandidate *a,
						   const TkaForkCandidate *b);
extern int	TkaForkChoose(const TkaForkCandidate *candidates, int n);

#endif							/* TKA_STATE_H */
