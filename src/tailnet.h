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

#endif							/* TAILNET_H */
