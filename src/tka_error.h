/*-------------------------------------------------------------------------
 *
 * tka_error.h
 *	  Filling in a TkaError: a status and one sentence saying why.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/tka_error.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TKA_ERROR_H
#define TKA_ERROR_H

#include "tka_types.h"

extern bool TkaFail(TkaError *err, TkaStatus status, const char *format,...);
extern const char *TkaStatusName(TkaStatus status);

#endif							/* TKA_ERROR_H */
