/*-------------------------------------------------------------------------
 *
 * node_register.c
 *	  auth_keys.register_node: enrol a node with a pre-authentication key.
 *
 * One call from the node-facing backend proves the key, spends one use of
 * it and enrols (or re-authenticates) the node, in the caller's
 * transaction.  The spend is a single conditional UPDATE:
 *
 *		UPDATE keys SET uses = uses + 1, ...
 *		 WHERE key_id = $1 AND revoked_at IS NULL AND used_up_at IS NULL
 *		   AND expires_at > now()
 *
 * Under READ COMMITTED, racers for the last use of a key queue on its row
 * lock; when the winner commits, each loser's UPDATE re-checks the WHERE
 * clause against the new row version, finds the key used up, and updates
 * nothing.  The loser then reads the key again (a new snapshot, which sees
 * the winner) and reports "already used".  So N racers on a one-off key
 * give exactly one success, and never "invalid".  Under REPEATABLE READ or
 * SERIALIZABLE the lost race is a serialization failure (40001) instead.
 *
 * Failures before the secret is proven say only "invalid authentication
 * key", with no detail; after, the detail says whether the key expired,
 * was revoked or was already used.
 *
 * Identity follows the seed: the node belongs to the key's creator, or,
 * when the key has tags, takes the identity of those tags.  Tagged nodes
 * have key expiry disabled.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/node_register.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "actor.h"
#include "arguments.h"
#include "event.h"
#include "key_format.h"
#include "key_record.h"
#include "lock_node.h"
#include "node.h"
#include "query.h"
#include "writable.h"

PG_FUNCTION_INFO_V1(auth_keys_register_node);
PG_FUNCTION_INFO_V1(auth_keys_register_node_1_1);

#define REGISTER_COLUMNS 9

/*
 * Refuse a key.  KEY_INVALID carries no detail at all: nothing about the key
 * was proven, so nothing about it is told.
 */
static void
refuse_key(KeyStatus status)
{
	const char *detail = NULL;

	switch (status)
	{
		case KEY_EXPIRED:
			detail = "The authentication key has expired.";
			break;
		case KEY_REVOKED:
			detail = "The authentication key has been revoked.";
			break;
		case KEY_USED:
			detail = "The authentication key was already used.";
			break;
		case KEY_VALID:
		case KEY_INVALID:
			break;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
			 errmsg("invalid authentication key"),
			 detail ? errdetail("%s", detail) : 0));
}

/*
 * Spend one use of a proven key.  Returns normally only if this call got
 * the use; otherwise refuses the key with the status that a fresh read
 * shows (a concurrent registration used it up, or it was revoked).
 */
static void
spend_key(const KeyRecord *key)
{
	static SqlStatement spend = {
		"UPDATE auth_keys.keys"
		"   SET uses = uses OPERATOR(pg_catalog.+) 1,"
		"       last_used_at = pg_catalog.now(),"
		"       used_up_at = CASE WHEN uses OPERATOR(pg_catalog.+) 1 OPERATOR(pg_catalog.>=)"
		"                              CASE WHEN reusable THEN COALESCE(max_uses, 2147483647)"
		"                                   ELSE 1 END"
		"                         THEN pg_catalog.now() END"
		" WHERE key_id OPERATOR(pg_catalog.=) $1"
		"   AND revoked_at IS NULL"
		"   AND used_up_at IS NULL"
		"   AND expires_at OPERATOR(pg_catalog.>) pg_catalog.now()",
		1, {TEXTOID}
	};
	static SqlStatement reread = {
		"SELECT revoked_at IS NOT NULL, used_up_at IS NOT NULL, expires_at"
		"  FROM auth_keys.keys"
		" WHERE key_id OPERATOR(pg_catalog.=) $1",
		1, {TEXTOID}
	};
	Datum		key_id = CStringGetTextDatum(key->key_id);
	KeyStatus	status;

	if (QueryRun(&spend, &key_id, NULL, false) == 1)
		return;

	/* not read-only: that takes a new snapshot, which sees the winner */
	if (QueryRun(&reread, &key_id, NULL, false) == 0)
		refuse_key(KEY_INVALID);	/* purged meanwhile */
	status = KeyStatusFrom(DatumGetBool(QueryGetNotNull(0, 1)),
						   DatumGetBool(QueryGetNotNull(0, 2)),
						   DatumGetTimestampTz(QueryGetNotNull(0, 3)),
						   GetCurrentTransactionStartTimestamp());
	/* a key that still looks valid here lost to something unforeseen */
	refuse_key(status == KEY_VALID ? KEY_USED : status);
}

/* Refuse a node key that another tailnet has enrolled. */
static void
refuse_foreign_node_key(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("node key is enrolled in another tailnet"),
			 errhint("Delete the node there first, or generate a new node key.")));
}

/*
 * Whether the node key is enrolled already, and with this very key: then
 * presenting the key again spends nothing.  A node key of another tailnet
 * is refused.
 */
static bool
enrolled_with_key(Datum node_key, Oid nodekey_type, const KeyRecord *key)
{
	static SqlStatement find_node = {
		"SELECT tailnet_id, auth_key_id FROM auth_keys.nodes"
		" WHERE node_key OPERATOR(auth_keys.=) $1",
		1, {InvalidOid}
	};
	char	   *enrolled_with;

	QuerySetArgType(&find_node, 0, nodekey_type);
	if (QueryRun(&find_node, &node_key, NULL, true) == 0)
		return false;
	if (DatumGetInt64(QueryGetNotNull(0, 1)) != key->tailnet_id)
		refuse_foreign_node_key();
	enrolled_with = QueryGetText(0, 2);
	return enrolled_with != NULL && strcmp(enrolled_with, key->key_id) == 0;
}

/* The node as enrol_node left it. */
typedef struct EnrolledNode
{
	int64		node_id;
	bool		authorized;
	bool		reauthenticated;
	bool		tagged;
	TimestampTz node_key_expires_at;
} EnrolledNode;

/*
 * Enrol the node with the identity the key gives it, or re-authenticate
 * the node that has this node key, in one upsert: a concurrent deletion or
 * registration of the same node key cannot slip between a check and a
 * write.  An authorized node stays authorized.
 */
static EnrolledNode
enrol_node(Datum node_key, Oid nodekey_type, text *hostname,
		   const KeyRecord *key)
{
	static SqlStatement upsert = {
		"INSERT INTO auth_keys.nodes AS n"
		"  (tailnet_id, node_key, hostname, user_login, tags, auth_key_id,"
		"   ephemeral, authorized, key_expiry_disabled, node_key_expires_at)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
		" ON CONFLICT (node_key) DO UPDATE"
		"   SET hostname = excluded.hostname,"
		"       user_login = excluded.user_login,"
		"       tags = excluded.tags,"
		"       auth_key_id = excluded.auth_key_id,"
		"       ephemeral = excluded.ephemeral,"
		"       authorized = n.authorized OR excluded.authorized,"
		"       key_expiry_disabled = excluded.key_expiry_disabled,"
		"       node_key_expires_at = excluded.node_key_expires_at,"
		"       last_seen_at = pg_catalog.now()"
		"   WHERE n.tailnet_id OPERATOR(pg_catalog.=) excluded.tailnet_id"
		" RETURNING n.node_id, n.authorized,"
		"           n.xmax OPERATOR(pg_catalog.<>) '0'::pg_catalog.xid",
		10, {INT8OID, InvalidOid, TEXTOID, TEXTOID, TEXTARRAYOID, TEXTOID,
		BOOLOID, BOOLOID, BOOLOID, TIMESTAMPTZOID}
	};
	EnrolledNode node;
	Datum		values[10];
	char		nulls[10];

	node.tagged = ArrayGetNItems(ARR_NDIM(key->tags), ARR_DIMS(key->tags)) > 0;
	node.node_key_expires_at = GetCurrentTransactionStartTimestamp() +
		key->node_key_expiry_usecs;

	memset(nulls, ' ', sizeof(nulls));
	values[0] = Int64GetDatum(key->tailnet_id);
	values[1] = node_key;
	values[2] = PointerGetDatum(hostname);
	values[3] = CStringGetTextDatum(key->created_by);
	nulls[3] = node.tagged ? 'n' : ' ';
	values[4] = PointerGetDatum(key->tags);
	values[5] = CStringGetTextDatum(key->key_id);
	values[6] = BoolGetDatum(key->ephemeral);
	values[7] = BoolGetDatum(!key->device_approval || key->preauthorized);
	values[8] = BoolGetDatum(node.tagged);
	values[9] = TimestampTzGetDatum(node.node_key_expires_at);
	nulls[9] = node.tagged ? 'n' : ' ';

	QuerySetArgType(&upsert, 1, nodekey_type);
	if (QueryRun(&upsert, values, nulls, false) != 1)
		refuse_foreign_node_key();	/* enrolled elsewhere meanwhile */
	node.node_id = DatumGetInt64(QueryGetNotNull(0, 1));
	node.authorized = DatumGetBool(QueryGetNotNull(0, 2));
	node.reauthenticated = DatumGetBool(QueryGetNotNull(0, 3));
	return node;
}

/*
 * register_node: the work of both versions.  With with_lock (1.1, whose
 * fourth argument is the node key signature), the node's signature is
 * verified and stored in a locked tailnet (src/lock_node.c); 1.0 has no
 * Tailnet Lock tables.
 */
static Datum
register_node(FunctionCallInfo fcinfo, bool with_lock)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			nodekey_type = NodeKeyArgType(fcinfo, 1);
	KeyRecord	key;
	KeyStatus	status;
	Datum		node_key;
	text	   *hostname;
	bool		same_key_again;
	EnrolledNode node;
	bool		signed_now;
	Datum		result[REGISTER_COLUMNS];
	bool		result_nulls[REGISTER_COLUMNS];
	StringInfoData detail;

	RequireWritable(fcinfo);
	/* the row type the executor expects: no catalog lookups per call */
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);

	RequireArgument(fcinfo, 1);
	node_key = PG_GETARG_DATUM(1);
	hostname = PG_ARGISNULL(2) ? NULL : PG_GETARG_TEXT_PP(2);
	NodeRequireHostname(hostname);

	SPI_connect();
	if (PG_ARGISNULL(0) || !KeyProve(PG_GETARG_TEXT_PP(0), &key))
		refuse_key(KEY_INVALID);

	/*
	 * The node that a key enrolled may present it again and spends nothing
	 * (a one-off key is "used" by then); anyone else spends a use.
	 */
	same_key_again = enrolled_with_key(node_key, nodekey_type, &key);
	status = KeyRecordStatus(&key);
	if (same_key_again && status == KEY_USED)
		status = KEY_VALID;
	if (status != KEY_VALID)
		refuse_key(status);
	if (!same_key_again)
		spend_key(&key);

	node = enrol_node(node_key, nodekey_type, hostname, &key);

	/*
	 * The node found above was deleted before the upsert, which therefore
	 * enrolled it afresh: that is a new registration, and spends a use (or
	 * fails) like any other.  Deleting a node never gives a key its use back.
	 */
	if (same_key_again && !node.reauthenticated)
	{
		same_key_again = false;
		spend_key(&key);
	}

	/* Tailnet Lock (1.1): the node key signature, if one was given */
	signed_now = with_lock &&
		LockEnrolNode(key.tailnet_id, key.key_id,
					  (const uint8 *) DatumGetPointer(node_key), node.node_id,
					  PG_ARGISNULL(3) ? NULL : PG_GETARG_BYTEA_PP(3));

	initStringInfo(&detail);
	JsonAddText(&detail, "hostname", text_to_cstring(hostname));
	JsonAddBool(&detail, "reauthenticated", node.reauthenticated);
	if (signed_now)
		JsonAddText(&detail, "lock_status", "signed");
	EventRecord(CallerRoleDescribe(), key.tailnet_id,
				same_key_again ? "node.reauthenticated" : "key.used",
				key.key_id, node.node_id, JsonFinish(&detail));

	memset(result_nulls, false, sizeof(result_nulls));
	result[0] = Int64GetDatum(node.node_id);
	result[1] = CStringGetTextDatum(key.tailnet);
	result[2] = CStringGetTextDatum(key.created_by);
	result_nulls[2] = node.tagged;
	result[3] = PointerGetDatum(key.tags);
	result[4] = BoolGetDatum(node.authorized);
	result[5] = BoolGetDatum(key.ephemeral);
	result[6] = BoolGetDatum(node.tagged);
	result[7] = TimestampTzGetDatum(node.node_key_expires_at);
	result_nulls[7] = node.tagged;
	result[8] = BoolGetDatum(node.reauthenticated);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, result, result_nulls);
	SPI_finish();

	return (Datum) 0;
}

/*
 * auth_keys.register_node(key text, node_key auth_keys.nodekey,
 *		hostname text) RETURNS TABLE (node_id bigint, tailnet text,
 *		user_login text, tags text[], authorized boolean, ephemeral boolean,
 *		key_expiry_disabled boolean, node_key_expires_at timestamptz,
 *		reauthenticated boolean)
 *		Node-facing tier, version 1.0.
 */
Datum
auth_keys_register_node(PG_FUNCTION_ARGS)
{
	return register_node(fcinfo, false);
}

/*
 * auth_keys.register_node(key text, node_key auth_keys.nodekey,
 *		hostname text, node_key_signature bytea DEFAULT NULL) RETURNS TABLE
 *		(the same columns)
 *		Node-facing tier, version 1.1.
 */
Datum
auth_keys_register_node_1_1(PG_FUNCTION_ARGS)
{
	return register_node(fcinfo, true);
}
