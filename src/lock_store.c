/*-------------------------------------------------------------------------
 *
 * lock_store.c
 *	  The tables of Tailnet Lock: authorities, their logs, trusted keys.
 *
 * Reads and writes of auth_keys.lock_authorities, lock_updates and
 * lock_trusted_keys through SPI statements (src/query.c).  Callers are
 * connected to SPI.  Each function leaves the caller in the memory
 * context it was called in (SPI would leave it in the procedure's), copies
 * what it returns into that context and frees the SPI result, so that a
 * caller looping over many AUMs can reset a context per AUM.
 *
 * Writers serialize per tailnet on the tailnet's row (FOR NO KEY UPDATE,
 * which leaves registrations, whose foreign keys take KEY SHARE, alone):
 * lock_submit and lock_disable of one tailnet run one after the other, and
 * each sees what the one before committed.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/lock_store.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "lock_codec.h"
#include "lock_store.h"
#include "query.h"
#include "tailnet.h"

/* A 32-byte hash as a bytea Datum. */
static Datum
hash_datum(const uint8 *hash)
{
	return PointerGetDatum(LockBytea(hash, TKA_HASH_LEN));
}

/* Copy a 32-byte bytea column into out; false if it is not 32 bytes. */
static bool
get_hash(uint64 row, int column, uint8 *out)
{
	bytea	   *b = DatumGetByteaPP(QueryGetNotNull(row, column));

	if (VARSIZE_ANY_EXHDR(b) != TKA_HASH_LEN)
		return false;
	memcpy(out, VARDATA_ANY(b), TKA_HASH_LEN);
	return true;
}

/* Free the last SPI result and return to the caller's context. */
static void
done(MemoryContext caller)
{
	SPI_freetuptable(SPI_tuptable);
	MemoryContextSwitchTo(caller);
}

static void corrupt(const char *what) pg_attribute_noreturn();

/* A stored value that breaks the tables' own constraints. */
static void
corrupt(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("stored Tailnet Lock data is corrupt: %s", what)));
}

/*
 * LockTailnetLockForUpdate
 *		The id of a tailnet, its row locked against the other writers of
 *		its authority until the end of the transaction.
 */
int64
LockTailnetLockForUpdate(const char *tailnet)
{
	static SqlStatement lock = {
		"SELECT tailnet_id FROM auth_keys.tailnets"
		" WHERE tailnet_id OPERATOR(pg_catalog.=) $1 FOR NO KEY UPDATE",
		1, {INT8OID}
	};
	MemoryContext caller = CurrentMemoryContext;
	int64		tailnet_id = TailnetIdByName(tailnet);
	Datum		id = Int64GetDatum(tailnet_id);
	uint64		found;

	MemoryContextSwitchTo(caller);
	found = QueryRun(&lock, &id, NULL, false);
	done(caller);
	if (found == 0)				/* deleted meanwhile */
		(void) TailnetIdByName(tailnet);
	MemoryContextSwitchTo(caller);
	return tailnet_id;
}

/* LockAuthorityGet: the tailnet's authority, or false when it has none. */
bool
LockAuthorityGet(int64 tailnet_id, LockAuthority *out)
{
	static SqlStatement get = {
		"SELECT genesis_hash, head_hash FROM auth_keys.lock_authorities"
		" WHERE tailnet_id OPERATOR(pg_catalog.=) $1",
		1, {INT8OID}
	};
	MemoryContext caller = CurrentMemoryContext;
	Datum		id = Int64GetDatum(tailnet_id);
	bool		found;

	found = QueryRun(&get, &id, NULL, false) > 0;
	if (found)
	{
		out->tailnet_id = tailnet_id;
		if (!get_hash(0, 1, out->genesis) || !get_hash(0, 2, out->head))
			corrupt("an authority's hash is not 32 bytes long");
	}
	done(caller);
	return found;
}

/* LockAuthorityCreate: a new authority whose genesis is also its head. */
void
LockAuthorityCreate(int64 tailnet_id, const uint8 *genesis)
{
	static SqlStatement insert = {
		"INSERT INTO auth_keys.lock_authorities (tailnet_id, genesis_hash, head_hash)"
		" VALUES ($1, $2, $2)",
		2, {INT8OID, BYTEAOID}
	};
	MemoryContext caller = CurrentMemoryContext;
	Datum		values[2];

	values[0] = Int64GetDatum(tailnet_id);
	values[1] = hash_datum(genesis);
	QueryRun(&insert, values, NULL, false);
	done(caller);
}

/* LockAuthoritySetHead: move the head. */
void
LockAuthoritySetHead(int64 tailnet_id, const uint8 *head)
{
	static SqlStatement update = {
		"UPDATE auth_keys.lock_authorities"
		"   SET head_hash = $2, head_moved_at = pg_catalog.now()"
		" WHERE tailnet_id OPERATOR(pg_catalog.=) $1",
		2, {INT8OID, BYTEAOID}
	};
	MemoryContext caller = CurrentMemoryContext;
	Datum		values[2];

	values[0] = Int64GetDatum(tailnet_id);
	values[1] = hash_datum(head);
	QueryRun(&update, values, NULL, false);
	done(caller);
}

/*
 * LockAuthorityDelete
 *		Remove the authority and the node key signatures verified under it;
 *		its log and trusted keys go with it (ON DELETE CASCADE).
 */
void
LockAuthorityDelete(int64 tailnet_id)
{
	static SqlStatement signatures = {
		"DELETE FROM auth_keys.lock_node_signatures WHERE tailnet_id OPERATOR(pg_catalog.=) $1",
		1, {INT8OID}
	};
	static SqlStatement delete = {
		"DELETE FROM auth_keys.lock_authorities WHERE tailnet_id OPERATOR(pg_catalog.=) $1",
		1, {INT8OID}
	};
	MemoryContext caller = CurrentMemoryContext;
	Datum		id = Int64GetDatum(tailnet_id);

	QueryRun(&signatures, &id, NULL, false);
	done(caller);
	QueryRun(&delete, &id, NULL, false);
	done(caller);
}

/*
 * LockAumGet
 *		A stored AUM of the tailnet by hash, with the state after it; false
 *		when there is none.  out may be NULL to test presence only.
 */
bool
LockAumGet(int64 tailnet_id, const uint8 *hash, LockStoredAum *out)
{
	static SqlStatement get = {
		"SELECT parent_hash, depth, kind, weight, state FROM auth_keys.lock_updates"
		" WHERE tailnet_id OPERATOR(pg_catalog.=) $1 AND aum_hash OPERATOR(pg_catalog.=) $2",
		2, {INT8OID, BYTEAOID}
	};
	static SqlStatement exists = {
		"SELECT FROM auth_keys.lock_updates"
		" WHERE tailnet_id OPERATOR(pg_catalog.=) $1 AND aum_hash OPERATOR(pg_catalog.=) $2",
		2, {INT8OID, BYTEAOID}
	};
	MemoryContext caller = CurrentMemoryContext;
	Datum		values[2];
	bool		found;

	values[0] = Int64GetDatum(tailnet_id);
	values[1] = hash_datum(hash);
	found = QueryRun(out ? &get : &exists, values, NULL, false) > 0;
	if (found && out != NULL)
	{
		bool		isnull;

		memcpy(out->hash, hash, TKA_HASH_LEN);
		(void) QueryGet(0, 1, &isnull);
		out->has_parent = !isnull;
		if (out->has_parent && !get_hash(0, 1, out->parent))
			corrupt("an AUM's parent hash is not 32 bytes long");
		out->depth = DatumGetInt32(QueryGetNotNull(0, 2));
		out->kind = DatumGetInt16(QueryGetNotNull(0, 3));
		out->weight = DatumGetInt64(QueryGetNotNull(0, 4));
		MemoryContextSwitchTo(caller);
		out->state = DatumGetByteaPCopy(QueryGetNotNull(0, 5));
	}
	done(caller);
	return found;
}

/* LockAumInsert: store a verified AUM (its bytes) with the state after it. */
void
LockAumInsert(int64 tailnet_id, const LockStoredAum *aum, const uint8 *bytes,
			  size_t len)
{
	static SqlStatement insert = {
		"INSERT INTO auth_keys.lock_updates"
		"  (tailnet_id, aum_hash, parent_hash, depth, kind, weight, aum, state)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
		8, {INT8OID, BYTEAOID, BYTEAOID, INT4OID, INT2OID, INT8OID, BYTEAOID, BYTEAOID}
	};
	MemoryContext caller = CurrentMemoryContext;
	Datum		values[8];
	char		nulls[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};

	values[0] = Int64GetDatum(tailnet_id);
	values[1] = hash_datum(aum->hash);
	if (aum->has_parent)
		values[2] = hash_datum(aum->parent);
	else
		nulls[2] = 'n';
	values[3] = Int32GetDatum(aum->depth);
	values[4] = Int16GetDatum(aum->kind);
	values[5] = Int64GetDatum(aum->weight);
	values[6] = PointerGetDatum(LockBytea(bytes, len));
	values[7] = PointerGetDatum(aum->state);
	QueryRun(&insert, values, nulls, false);
	done(caller);
}

/*
 * LockAumChildren
 *		The stored children of an AUM at depth, as fork candidates (palloc'd
 *		in the caller's context); returns how many.  Asking for depth + 1
 *		explicitly means that a walk from the genesis ends even in tables
 *		someone edited by hand.
 */
int
LockAumChildren(int64 tailnet_id, const uint8 *parent, int32 depth,
				TkaForkCandidate **children)
{
	static SqlStatement get = {
		"SELECT aum_hash, kind, weight FROM auth_keys.lock_updates"
		" WHERE tailnet_id OPERATOR(pg_catalog.=) $1"
		"   AND parent_hash OPERATOR(pg_catalog.=) $2"
		"   AND depth OPERATOR(pg_catalog.=) $3",
		3, {INT8OID, BYTEAOID, INT4OID}
	};
	MemoryContext caller = CurrentMemoryContext;
	Datum		values[3];
	uint64		n;

	values[0] = Int64GetDatum(tailnet_id);
	values[1] = hash_datum(parent);
	values[2] = Int32GetDatum(depth + 1);
	n = QueryRun(&get, values, NULL, false);
	MemoryContextSwitchTo(caller);
	*children = n > 0 ? palloc(n * sizeof(TkaForkCandidate)) : NULL;
	for (uint64 i = 0; i < n; i++)
	{
		TkaForkCandidate *c = &(*children)[i];
		int64		weight = DatumGetInt64(QueryGetNotNull(i, 3));

		if (!get_hash(i, 1, c->hash) || weight < 0)
			corrupt("an AUM's hash or weight is out of range");
		c->kind = (uint64) DatumGetInt16(QueryGetNotNull(i, 2));
		c->weight = (uint64) weight;
	}
	done(caller);
	return (int) n;
}

/*
 * LockTrustedKeysSet
 *		Make the tailnet's trusted keys those of state (the head's): delete
 *		the rows of keys no longer there or changed, insert the new and
 *		changed ones.  A key that did not change keeps its row.
 */
void
LockTrustedKeysSet(int64 tailnet_id, const TkaState *state)
{
	static SqlStatement delete = {
		"DELETE FROM auth_keys.lock_trusted_keys t"
		" WHERE t.tailnet_id OPERATOR(pg_catalog.=) $1"
		"   AND NOT EXISTS (SELECT FROM ROWS FROM (pg_catalog.unnest($2::pg_catalog.bytea[]),"
		"                                          pg_catalog.unnest($3::pg_catalog.bytea[]))"
		"                                 AS n(key_id, key)"
		"                    WHERE n.key_id OPERATOR(pg_catalog.=) t.key_id"
		"                      AND n.key OPERATOR(pg_catalog.=) t.key)",
		3, {INT8OID, BYTEAARRAYOID, BYTEAARRAYOID}
	};
	static SqlStatement insert = {
		"INSERT INTO auth_keys.lock_trusted_keys (tailnet_id, key_id, votes, key)"
		" SELECT $1, n.key_id, n.votes, n.key"
		"   FROM ROWS FROM (pg_catalog.unnest($2::pg_catalog.bytea[]),"
		"                   pg_catalog.unnest($4::pg_catalog.int4[]),"
		"                   pg_catalog.unnest($3::pg_catalog.bytea[])) AS n(key_id, votes, key)"
		"  WHERE NOT EXISTS (SELECT FROM auth_keys.lock_trusted_keys t"
		"                     WHERE t.tailnet_id OPERATOR(pg_catalog.=) $1"
		"                       AND t.key_id OPERATOR(pg_catalog.=) n.key_id)",
		4, {INT8OID, BYTEAARRAYOID, BYTEAARRAYOID, INT4ARRAYOID}
	};
	MemoryContext caller = CurrentMemoryContext;
	int			n = state->nkeys;
	Datum	   *ids = palloc((n + 1) * sizeof(Datum));
	Datum	   *keys = palloc((n + 1) * sizeof(Datum));
	Datum	   *votes = palloc((n + 1) * sizeof(Datum));
	Datum		values[4];

	for (int i = 0; i < n; i++)
	{
		const TkaKey *k = &state->keys[i];

		CHECK_FOR_INTERRUPTS();
		if (k->public_key.len != TKA_KEY_LEN || k->votes < 1 || k->votes > TKA_MAX_VOTES)
			corrupt("a trusted key of the head's state is not valid");
		ids[i] = PointerGetDatum(LockBytea(k->public_key.data, k->public_key.len));
		keys[i] = PointerGetDatum(LockEncodeKey(k));
		votes[i] = Int32GetDatum((int32) k->votes);
	}
	values[0] = Int64GetDatum(tailnet_id);
	values[1] = PointerGetDatum(construct_array(ids, n, BYTEAOID, -1, false, TYPALIGN_INT));
	values[2] = PointerGetDatum(construct_array(keys, n, BYTEAOID, -1, false, TYPALIGN_INT));
	values[3] = PointerGetDatum(construct_array(votes, n, INT4OID, 4, true, TYPALIGN_INT));
	QueryRun(&delete, values, NULL, false);
	done(caller);
	QueryRun(&insert, values, NULL, false);
	done(caller);
}

/*
 * LockTrustedKeyGet
 *		Whether the tailnet has an authority (its genesis then in genesis)
 *		and trusts the key with that id at its head (decoded then into key,
 *		pointing into memory of the caller's context).  One read, no lock:
 *		what a registration needs of the authority.
 */
LockKeyTrust
LockTrustedKeyGet(int64 tailnet_id, const TkaBytes *key_id, uint8 *genesis,
				  TkaKey *key)
{
	static SqlStatement get = {
		"SELECT a.genesis_hash, k.key FROM auth_keys.lock_authorities a"
		"  LEFT JOIN auth_keys.lock_trusted_keys k"
		"    ON k.tailnet_id OPERATOR(pg_catalog.=) a.tailnet_id"
		"   AND k.key_id OPERATOR(pg_catalog.=) $2"
		" WHERE a.tailnet_id OPERATOR(pg_catalog.=) $1",
		2, {INT8OID, BYTEAOID}
	};
	MemoryContext caller = CurrentMemoryContext;
	Datum		values[2];
	bytea	   *stored = NULL;
	bool		locked;
	TkaError	err;

	values[0] = Int64GetDatum(tailnet_id);
	values[1] = PointerGetDatum(LockBytea(key_id->data, key_id->len));
	locked = QueryRun(&get, values, NULL, false) > 0;
	if (locked)
	{
		bool		isnull;
		Datum		value;

		if (!get_hash(0, 1, genesis))
			corrupt("an authority's hash is not 32 bytes long");
		value = QueryGet(0, 2, &isnull);
		MemoryContextSwitchTo(caller);
		if (!isnull)
			stored = DatumGetByteaPCopy(value);
	}
	done(caller);
	if (!locked)
		return LOCK_NOT_LOCKED;
	if (stored == NULL)
		return LOCK_KEY_UNTRUSTED;
	if (LockDecode(LOCK_KEY, (const uint8 *) VARDATA(stored), VARSIZE(stored) - VARHDRSZ,
				   key, &err) != TKA_OK)
		corrupt("a trusted key does not decode");
	return LOCK_KEY_TRUSTED;
}

/* LockStateDecode: a stored state, decoded (pointing into "stored"). */
void
LockStateDecode(const bytea *stored, TkaState *state)
{
	TkaError	err;

	if (LockDecode(LOCK_STATE, (const uint8 *) VARDATA(stored), VARSIZE(stored) - VARHDRSZ,
				   state, &err) != TKA_OK)
		corrupt("a stored state does not decode");
}
