/*-------------------------------------------------------------------------
 *
 * schema.h
 *	  The extension's schema, and its tables and types by name.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/schema.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SCHEMA_H
#define SCHEMA_H

#define AUTH_KEYS_SCHEMA "auth_keys"

extern Oid	SchemaOid(void);
extern Oid	SchemaTable(const char *name);
extern Oid	SchemaTableRequired(const char *name);
extern Oid	SchemaType(const char *name);

#endif							/* SCHEMA_H */
