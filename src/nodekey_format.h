/*-------------------------------------------------------------------------
 *
 * nodekey_format.h
 *	  Parsing and formatting of the text form of node keys.
 *
 * A node key is a Curve25519 public key.  Its text form is the lower-case
 * prefix "nodekey:" followed by exactly 64 hexadecimal digits; its stored
 * form is the 32 raw bytes.
 *
 * The functions declared here are pure: they allocate nothing and never
 * report errors through the backend, so they can be linked into programs
 * that are not a PostgreSQL server.  Include "c.h" (or "postgres.h") before
 * this header.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/nodekey_format.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NODEKEY_FORMAT_H
#define NODEKEY_FORMAT_H

/* Number of bytes in a node key. */
#define NODEKEY_LEN			32

/* The prefix of the text form, and its length. */
#define NODEKEY_PREFIX		"nodekey:"
#define NODEKEY_PREFIX_LEN	8

/* Number of hexadecimal digits after the prefix. */
#define NODEKEY_HEX_LEN		(NODEKEY_LEN * 2)

/* Length of the text form, not counting the terminating NUL. */
#define NODEKEY_TEXT_LEN	(NODEKEY_PREFIX_LEN + NODEKEY_HEX_LEN)

/* Size of the buffer NodeKeyParse may write its reason into. */
#define NODEKEY_REASON_SIZE 128

extern const char *NodeKeyParse(const char *text, size_t len, uint8 *out,
								char *reason);
extern void NodeKeyFormat(const uint8 *key, char *out);

#endif							/* NODEKEY_FORMAT_H */
