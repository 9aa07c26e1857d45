/*-------------------------------------------------------------------------
 *
 * lock_node.c
 *	  Node key signatures: verified against the keys trusted at the head,
 *	  and stored; register_node's part in a locked tailnet, and
 *	  auth_keys.lock_sign_node.
 *
 * A signature is decoded (22P02 when not canonical), the trusted key at
 * the bottom of its chain is looked up in the head's trusted keys, and the
 * whole chain is verified for the node key with it (tka_sig.c: Direct,
 * Rotation over a Credential, rotation chains as deep as the reference
 * allows).  One rule goes beyond the reference: a lock key whose meta
 * names an auth key ("authkey_stableid", as the wrapping of a pre-signed
 * auth key writes it) authorizes only nodes enrolled with that auth key.
 * A credential made for one pre-signed key cannot sign enrolments with
 * another, even one the same person holds.  Every refusal is 28000
 * "invalid node key signature" with the reason as detail: a signature is
 * public data, and register_node refuses it only after the auth key was
 * proven.
 *
 * The signature is stored with its authorizing key and the genesis of the
 * authority; from then on the node's lock status is read, not verified
 * again: "signed" while that key is trusted at that authority's head,
 * "key_removed" once it is not (node_list).  No lock is taken on the
 * authority: a RemoveKey committing meanwhile makes the node key_removed
 * as soon as it commits, and a disablement committing meanwhile leaves a
 * signature of an authority that is gone, which counts for none.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/lock_node.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "actor.h"
#include "arguments.h"
#include "event.h"
#include "lock_codec.h"
#include "lock_node.h"
#include "lock_report.h"
#include "lock_store.h"
#include "node.h"
#include "query.h"
#include "tka_sig.h"
#include "tka_state.h"
#include "writable.h"

PG_FUNCTION_INFO_V1(auth_keys_lock_sign_node);

/* Whose enrolment a signature is checked for. */
typedef enum SignedFor
{
	FOR_REGISTRATION,			/* the auth key being presented */
	FOR_ENROLLED_NODE			/* the auth key that enrolled the node */
} SignedFor;

/* The meta value of "authkey_stableid", if the key has one. */
static bool
bound_auth_key(const TkaKey *key, TkaBytes *value)
{
	static const char name[] = "authkey_stableid";

	for (int i = 0; i < key->meta.count; i++)
	{
		const TkaMetaEntry *e = &key->meta.entries[i];

		if (e->key.len == sizeof(name) - 1 && memcmp(e->key.data, name, e->key.len) == 0)
		{
			*value = e->value;
			return true;
		}
	}
	return false;
}

/*
 * Verify a node key signature for node_key against the tailnet's trusted
 * keys, and for the auth key auth_key_id (NULL: none known), and store it
 * as node_id's.  Returns false, having checked only that the signature is
 * well formed, when the tailnet has no Tailnet Lock; the authorizing key's
 * id is then in authorizing (32 bytes).
 */
static bool
verify_and_store(int64 tailnet_id, const char *auth_key_id, SignedFor signed_for,
				 const uint8 *node_key, int64 node_id, bytea *signature,
				 uint8 *authorizing)
{
	static SqlStatement store = {
		"INSERT INTO auth_keys.lock_node_signatures"
		"  (node_id, tailnet_id, genesis_hash, signature, authorizing_key)"
		" VALUES ($1, $2, $3, $4, $5)"
		" ON CONFLICT (node_id) DO UPDATE"
		"   SET tailnet_id = excluded.tailnet_id, genesis_hash = excluded.genesis_hash,"
		"       signature = excluded.signature, authorizing_key = excluded.authorizing_key,"
		"       signed_at = pg_catalog.now()",
		5, {INT8OID, INT8OID, BYTEAOID, BYTEAOID, BYTEAOID}
	};
	MemoryContext caller = CurrentMemoryContext;
	TkaNodeKeySig sig;
	TkaError	err;
	TkaBytes	key_id;
	TkaBytes	bound;
	TkaKey		key;
	TkaState	trusted;
	uint8		genesis[TKA_HASH_LEN];
	LockKeyTrust trust;
	bool		has_key;
	static const uint8 nothing[1] = {0};
	const TkaBytes no_key = {nothing, 0};
	Datum		values[5];

	if (LockDecode(LOCK_SIGNATURE, (const uint8 *) VARDATA_ANY(signature),
				   VARSIZE_ANY_EXHDR(signature), &sig, &err) != TKA_OK)
		LockRefuse(LOCK_SIGNATURE, &err, 0);
	has_key = TkaNodeKeySigAuthorizingKey(&sig, &key_id, &err) == TKA_OK;

	/* the only trusted key the chain can rest on, if it is trusted */
	memset(&key, 0, sizeof(key));
	trust = LockTrustedKeyGet(tailnet_id, has_key ? &key_id : &no_key, genesis, &key);
	if (trust == LOCK_NOT_LOCKED)
		return false;
	if (!has_key)
		LockRefuse(LOCK_SIGNATURE, &err, 0);
	TkaStateInitEmpty(&trusted);
	if (trust == LOCK_KEY_TRUSTED)
	{
		trusted.keys_null = false;
		trusted.nkeys = 1;
		trusted.keys = &key;
	}
	if (TkaNodeKeySigVerify(&sig, node_key, &trusted, &key_id, &err) != TKA_OK)
		LockRefuse(LOCK_SIGNATURE, &err, 0);

	if (bound_auth_key(&key, &bound) &&
		(auth_key_id == NULL || bound.len != strlen(auth_key_id) ||
		 memcmp(bound.data, auth_key_id, bound.len) != 0))
	{
		if (signed_for == FOR_REGISTRATION)
			LockRefuseWith(LOCK_SIGNATURE, TKA_REJECTED,
						   "The lock key that authorizes the signature was made for another authentication key than the one presented.",
						   0);
		LockRefuseWith(LOCK_SIGNATURE, TKA_REJECTED,
					   "The lock key that authorizes the signature was made for another authentication key than the one that enrolled the node.",
					   0);
	}

	memcpy(authorizing, key_id.data, TKA_KEY_LEN);
	values[0] = Int64GetDatum(node_id);
	values[1] = Int64GetDatum(tailnet_id);
	values[2] = PointerGetDatum(LockBytea(genesis, TKA_HASH_LEN));
	values[3] = PointerGetDatum(signature);
	values[4] = PointerGetDatum(LockBytea(key_id.data, key_id.len));
	QueryRun(&store, values, NULL, false);
	SPI_freetuptable(SPI_tuptable);
	MemoryContextSwitchTo(caller);
	return true;
}

/*
 * LockEnrolNode
 *		register_node's part: with a signature, in a locked tailnet, verify
 *		and store it for the node just enrolled with auth_key_id; returns
 *		whether it did.  In a tailnet without Tailnet Lock a signature is
 *		only checked to be well formed: there is nothing to verify it
 *		against.  Without one the node stays as it was (a new node is
 *		unsigned; a re-authenticated one keeps its signature, which signs
 *		the same node key).  Caller is connected to SPI.
 */
bool
LockEnrolNode(int64 tailnet_id, const char *auth_key_id, const uint8 *node_key,
			  int64 node_id, bytea *signature)
{
	uint8		authorizing[TKA_KEY_LEN];

	if (signature == NULL)
		return false;
	return verify_and_store(tailnet_id, auth_key_id, FOR_REGISTRATION, node_key,
							node_id, signature, authorizing);
}

/*
 * auth_keys.lock_sign_node(node_key auth_keys.nodekey, signature bytea)
 *		RETURNS void
 *		A signature made later, on a signing node, for an enrolled node.
 *		Node tier.
 */
Datum
auth_keys_lock_sign_node(PG_FUNCTION_ARGS)
{
	static SqlStatement find = {
		"SELECT node_id, tailnet_id, auth_key_id FROM auth_keys.nodes"
		" WHERE node_key OPERATOR(auth_keys.=) $1 FOR KEY SHARE",
		1, {InvalidOid}
	};
	Datum		node_key;
	int64		node_id;
	int64		tailnet_id;
	char	   *auth_key_id;
	uint8		authorizing[TKA_KEY_LEN];
	EventDetail detail;

	RequireWritable(fcinfo);
	RequireArguments(fcinfo, 2);
	node_key = PG_GETARG_DATUM(0);

	SPI_connect();
	QuerySetArgType(&find, 0, NodeKeyArgType(fcinfo, 0));
	if (QueryRun(&find, &node_key, NULL, false) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("no node is enrolled with this node key")));
	node_id = DatumGetInt64(QueryGetNotNull(0, 1));
	tailnet_id = DatumGetInt64(QueryGetNotNull(0, 2));
	auth_key_id = QueryGetText(0, 3);

	if (!verify_and_store(tailnet_id, auth_key_id, FOR_ENROLLED_NODE,
						  (const uint8 *) DatumGetPointer(node_key), node_id,
						  PG_GETARG_BYTEA_PP(1), authorizing))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the node's tailnet has no Tailnet Lock")));

	EventDetailInit(&detail);
	EventDetailText(&detail, "authorizing_key", LockHex(authorizing, TKA_KEY_LEN));
	EventRecord(CallerRoleDescribe(), tailnet_id, "node.signed", NULL, node_id,
				&detail);
	SPI_finish();
	PG_RETURN_VOID();
}
