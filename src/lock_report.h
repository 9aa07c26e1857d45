/*-------------------------------------------------------------------------
 *
 * lock_report.h
 *	  Errors for Tailnet Lock input the core refused.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/lock_report.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOCK_REPORT_H
#define LOCK_REPORT_H

#include "lock_codec.h"

extern void LockRefuse(LockStructure structure, const TkaError *err,
					   int position) pg_attribute_noreturn();
extern void LockRefuseWith(LockStructure structure, TkaStatus status,
						   const char *reason, int position) pg_attribute_noreturn();

#endif							/* LOCK_REPORT_H */
