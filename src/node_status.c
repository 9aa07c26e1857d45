/*-------------------------------------------------------------------------
 *
 * node_status.c
 *	  auth_keys.node_status and auth_keys.nodes_seen: what the node-facing
 *	  backend needs to decide whether to serve a node.
 *
 * node_status reads one node by its node key: its tailnet, its status
 * (active, needs_approval, key_expired), identity and key expiry, and its
 * Tailnet Lock status, as node_list derives it (not_locked, unsigned,
 * signed, key_removed: no signature is verified again).  It writes nothing, so a hot standby answers it.
 *
 * nodes_seen is the heartbeat of many nodes at once, as a coordination
 * server batches them: one UPDATE of last_seen_at for every enrolled node
 * among the node keys given, and one row per node key given, in the order
 * given, with the node's status or "unknown".  It is one UPDATE by node
 * key, with no lock taken before it: the per-node cost is then little more
 * than the bare UPDATE's.  Two calls with overlapping node keys must lock
 * their rows in one order, or they deadlock: the UPDATE is planned as a
 * scan of the node key index, which visits the rows in node key order
 * whatever the order of the array (btree sorts the keys of "= ANY" before
 * it scans).  A bitmap or sequential scan would lock them in the order of
 * the rows' pages, and two sessions with different plans (a custom plan in
 * one, the generic plan in the other) did deadlock; so those scans are
 * turned off while the statement is planned.  The number of node
 * keys per call is bounded (NODES_SEEN_MAX), and the loops over them check
 * for interrupts.
 *
 * Both are node tier: SECURITY DEFINER, reading past row-level security,
 * for the backend that talks to devices and acts for no member.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/node_status.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

#include "node.h"
#include "nodekey_format.h"
#include "query.h"
#include "writable.h"

PG_FUNCTION_INFO_V1(auth_keys_node_status_by_key);
PG_FUNCTION_INFO_V1(auth_keys_nodes_seen);

/* the most node keys one nodes_seen call takes */
#define NODES_SEEN_MAX 10000

#define NODE_STATUS_COLUMNS 10

/*
 * auth_keys.node_status(node_key auth_keys.nodekey)
 *		RETURNS TABLE (node_id bigint, tailnet text, status text,
 *					   authorized boolean, ephemeral boolean,
 *					   key_expiry_disabled boolean,
 *					   node_key_expires_at timestamptz, user_login text,
 *					   tags text[], lock_status text)
 *		The node with that node key, or no row.  Node tier.
 */
Datum
auth_keys_node_status_by_key(PG_FUNCTION_ARGS)
{
	static SqlStatement lookup = {
		"SELECT n.node_id, t.name,"
		"       auth_keys.node_status(n.authorized, n.node_key_expires_at),"
		"       n.authorized, n.ephemeral, n.key_expiry_disabled,"
		"       n.node_key_expires_at, n.user_login, n.tags,"
		"       auth_keys.node_lock_status(a.tailnet_id IS NOT NULL, s.node_id IS NOT NULL,"
		"                                  k.key_id IS NOT NULL)"
		"  FROM auth_keys.nodes n"
		"  JOIN auth_keys.tailnets t"
		"    ON t.tailnet_id OPERATOR(pg_catalog.=) n.tailnet_id"
		"  LEFT JOIN auth_keys.lock_authorities a"
		"    ON a.tailnet_id OPERATOR(pg_catalog.=) n.tailnet_id"
		"  LEFT JOIN auth_keys.lock_node_signatures s"
		"    ON s.node_id OPERATOR(pg_catalog.=) n.node_id"
		"   AND s.genesis_hash OPERATOR(pg_catalog.=) a.genesis_hash"
		"  LEFT JOIN auth_keys.lock_trusted_keys k"
		"    ON k.tailnet_id OPERATOR(pg_catalog.=) s.tailnet_id"
		"   AND k.key_id OPERATOR(pg_catalog.=) s.authorizing_key"
		" WHERE n.node_key OPERATOR(auth_keys.=) $1",
		1, {InvalidOid}
	};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		node_key = PG_GETARG_DATUM(0);

	InitMaterializedSRF(fcinfo, 0);

	SPI_connect();
	QuerySetArgType(&lookup, 0, NodeKeyArgType(fcinfo, 0));
	if (QueryRun(&lookup, &node_key, NULL, true) == 1)
	{
		Datum		values[NODE_STATUS_COLUMNS];
		bool		nulls[NODE_STATUS_COLUMNS];
		MemoryContext spi = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);

		for (int i = 0; i < NODE_STATUS_COLUMNS; i++)
			values[i] = QueryGet(0, i + 1, &nulls[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();

	return (Datum) 0;
}

/* One node that nodes_seen found, by the bytes of its node key. */
typedef struct SeenNode
{
	uint8		node_key[NODEKEY_LEN];
	text	   *status;
} SeenNode;

static int
compare_seen(const void *a, const void *b)
{
	return memcmp(((const SeenNode *) a)->node_key,
				  ((const SeenNode *) b)->node_key, NODEKEY_LEN);
}

/*
 * auth_keys.nodes_seen(node_keys auth_keys.nodekey[])
 *		RETURNS TABLE (node_key auth_keys.nodekey, status text)
 *		Record a heartbeat of every enrolled node among node_keys; one row
 *		per node key given, with the node's status or "unknown".  Node
 *		tier.
 */
Datum
auth_keys_nodes_seen(PG_FUNCTION_ARGS)
{
	/* in node key order, whatever the order of the array: see the header */
	static SqlStatement touch = {
		"UPDATE auth_keys.nodes SET last_seen_at = pg_catalog.now()"
		" WHERE node_key OPERATOR(auth_keys.=) ANY ($1)"
		" RETURNING node_key, auth_keys.node_status(authorized, node_key_expires_at)",
		1, {InvalidOid}
	};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ArrayType  *node_keys = PG_GETARG_ARRAYTYPE_P(0);
	Oid			array_type = get_fn_expr_argtype(fcinfo->flinfo, 0);
	Oid			element_type = ARR_ELEMTYPE(node_keys);
	Datum	   *elems;
	bool	   *elem_nulls;
	int			count;
	uint64		found;
	int			guc_nest;
	SeenNode   *seen;
	text	   *unknown = cstring_to_text("unknown");
	Datum		array_datum = PointerGetDatum(node_keys);

	RequireWritable(fcinfo);
	if (ARR_NDIM(node_keys) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("node_keys must be a one-dimensional array")));
	deconstruct_array(node_keys, element_type, NODEKEY_LEN, false, TYPALIGN_CHAR,
					  &elems, &elem_nulls, &count);
	if (count > NODES_SEEN_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("nodes_seen takes at most %d node keys in one call",
						NODES_SEEN_MAX),
				 errdetail("The call gave %d node keys.", count),
				 errhint("Split the heartbeats into several calls.")));
	for (int i = 0; i < count; i++)
		if (elem_nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("node_keys must not contain nulls")));

	InitMaterializedSRF(fcinfo, 0);

	SPI_connect();
	if (!OidIsValid(array_type))
		array_type = get_array_type(element_type);
	QuerySetArgType(&touch, 0, array_type);
	guc_nest = NewGUCNestLevel();
	(void) set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("enable_bitmapscan", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	found = QueryRun(&touch, &array_datum, NULL, false);
	AtEOXact_GUC(true, guc_nest);

	/* what was found, sorted by node key for the lookups below */
	seen = MemoryContextAlloc(rsinfo->econtext->ecxt_per_query_memory,
							  sizeof(SeenNode) * Max(found, 1));
	for (uint64 i = 0; i < found; i++)
	{
		MemoryContext spi;

		CHECK_FOR_INTERRUPTS();
		memcpy(seen[i].node_key, DatumGetPointer(QueryGetNotNull(i, 1)), NODEKEY_LEN);
		spi = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
		seen[i].status = DatumGetTextPCopy(QueryGetNotNull(i, 2));
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	qsort(seen, found, sizeof(SeenNode), compare_seen);

	/* one row per node key given, in the order given */
	for (int i = 0; i < count; i++)
	{
		SeenNode	key = {0};
		SeenNode   *node;
		Datum		values[2];
		bool		nulls[2] = {false, false};

		CHECK_FOR_INTERRUPTS();
		memcpy(key.node_key, DatumGetPointer(elems[i]), NODEKEY_LEN);
		node = bsearch(&key, seen, found, sizeof(SeenNode), compare_seen);
		values[0] = elems[i];
		values[1] = PointerGetDatum(node != NULL ? node->status : unknown);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}

	return (Datum) 0;
}
