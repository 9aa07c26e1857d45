/*-------------------------------------------------------------------------
 *
 * arguments.h
 *	  Checks on the arguments of SQL-callable functions.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/arguments.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef ARGUMENTS_H
#define ARGUMENTS_H

#include "fmgr.h"

extern void RequireArgument(FunctionCallInfo fcinfo, int argno);
extern void RequireArguments(FunctionCallInfo fcinfo, int count);

#endif							/* ARGUMENTS_H */
