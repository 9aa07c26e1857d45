/*-------------------------------------------------------------------------
 *
 * name_rules.h
 *	  The rules for tailnet names, logins and hostnames.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/name_rules.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NAME_RULES_H
#define NAME_RULES_H

#include "postgres.h"

extern bool TailnetNameIsValid(const char *name, int len);
extern bool LoginIsValid(const char *login, int len);
extern bool HostnameIsValid(const char *hostname, int len);
extern void RequireTailnetName(const char *name);
extern void RequireLogin(const char *login);
extern void RequireHostname(text *hostname);

#endif							/* NAME_RULES_H */
