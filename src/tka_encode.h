/*-------------------------------------------------------------------------
 *
 * tka_encode.h
 *	  Canonical CBOR encoding of the decoded Tailnet Lock structures.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/tka_encode.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TKA_ENCODE_H
#define TKA_ENCODE_H

#include "tka_cbor.h"

extern bool TkaEncodeKey(TkaWriter *w, const TkaKey *key);
extern bool TkaEncodeState(TkaWriter *w, const TkaState *state);
extern bool TkaEncodeAum(TkaWriter *w, const TkaAum *aum,
						 bool with_signatures);
extern bool TkaEncodeNodeKeySig(TkaWriter *w, const TkaNodeKeySig *sig,
								bool with_signature);

#endif							/* TKA_ENCODE_H */
