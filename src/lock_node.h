/*-------------------------------------------------------------------------
 *
 * lock_node.h
 *	  Node key signatures: verified against the trusted keys, and stored.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/lock_node.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOCK_NODE_H
#define LOCK_NODE_H

#include "fmgr.h"

extern bool LockEnrolNode(int64 tailnet_id, const char *auth_key_id,
						  const uint8 *node_key, int64 node_id,
						  bytea *signature);

#endif							/* LOCK_NODE_H */
