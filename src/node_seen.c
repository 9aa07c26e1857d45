/*-------------------------------------------------------------------------
 *
 * node_seen.c
 *	  auth_keys.node_seen: the heartbeat of an enrolled node.
 *
 * The coordination server calls it whenever a node checks in.  It is one
 * UPDATE of last_seen_at, a column no index covers, so that the update can
 * be HOT (the nodes table leaves free space in each page for that).  Sweeps
 * remove ephemeral nodes whose last_seen_at is too old.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/node_seen.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"

#include "node.h"
#include "query.h"
#include "writable.h"

PG_FUNCTION_INFO_V1(auth_keys_node_seen);

/*
 * auth_keys.node_seen(node_key auth_keys.nodekey) RETURNS boolean
 *		Record that a node was seen now; false when no node has that key.
 *		Node-facing tier.
 */
Datum
auth_keys_node_seen(PG_FUNCTION_ARGS)
{
	static SqlStatement touch = {
		"UPDATE auth_keys.nodes SET last_seen_at = pg_catalog.now()"
		" WHERE node_key OPERATOR(auth_keys.=) $1",
		1, {InvalidOid}
	};
	Datum		node_key = PG_GETARG_DATUM(0);
	bool		found;

	RequireWritable(fcinfo);
	SPI_connect();
	QuerySetArgType(&touch, 0, NodeKeyArgType(fcinfo, 0));
	found = QueryRun(&touch, &node_key, NULL, false) > 0;
	SPI_finish();
	PG_RETURN_BOOL(found);
}
