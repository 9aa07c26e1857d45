/*-------------------------------------------------------------------------
 *
 * node_register.c
 *	  auth_keys.register_node: enrol a node with a pre-authentication key.
 *
 * One call from the node-facing backend proves the key, spends one use of
 * it and enrols (or re-authenticates) the node, in the caller's
 * transaction.  Lock, then check: a new node key is enrolled by inserting
 * its row, which no other transaction can see or take until the caller
 * commits (a concurrent insert of the same node key waits for it); the row
 * of a node key already enrolled is read FOR UPDATE first, so that what the
 * call decides from it (enrolled with this very key? in this tailnet?)
 * holds until the caller commits.  Then:
 *
 *	- a node presenting the key that enrolled it spends nothing: with a key
 *	  still valid it is re-authenticated (a new node key expiry); with a key
 *	  spent since (a one-off key, a reusable key at its limit) it is
 *	  returned as it is, renewed in nothing;
 *	- any other registration spends a use of a valid key and enrols the
 *	  node, or re-authenticates the node that has this node key with the
 *	  identity of the new key.
 *
 * The use is the last statement of the call, so that the key's row lock is
 * held only from it to the commit (key_store.c says how each kind of key
 * is spent).  A key with a limit is spent by one conditional UPDATE:
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
 * A reusable key without a limit, and a key that re-authenticates the node
 * it enrolled, are not written: their row is held FOR SHARE, which a
 * revocation waits for (and which does not make registrations wait for
 * each other), and its status is checked again as locked.  Locks are
 * always taken node row first, key row second.
 *
 * Failures before the secret is proven say only "invalid authentication
 * key", with no detail; after, the detail says whether the key expired,
 * was revoked or was already used.
 *
 * Identity: the node belongs to the key's creator, or, when the key has
 * tags, takes the identity of those tags.  Tagged nodes
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
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "actor.h"
#include "arguments.h"
#include "event.h"
#include "key_format.h"
#include "key_record.h"
#include "key_store.h"
#include "lock_node.h"
#include "name_rules.h"
#include "node.h"
#include "query.h"
#include "writable.h"

PG_FUNCTION_INFO_V1(auth_keys_register_node);
PG_FUNCTION_INFO_V1(auth_keys_register_node_1_1);

#define REGISTER_COLUMNS 9

static void refuse_key(KeyStatus status) pg_attribute_noreturn();

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
 * Spend one use of a proven key, or with counts (1.1) count it if the key
 * has no limit.  Returns normally only if this call got the use; otherwise
 * refuses the key with the status that the row shows now (a concurrent
 * registration used it up, or it was revoked).
 */
static void
use_key(KeyRecord *key, bool counts)
{
	KeyStatus	status;

	if (KeyHasUseLimit(key) || !counts)
	{
		if (KeyStoreSpend(key))
			return;
		status = KeyStoreStatusNow(key->key_id);
	}
	else
	{
		status = KeyLockShared(key);
		if (status == KEY_VALID)
		{
			KeyStoreCountUse(key);
			return;
		}
	}
	/* a key that still looks valid here lost to something unforeseen */
	refuse_key(status == KEY_VALID ? KEY_USED : status);
}

static void refuse_foreign_node_key(void) pg_attribute_noreturn();

/* Refuse a node key that another tailnet has enrolled. */
static void
refuse_foreign_node_key(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("node key is enrolled in another tailnet"),
			 errhint("Delete the node there first, or generate a new node key.")));
}

/* The node as the call leaves it: what register_node returns. */
typedef struct EnrolledNode
{
	int64		node_id;
	int64		tailnet_id;
	char	   *auth_key_id;	/* the key that enrolled it last */
	char	   *user_login;
	ArrayType  *tags;
	bool		authorized;
	bool		ephemeral;
	bool		key_expiry_disabled;
	bool		has_expiry;
	TimestampTz node_key_expires_at;
	bool		reauthenticated;
} EnrolledNode;

/* The columns that lock_node and enrol_node return, in this order. */
#define NODE_COLUMNS \
	"node_id, tailnet_id, auth_key_id, user_login, tags, authorized, ephemeral," \
	" key_expiry_disabled, node_key_expires_at"

/* Fill "node" from the first result row of a query returning NODE_COLUMNS. */
static void
read_node(EnrolledNode *node)
{
	bool		isnull;

	node->node_id = DatumGetInt64(QueryGetNotNull(0, 1));
	node->tailnet_id = DatumGetInt64(QueryGetNotNull(0, 2));
	node->auth_key_id = QueryGetText(0, 3);
	node->user_login = QueryGetText(0, 4);
	node->tags = DatumGetArrayTypePCopy(QueryGetNotNull(0, 5));
	node->authorized = DatumGetBool(QueryGetNotNull(0, 6));
	node->ephemeral = DatumGetBool(QueryGetNotNull(0, 7));
	node->key_expiry_disabled = DatumGetBool(QueryGetNotNull(0, 8));
	node->node_key_expires_at = DatumGetTimestampTz(QueryGet(0, 9, &isnull));
	node->has_expiry = !isnull;
}

/*
 * Lock the node row of a node key, if there is one.  Not read-only: a new
 * snapshot after the statements before it, so a node enrolled earlier in
 * the same statement or transaction is found (and a second registration
 * of it re-authenticates instead of spending again).
 */
static bool
lock_node(Datum node_key, Oid nodekey_type, EnrolledNode *node)
{
	static SqlStatement lock = {
		"SELECT " NODE_COLUMNS " FROM auth_keys.nodes"
		" WHERE node_key OPERATOR(auth_keys.=) $1"
		"   FOR UPDATE",
		1, {InvalidOid}
	};

	QuerySetArgType(&lock, 0, nodekey_type);
	if (QueryRun(&lock, &node_key, NULL, false) == 0)
		return false;
	read_node(node);
	return true;
}

/*
 * The identity the key gives a node, as the arguments of insert_node and
 * update_node ($1 is the tailnet or the node, $2 the node key).  An
 * authorized node stays authorized.
 */
static void
identity_of(const KeyRecord *key, Datum node_key, text *hostname,
			Datum *values, char *nulls)
{
	bool		tagged = ArrayGetNItems(ARR_NDIM(key->tags), ARR_DIMS(key->tags)) > 0;

	memset(nulls, ' ', 10);
	values[1] = node_key;
	values[2] = PointerGetDatum(hostname);
	values[3] = key->created_by ? CStringGetTextDatum(key->created_by) : (Datum) 0;
	nulls[3] = tagged || key->created_by == NULL ? 'n' : ' ';
	values[4] = PointerGetDatum(key->tags);
	values[5] = CStringGetTextDatum(key->key_id);
	values[6] = BoolGetDatum(key->ephemeral);
	values[7] = BoolGetDatum(!key->device_approval || key->preauthorized);
	values[8] = BoolGetDatum(tagged);
	values[9] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp() +
									key->node_key_expiry_usecs);
	nulls[9] = tagged ? 'n' : ' ';
}

/*
 * Enrol a new node key with the identity the key gives it.  Returns false
 * when the node key is enrolled already (or a concurrent registration
 * enrolled it first, which this waited for): the caller locks that row.
 */
static bool
insert_node(Datum node_key, Oid nodekey_type, text *hostname,
			const KeyRecord *key, EnrolledNode *node)
{
	static SqlStatement insert = {
		"INSERT INTO auth_keys.nodes"
		"  (tailnet_id, node_key, hostname, user_login, tags, auth_key_id,"
		"   ephemeral, authorized, key_expiry_disabled, node_key_expires_at)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
		" ON CONFLICT (node_key) DO NOTHING"
		" RETURNING " NODE_COLUMNS,
		10, {INT8OID, InvalidOid, TEXTOID, TEXTOID, TEXTARRAYOID, TEXTOID,
		BOOLOID, BOOLOID, BOOLOID, TIMESTAMPTZOID}
	};
	Datum		values[10];
	char		nulls[10];

	identity_of(key, node_key, hostname, values, nulls);
	values[0] = Int64GetDatum(key->tailnet_id);
	QuerySetArgType(&insert, 1, nodekey_type);
	if (QueryRun(&insert, values, nulls, false) != 1)
		return false;
	read_node(node);
	node->reauthenticated = false;
	return true;
}

/*
 * Re-authenticate the locked node "existing" with the identity the key
 * gives it.
 */
static void
update_node(Datum node_key, Oid nodekey_type, text *hostname,
			const KeyRecord *key, const EnrolledNode *existing, EnrolledNode *node)
{
	static SqlStatement update = {
		"UPDATE auth_keys.nodes"
		"   SET hostname = $3, user_login = $4, tags = $5, auth_key_id = $6,"
		"       ephemeral = $7, authorized = authorized OR $8,"
		"       key_expiry_disabled = $9, node_key_expires_at = $10,"
		"       last_seen_at = pg_catalog.now()"
		" WHERE node_id OPERATOR(pg_catalog.=) $1"
		"   AND node_key OPERATOR(auth_keys.=) $2"
		" RETURNING " NODE_COLUMNS,
		10, {INT8OID, InvalidOid, TEXTOID, TEXTOID, TEXTARRAYOID, TEXTOID,
		BOOLOID, BOOLOID, BOOLOID, TIMESTAMPTZOID}
	};
	Datum		values[10];
	char		nulls[10];

	identity_of(key, node_key, hostname, values, nulls);
	values[0] = Int64GetDatum(existing->node_id);
	QuerySetArgType(&update, 1, nodekey_type);
	if (QueryRun(&update, values, nulls, false) != 1)
		elog(ERROR, "locked node " INT64_FORMAT " was not updated", existing->node_id);
	read_node(node);
	node->reauthenticated = true;
}

/*
 * register_node: the work of both versions.  With with_lock (1.1, whose
 * fourth argument is the node key signature), the node's signature is
 * verified and stored in a locked tailnet (src/lock_node.c), and the uses
 * of a key without a limit are counted in key_use_counts; 1.0 has neither
 * table, and spends every key by updating its row.
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
	EnrolledNode existing;
	EnrolledNode node;
	bool		found;
	bool		same_key_again = false;
	bool		as_it_is = false;
	bool		signed_now;
	Datum		result[REGISTER_COLUMNS];
	bool		result_nulls[REGISTER_COLUMNS];
	EventDetail detail;

	RequireWritable(fcinfo);
	/* the row type the executor expects: no catalog lookups per call */
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);

	RequireArgument(fcinfo, 1);
	node_key = PG_GETARG_DATUM(1);
	hostname = PG_ARGISNULL(2) ? NULL : PG_GETARG_TEXT_PP(2);
	RequireHostname(hostname);

	SPI_connect();
	if (PG_ARGISNULL(0) || !KeyProve(PG_GETARG_TEXT_PP(0), &key))
		refuse_key(KEY_INVALID);
	status = KeyRecordStatus(&key);

	/*
	 * A valid key inserts the node of a new node key; an enrolled node key's
	 * row is locked, then decided from.  A node deleted between a refused
	 * insert and the lock is enrolled anew.
	 */
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (status == KEY_VALID &&
			insert_node(node_key, nodekey_type, hostname, &key, &node))
			break;
		found = lock_node(node_key, nodekey_type, &existing);
		if (!found && status == KEY_VALID)
			continue;
		if (found && existing.tailnet_id != key.tailnet_id)
			refuse_foreign_node_key();
		same_key_again = found && existing.auth_key_id != NULL &&
			strcmp(existing.auth_key_id, key.key_id) == 0;

		/* a key spent since it enrolled this node renews nothing */
		if (same_key_again && status == KEY_USED)
		{
			node = existing;
			node.reauthenticated = false;
			as_it_is = true;
			break;
		}
		if (status != KEY_VALID)
			refuse_key(status);
		update_node(node_key, nodekey_type, hostname, &key, &existing, &node);
		break;
	}

	/* Tailnet Lock (1.1): the node key signature, if one was given */
	signed_now = with_lock &&
		LockEnrolNode(key.tailnet_id, key.key_id,
					  (const uint8 *) DatumGetPointer(node_key), node.node_id,
					  PG_ARGISNULL(3) ? NULL : PG_GETARG_BYTEA_PP(3));

	if (!as_it_is)
	{
		EventDetailInit(&detail);
		EventDetailText(&detail, "hostname", text_to_cstring(hostname));
		EventDetailBool(&detail, "reauthenticated", node.reauthenticated);
		if (signed_now)
			EventDetailText(&detail, "lock_status", "signed");
		EventRecord(CallerRoleDescribe(), key.tailnet_id,
					same_key_again ? "node.reauthenticated" : "key.used",
					key.key_id, node.node_id, &detail);

		/*
		 * The node that a key enrolled spends nothing presenting it again,
		 * but holds the key, as a use does, against a revocation.
		 */
		if (!same_key_again)
			use_key(&key, with_lock);
		else if ((status = KeyLockShared(&key)) != KEY_VALID)
			refuse_key(status);
	}
	else if (signed_now)
		EventRecord(CallerRoleDescribe(), key.tailnet_id, "node.signed",
					key.key_id, node.node_id, NULL);

	memset(result_nulls, false, sizeof(result_nulls));
	result[0] = Int64GetDatum(node.node_id);
	result[1] = CStringGetTextDatum(key.tailnet);
	result[2] = node.user_login ? CStringGetTextDatum(node.user_login) : (Datum) 0;
	result_nulls[2] = node.user_login == NULL;
	result[3] = PointerGetDatum(node.tags);
	result[4] = BoolGetDatum(node.authorized);
	result[5] = BoolGetDatum(node.ephemeral);
	result[6] = BoolGetDatum(node.key_expiry_disabled);
	result[7] = TimestampTzGetDatum(node.node_key_expires_at);
	result_nulls[7] = !node.has_expiry;
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
