/*-------------------------------------------------------------------------
 *
 * key_store.c
 *	  Every statement on auth_keys.keys and auth_keys.key_use_counts.
 *
 * The functions that make, spend, revoke and purge keys call these; none
 * of them writes SQL of its own on these tables.  (KeyProve, key_record.c,
 * reads a presented key with an index scan rather than a statement, and
 * locks it there.)  Callers must be connected to SPI.
 *
 * How a use is spent depends on the key (see KeyUseLimit):
 *
 *	- a key with a limit (one-off, or reusable with max_uses) is spent by
 *	  one conditional UPDATE of its row, which racers for the last use
 *	  queue on: under READ COMMITTED each loser's UPDATE re-checks the row
 *	  the winner left and updates nothing, so the limit holds exactly;
 *	- a reusable key without a limit is not written at all, so that many
 *	  registrations with one key (a fleet starting at once) never queue on
 *	  its row.  The registration holds the key's row FOR SHARE (KeyLockShared),
 *	  which a revocation must wait for, and counts its use in
 *	  key_use_counts, in a row of its own server process (a process runs
 *	  one registration at a time, so no two running registrations write one
 *	  row).  The sweep adds those rows to keys.uses and keys.last_used_at
 *	  (KeyStoreAddUpUses); until then key_list adds them itself.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/key_store.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/builtins.h"

#include "key_format.h"
#include "key_secret.h"
#include "key_store.h"
#include "query.h"
#include "schema.h"

/*
 * KeyStoreInsert
 *		Insert a key as create_key makes it (created now, unused); false
 *		when its key id is taken.
 */
bool
KeyStoreInsert(const NewKey *key)
{
#define INSERT_KEY(creator) \
		"INSERT INTO auth_keys.keys" \
		"  (key_id, tailnet_id, " creator ", description, reusable, ephemeral," \
		"   preauthorized, tags, max_uses, created_at, expires_at, secret_hash)" \
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, pg_catalog.now(), $10, $11)" \
		" ON CONFLICT (key_id) DO NOTHING"
	static SqlStatement insert = {
		INSERT_KEY("created_by"),
		11, {TEXTOID, INT8OID, TEXTOID, TEXTOID, BOOLOID, BOOLOID, BOOLOID,
		TEXTARRAYOID, INT4OID, TIMESTAMPTZOID, BYTEAOID}
	};
	/* a key of an OAuth client: the tailnet's, with the client recorded */
	static SqlStatement insert_minted = {
		INSERT_KEY("oauth_client_id"),
		11, {TEXTOID, INT8OID, TEXTOID, TEXTOID, BOOLOID, BOOLOID, BOOLOID,
		TEXTARRAYOID, INT4OID, TIMESTAMPTZOID, BYTEAOID}
	};
#undef INSERT_KEY
	Datum		values[11];
	char		nulls[11];
	bytea	   *hash = palloc(VARHDRSZ + KEY_HASH_LEN);

	memset(nulls, ' ', sizeof(nulls));
	SET_VARSIZE(hash, VARHDRSZ + KEY_HASH_LEN);
	memcpy(VARDATA(hash), key->secret_hash, KEY_HASH_LEN);

	values[0] = CStringGetTextDatum(key->key_id);
	values[1] = Int64GetDatum(key->tailnet_id);
	values[2] = CStringGetTextDatum(key->created_by ? key->created_by : key->oauth_client_id);
	values[3] = PointerGetDatum(key->description);
	nulls[3] = key->description ? ' ' : 'n';
	values[4] = BoolGetDatum(key->reusable);
	values[5] = BoolGetDatum(key->ephemeral);
	values[6] = BoolGetDatum(key->preauthorized);
	values[7] = PointerGetDatum(key->tags);
	values[8] = Int32GetDatum(key->max_uses);
	nulls[8] = key->has_max_uses ? ' ' : 'n';
	values[9] = TimestampTzGetDatum(key->expires_at);
	values[10] = PointerGetDatum(hash);
	return QueryRun(key->created_by ? &insert : &insert_minted, values, nulls, false) == 1;
}

/*
 * KeyStoreSpend
 *		Spend one use of a proven key that has a limit, if it is still
 *		valid; whether this call got the use.  Used up is decided from the
 *		limit of KeyUseLimit, which the key's row cannot change.
 */
bool
KeyStoreSpend(const KeyRecord *key)
{
	static SqlStatement spend = {
		"UPDATE auth_keys.keys"
		"   SET uses = uses OPERATOR(pg_catalog.+) 1,"
		"       last_used_at = pg_catalog.now(),"
		"       used_up_at = CASE WHEN uses OPERATOR(pg_catalog.+) 1 OPERATOR(pg_catalog.>=) $2"
		"                         THEN pg_catalog.now() END"
		" WHERE key_id OPERATOR(pg_catalog.=) $1"
		"   AND revoked_at IS NULL"
		"   AND used_up_at IS NULL"
		"   AND expires_at OPERATOR(pg_catalog.>) pg_catalog.now()",
		2, {TEXTOID, INT4OID}
	};
	Datum		values[2];

	values[0] = CStringGetTextDatum(key->key_id);
	values[1] = Int32GetDatum(KeyUseLimit(key->reusable, key->has_max_uses, key->max_uses));
	return QueryRun(&spend, values, NULL, false) == 1;
}

/*
 * KeyStoreCountUse
 *		Count one use of a reusable key without a limit, whose row the
 *		caller holds FOR SHARE (see the file header).
 */
void
KeyStoreCountUse(const KeyRecord *key)
{
	static SqlStatement count = {
		"INSERT INTO auth_keys.key_use_counts AS c (key_id, process, uses, last_used_at)"
		" VALUES ($1, $2, 1, pg_catalog.now())"
		" ON CONFLICT (key_id, process) DO UPDATE"
		"   SET uses = c.uses OPERATOR(pg_catalog.+) 1, last_used_at = excluded.last_used_at",
		2, {TEXTOID, INT4OID}
	};
	Datum		values[2];

	values[0] = CStringGetTextDatum(key->key_id);
	values[1] = Int32GetDatum(MyProc->pgprocno);
	QueryRun(&count, values, NULL, false);
}

/*
 * KeyStoreStatusNow
 *		The status of a key as committed now (a new snapshot, which sees a
 *		concurrent registration that won the last use), or KEY_INVALID once
 *		it is gone.
 */
KeyStatus
KeyStoreStatusNow(const char *key_id)
{
	static SqlStatement reread = {
		"SELECT revoked_at IS NOT NULL, used_up_at IS NOT NULL, expires_at"
		"  FROM auth_keys.keys"
		" WHERE key_id OPERATOR(pg_catalog.=) $1",
		1, {TEXTOID}
	};
	Datum		value = CStringGetTextDatum(key_id);

	/* not read-only: that takes a new snapshot */
	if (QueryRun(&reread, &value, NULL, false) == 0)
		return KEY_INVALID;
	return KeyStatusFrom(DatumGetBool(QueryGetNotNull(0, 1)),
						 DatumGetBool(QueryGetNotNull(0, 2)),
						 DatumGetTimestampTz(QueryGetNotNull(0, 3)),
						 GetCurrentTransactionStartTimestamp());
}

/*
 * KeyStoreLockForRevoke
 *		Lock the key "key_id" of the tailnet FOR UPDATE and say who made it
 *		and whether it is revoked; false when the tailnet has no such key.
 *		Only a key without a member creator has a client, and only a 1.1
 *		table the column, so it is read only then.
 */
bool
KeyStoreLockForRevoke(const char *key_id, int64 tailnet_id, KeyToRevoke *key)
{
	static SqlStatement lock_key = {
		"SELECT created_by, revoked_at IS NOT NULL"
		"  FROM auth_keys.keys"
		" WHERE key_id OPERATOR(pg_catalog.=) $1"
		"   AND tailnet_id OPERATOR(pg_catalog.=) $2"
		"   FOR UPDATE",
		2, {TEXTOID, INT8OID}
	};
	static SqlStatement minted_by = {
		"SELECT oauth_client_id FROM auth_keys.keys"
		" WHERE key_id OPERATOR(pg_catalog.=) $1",
		1, {TEXTOID}
	};
	Datum		values[2];

	values[0] = CStringGetTextDatum(key_id);
	values[1] = Int64GetDatum(tailnet_id);
	if (QueryRun(&lock_key, values, NULL, false) == 0)
		return false;
	key->created_by = QueryGetText(0, 1);
	key->revoked = DatumGetBool(QueryGetNotNull(0, 2));
	key->oauth_client_id = NULL;
	if (key->created_by == NULL && QueryRun(&minted_by, values, NULL, false) == 1)
		key->oauth_client_id = QueryGetText(0, 1);
	return true;
}

/* KeyStoreRevoke: revoke a key that KeyStoreLockForRevoke locked. */
void
KeyStoreRevoke(const char *key_id, const char *who)
{
	static SqlStatement revoke = {
		"UPDATE auth_keys.keys"
		"   SET revoked_at = pg_catalog.now(), revoked_by = $2"
		" WHERE key_id OPERATOR(pg_catalog.=) $1",
		2, {TEXTOID, TEXTOID}
	};
	Datum		values[2];

	values[0] = CStringGetTextDatum(key_id);
	values[1] = CStringGetTextDatum(who);
	QueryRun(&revoke, values, NULL, false);
}

/* The key ids of a statement's result, in the current memory context. */
static char **
result_key_ids(uint64 count)
{
	char	  **key_ids = palloc(sizeof(char *) * Max(count, 1));

	for (uint64 i = 0; i < count; i++)
		key_ids[i] = QueryGetText(i, 1);
	return key_ids;
}

/*
 * Revoke, with "revoke", the keys of the tailnet still valid that the
 * member or client "creator" made; return how many, with their ids in
 * *key_ids.  With a snapshot taken now, whatever the isolation level
 * (QueryRunLatest): the caller has waited for the transactions acting as
 * the member or client, and the keys they made are revoked too.
 */
static uint64
revoke_valid_keys(SqlStatement *revoke, int64 tailnet_id, const char *creator,
				  const char *who, char ***key_ids)
{
	Datum		values[3];
	uint64		revoked;

	values[0] = Int64GetDatum(tailnet_id);
	values[1] = CStringGetTextDatum(creator);
	values[2] = CStringGetTextDatum(who);
	revoked = QueryRunLatest(revoke, values, NULL);
	*key_ids = result_key_ids(revoked);
	return revoked;
}

/* The keys of a member, or of an OAuth client, that are still valid. */
#define REVOKE_VALID_KEYS_OF(creator_column) \
	"UPDATE auth_keys.keys" \
	"   SET revoked_at = pg_catalog.now(), revoked_by = $3" \
	" WHERE tailnet_id OPERATOR(pg_catalog.=) $1" \
	"   AND " creator_column " OPERATOR(pg_catalog.=) $2" \
	"   AND invalid_at OPERATOR(pg_catalog.>) pg_catalog.now()" \
	" RETURNING key_id"

/*
 * KeyStoreRevokeMemberKeys, KeyStoreRevokeClientKeys
 *		Revoke the keys of a member, or of an OAuth client, that are still
 *		valid (see revoke_valid_keys).
 */
uint64
KeyStoreRevokeMemberKeys(int64 tailnet_id, const char *login, const char *who,
						 char ***key_ids)
{
	static SqlStatement revoke = {
		REVOKE_VALID_KEYS_OF("created_by"),
		3, {INT8OID, TEXTOID, TEXTOID}
	};

	return revoke_valid_keys(&revoke, tailnet_id, login, who, key_ids);
}

uint64
KeyStoreRevokeClientKeys(int64 tailnet_id, const char *client_id, const char *who,
						 char ***key_ids)
{
	static SqlStatement revoke = {
		REVOKE_VALID_KEYS_OF("oauth_client_id"),
		3, {INT8OID, TEXTOID, TEXTOID}
	};

	return revoke_valid_keys(&revoke, tailnet_id, client_id, who, key_ids);
}

/*
 * KeyStorePickPurgeable
 *		Lock, FOR UPDATE SKIP LOCKED, up to batch_size keys that became
 *		invalid before the cutoff, oldest first, other than those in the
 *		text[] passed_over; their key_id and tailnet_id are in
 *		SPI_tuptable.  Returns how many.
 *
 * The ORDER BY keeps the kept (generic) plan on keys_invalid_at_idx, which
 * cannot know how small the cutoff is: with a LIMIT and no order, the whole
 * table may look as cheap.
 */
uint64
KeyStorePickPurgeable(TimestampTz cutoff, int batch_size, Datum passed_over)
{
	static SqlStatement pick = {
		"SELECT key_id, tailnet_id FROM auth_keys.keys"
		" WHERE invalid_at OPERATOR(pg_catalog.<) $1"
		"   AND key_id OPERATOR(pg_catalog.<>) ALL ($3)"
		" ORDER BY invalid_at LIMIT $2 FOR UPDATE SKIP LOCKED",
		3, {TIMESTAMPTZOID, INT4OID, TEXTARRAYOID}
	};
	Datum		values[3];

	values[0] = TimestampTzGetDatum(cutoff);
	values[1] = Int32GetDatum(batch_size);
	values[2] = passed_over;
	return QueryRun(&pick, values, NULL, false);
}

/*
 * KeyStorePurge
 *		Delete the keys of the text[] key_ids that are still invalid since
 *		before the cutoff; their key_id and tailnet_id are in SPI_tuptable.
 *		Returns how many.  Each key's row in key_use_counts goes with it
 *		(ON DELETE CASCADE).
 */
uint64
KeyStorePurge(Datum key_ids, TimestampTz cutoff)
{
	static SqlStatement purge = {
		"DELETE FROM auth_keys.keys"
		" WHERE key_id OPERATOR(pg_catalog.=) ANY ($1)"
		"   AND invalid_at OPERATOR(pg_catalog.<) $2"
		" RETURNING key_id, tailnet_id",
		2, {TEXTARRAYOID, TIMESTAMPTZOID}
	};
	Datum		values[2];

	values[0] = key_ids;
	values[1] = TimestampTzGetDatum(cutoff);
	return QueryRun(&purge, values, NULL, false);
}

/*
 * KeyStoreAddUpUses
 *		Add the uses counted in key_use_counts to keys.uses and
 *		keys.last_used_at, for up to batch_size keys; returns for how many.
 *
 * A key that a registration holds FOR SHARE right now is passed over
 * (SKIP LOCKED), and its counts wait for the next sweep: the rows counted
 * are then exactly those of registrations that have ended, since a
 * registration locks the key before it counts, and a new one waits for
 * this lock.  A 1.0 database has no key_use_counts, and nothing to add.
 */
uint64
KeyStoreAddUpUses(int batch_size)
{
	static SqlStatement add_up = {
		"WITH counted AS ("
		"  SELECT k.key_id FROM auth_keys.keys k"
		"   WHERE k.key_id OPERATOR(pg_catalog.=) ANY (ARRAY("
		"           SELECT DISTINCT c.key_id FROM auth_keys.key_use_counts c"
		"            ORDER BY c.key_id LIMIT $1))"
		"     FOR NO KEY UPDATE OF k SKIP LOCKED),"
		" taken AS ("
		"  DELETE FROM auth_keys.key_use_counts c USING counted"
		"   WHERE c.key_id OPERATOR(pg_catalog.=) counted.key_id"
		"  RETURNING c.key_id, c.uses, c.last_used_at),"
		" sums AS ("
		"  SELECT key_id, pg_catalog.sum(uses) AS uses,"
		"         pg_catalog.max(last_used_at) AS last_used_at"
		"    FROM taken GROUP BY key_id)"
		" UPDATE auth_keys.keys k"
		"    SET uses = k.uses OPERATOR(pg_catalog.+) s.uses::integer,"
		"        last_used_at = GREATEST(k.last_used_at, s.last_used_at)"
		"   FROM sums s WHERE k.key_id OPERATOR(pg_catalog.=) s.key_id",
		1, {INT4OID}
	};
	Datum		value = Int32GetDatum(batch_size);

	if (!OidIsValid(SchemaTable("key_use_counts")))
		return 0;
	return QueryRun(&add_up, &value, NULL, false);
}
