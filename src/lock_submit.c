/*-------------------------------------------------------------------------
 *
 * lock_submit.c
 *	  auth_keys.lock_submit: store the AUMs a signing node sent.
 *
 * Each AUM of the array, in order, as the reference's Authority.Inform
 * takes them:
 *
 *	1. decode it (exactly canonical CBOR, else 22P02) and check it
 *	   statically (the rules of its kind, else 22023);
 *	2. if it is stored already, skip it: a syncing node may send what we
 *	   have;
 *	3. the tailnet's first AUM is its genesis, verified against its own
 *	   state (it must be a signed Checkpoint without a parent); any other
 *	   must name a stored parent, and is verified against the state after
 *	   that parent (aumVerify: at least one signature, every one by a key
 *	   trusted there, and valid);
 *	4. apply it to that state, and store it with its weight (the votes of
 *	   the distinct trusted keys that signed it) and the state after it.
 *
 * A refusal (28000 for an AUM that does not chain, verify or apply) fails
 * the whole call: nothing of it is stored.  Forks are kept.  The head is
 * reached from the genesis by following, at each AUM, the child that the
 * reference's rules choose (tka_state.c: the highest weight, then a
 * RemoveKey, then the lowest hash).  An AUM whose parent is the head
 * becomes the head at once (the head has no other child); an AUM
 * anywhere else may change a choice on the way, and the head is then
 * found again by that walk.  When the head moved, the trusted keys are
 * made those of the new head's state, which is what node key signatures
 * and every node's lock status are read against.
 *
 * The tailnet's row is locked first (lock_store.c), so concurrent calls
 * for one tailnet run one after the other; under READ COMMITTED each
 * statement after the lock sees what the call before committed.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/lock_submit.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "actor.h"
#include "arguments.h"
#include "event.h"
#include "lock_codec.h"
#include "lock_report.h"
#include "lock_store.h"
#include "tka_crypto.h"
#include "tka_error.h"
#include "tka_state.h"
#include "tka_validate.h"
#include "writable.h"

PG_FUNCTION_INFO_V1(auth_keys_lock_submit);

/* Most AUMs one call takes (a longer log is sent in several calls). */
#define LOCK_SUBMIT_MAX 4096

/* Refuse AUM number "position" (from 1) with a reason of our own. */
static void
reject(int position, const char *reason)
{
	LockRefuseWith(LOCK_AUM, TKA_REJECTED, reason, position);
}

/*
 * Verify, apply and store one decoded, statically valid AUM; "authority"
 * is NULL before the genesis.  Returns its stored form (hash, parent,
 * depth).
 */
static void
store_aum(int64 tailnet_id, const LockAuthority *authority, const TkaAum *aum,
		  const uint8 *bytes, size_t len, int position, LockStoredAum *stored)
{
	TkaError	err;
	TkaState	parent_state;
	const TkaState *before = NULL;
	TkaStateBuffer *after = palloc(sizeof(TkaStateBuffer));

	if (TkaAumHash(aum, stored->hash, &err) != TKA_OK)
		LockRefuse(LOCK_AUM, &err, position);
	stored->has_parent = false;
	stored->depth = 0;
	stored->weight = 0;
	stored->kind = (int16) aum->kind;

	if (authority != NULL)
	{
		LockStoredAum parent;

		if (aum->parent.data == NULL)
			reject(position, "The AUM has no parent, but the authority already has a genesis.");
		/* static validity made it 32 bytes long */
		if (!LockAumGet(tailnet_id, aum->parent.data, &parent))
			reject(position, "The AUM's parent is not stored.");
		LockStateDecode(parent.state, &parent_state);
		before = &parent_state;
		stored->has_parent = true;
		memcpy(stored->parent, parent.hash, TKA_HASH_LEN);
		stored->depth = parent.depth + 1;
	}

	if (TkaAumVerify(aum, before, &err) != TKA_OK)
		LockRefuse(LOCK_AUM, &err, position);
	if (before != NULL)
		stored->weight = (int64) TkaAumWeight(aum, before);
	if (TkaStateApply(before, aum, stored->hash, after, &err) != TKA_OK)
		LockRefuse(LOCK_AUM, &err, position);
	stored->state = LockEncodeState(&after->state);
	LockAumInsert(tailnet_id, stored, bytes, len);
}

/*
 * The head, found again: from the genesis, follow the child the fork
 * rules choose until an AUM has none.  Each step goes one deeper, so the
 * walk is at most as long as the log is deep.
 */
static void
find_head(int64 tailnet_id, const uint8 *genesis, uint8 *head)
{
	MemoryContext walk = AllocSetContextCreate(CurrentMemoryContext, "lock head",
											   ALLOCSET_SMALL_SIZES);
	MemoryContext caller = MemoryContextSwitchTo(walk);
	int32		depth = 0;

	memcpy(head, genesis, TKA_HASH_LEN);
	for (;;)
	{
		TkaForkCandidate *children;
		int			n;

		CHECK_FOR_INTERRUPTS();
		n = LockAumChildren(tailnet_id, head, depth, &children);
		if (n == 0)
			break;
		memcpy(head, children[TkaForkChoose(children, n)].hash, TKA_HASH_LEN);
		depth++;
		MemoryContextReset(walk);
	}
	MemoryContextSwitchTo(caller);
	MemoryContextDelete(walk);
}

/*
 * auth_keys.lock_submit(tailnet text, aums bytea[]) RETURNS bytea
 *		Store the AUMs, each verified; returns the head.  Node tier.
 */
Datum
auth_keys_lock_submit(PG_FUNCTION_ARGS)
{
	char	   *tailnet;
	ArrayType  *array;
	Datum	   *elements;
	bool	   *element_nulls;
	int			n;
	int64		tailnet_id;
	LockAuthority authority;
	bool		locked;
	bool		genesis_now = false;
	bool		walk = false;
	int			added = 0;
	uint8		old_head[TKA_HASH_LEN];
	MemoryContext each;
	MemoryContext caller;

	RequireWritable(fcinfo);
	RequireArguments(fcinfo, 2);
	tailnet = text_to_cstring(PG_GETARG_TEXT_PP(0));
	array = PG_GETARG_ARRAYTYPE_P(1);
	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("aums must be a one-dimensional array")));
	deconstruct_array(array, BYTEAOID, -1, false, TYPALIGN_INT,
					  &elements, &element_nulls, &n);
	if (n > LOCK_SUBMIT_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("at most %d authority updates can be submitted at once",
						LOCK_SUBMIT_MAX),
				 errhint("Submit a longer log in several calls, oldest first.")));
	for (int i = 0; i < n; i++)
		if (element_nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("authority update %d is null", i + 1)));

	SPI_connect();
	caller = CurrentMemoryContext;
	tailnet_id = LockTailnetLockForUpdate(tailnet);
	locked = LockAuthorityGet(tailnet_id, &authority);
	if (locked)
		memcpy(old_head, authority.head, TKA_HASH_LEN);

	each = AllocSetContextCreate(caller, "lock_submit AUM", ALLOCSET_DEFAULT_SIZES);
	for (int i = 0; i < n; i++)
	{
		bytea	   *data;
		const uint8 *bytes;
		size_t		len;
		TkaAum		aum;
		TkaError	err;
		uint8		hash[TKA_HASH_LEN];
		LockStoredAum stored;

		CHECK_FOR_INTERRUPTS();
		MemoryContextSwitchTo(each);
		data = DatumGetByteaPP(elements[i]);
		bytes = (const uint8 *) VARDATA_ANY(data);
		len = VARSIZE_ANY_EXHDR(data);
		if (LockDecode(LOCK_AUM, bytes, len, &aum, &err) != TKA_OK ||
			TkaAumValidate(&aum, &err) != TKA_OK ||
			TkaAumHash(&aum, hash, &err) != TKA_OK)
			LockRefuse(LOCK_AUM, &err, i + 1);

		if (locked && LockAumGet(tailnet_id, hash, NULL))
		{
			MemoryContextReset(each);
			continue;			/* stored already */
		}

		if (!locked)
		{
			/* the log's rows reference the authority: it comes first */
			LockAuthorityCreate(tailnet_id, hash);
			store_aum(tailnet_id, NULL, &aum, bytes, len, i + 1, &stored);
			authority.tailnet_id = tailnet_id;
			memcpy(authority.genesis, stored.hash, TKA_HASH_LEN);
			memcpy(authority.head, stored.hash, TKA_HASH_LEN);
			locked = genesis_now = true;
		}
		else
		{
			store_aum(tailnet_id, &authority, &aum, bytes, len, i + 1, &stored);
			if (!walk && memcmp(stored.parent, authority.head, TKA_HASH_LEN) == 0)
				memcpy(authority.head, stored.hash, TKA_HASH_LEN);
			else
				walk = true;
		}
		added++;
		MemoryContextReset(each);
	}
	MemoryContextSwitchTo(caller);

	if (walk)
		find_head(tailnet_id, authority.genesis, authority.head);

	if (locked && (genesis_now || memcmp(old_head, authority.head, TKA_HASH_LEN) != 0))
	{
		LockStoredAum head;
		TkaState	state;
		EventDetail detail;

		/* a new authority was made with its genesis as head */
		if (!genesis_now || memcmp(authority.head, authority.genesis, TKA_HASH_LEN) != 0)
			LockAuthoritySetHead(tailnet_id, authority.head);
		if (!LockAumGet(tailnet_id, authority.head, &head))
			elog(ERROR, "the head of the authority log is not stored");
		LockStateDecode(head.state, &state);
		LockTrustedKeysSet(tailnet_id, &state);

		EventDetailInit(&detail);
		EventDetailText(&detail, "head", LockHex(authority.head, TKA_HASH_LEN));
		EventDetailInt64(&detail, "trusted_keys", state.nkeys);
		EventDetailInt64(&detail, "stored", added);
		EventRecord(CallerRoleDescribe(), tailnet_id,
					genesis_now ? "lock.enabled" : "lock.head_moved",
					NULL, EVENT_NO_NODE, &detail);
	}
	else if (added > 0)
	{
		EventDetail detail;

		EventDetailInit(&detail);
		EventDetailText(&detail, "head", LockHex(authority.head, TKA_HASH_LEN));
		EventDetailInt64(&detail, "stored", added);
		EventRecord(CallerRoleDescribe(), tailnet_id, "lock.updated",
					NULL, EVENT_NO_NODE, &detail);
	}

	SPI_finish();
	if (!locked)
		PG_RETURN_NULL();
	PG_RETURN_BYTEA_P(LockBytea(authority.head, TKA_HASH_LEN));
}
