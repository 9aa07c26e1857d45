/*-------------------------------------------------------------------------
 *
 * tailnet.h
 *	  Tailnets (tenants) and their members.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/tailnet.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TAILNET_H
#define TAILNET_H

extern int64 TailnetIdByName(const char *name);
extern void TailnetRequireOwnerKept(int64 tailnet_id, const char *tailnet,
									const char *login, const char *new_role);

#endif							/* TAILNET_H */
