/*-------------------------------------------------------------------------
 *
 * node.h
 *	  Enrolled nodes.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/node.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NODE_H
#define NODE_H

#include "fmgr.h"

extern Oid	NodeKeyArgType(FunctionCallInfo fcinfo, int argno);

#endif							/* NODE_H */
