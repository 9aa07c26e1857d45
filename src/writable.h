/*-------------------------------------------------------------------------
 *
 * writable.h
 *	  Refuse a writing function on a hot standby or in a read-only
 *	  transaction, naming the function.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/writable.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef WRITABLE_H
#define WRITABLE_H

#include "fmgr.h"

extern void RequireWritable(FunctionCallInfo fcinfo);

#endif							/* WRITABLE_H */
