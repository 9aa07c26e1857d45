/*-------------------------------------------------------------------------
 *
 * key_record.c
 *	  Looking up a presented key, proving its secret, and its status.
 *
 * KeyProve is the one way a presented key turns into a key row: parse the
 * text (refusing malformed keys before reading any table), fetch the row by
 * its key id, and compare the SHA-256 of the secret with the stored one in
 * constant time.  Only a key that passes all three may be told apart from
 * garbage; every failure looks the same to the caller.  KeyLockShared then
 * holds the row of a key that a registration uses without writing it.
 *
 * It is on the path of every validate_key and register_node, so it reads
 * the key and its tailnet with index scans on their primary keys rather
 * than through SPI (a query's planning and executor start-up cost more
 * than the lookups themselves).  Which relations and columns to read is
 * worked out once per backend and forgotten on any relation cache
 * invalidation of those relations.
 *
 * A key's status has one definition, KeyStatusFrom, which the SQL function
 * auth_keys.key_status (used by the views) shares; its use limit one,
 * KeyUseLimit, which registration, the views and the guard of the keys
 * table share.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/key_record.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "auth_keys.h"
#include "key_format.h"
#include "key_record.h"
#include "key_secret.h"
#include "schema.h"

PG_FUNCTION_INFO_V1(auth_keys_key_status);
PG_FUNCTION_INFO_V1(auth_keys_key_uses_left);

/*
 * The relations KeyProve reads, and where the columns it needs are, found
 * by name once per backend and forgotten whenever the relation cache drops
 * one of them (the extension dropped and created again, a column altered).
 */
typedef enum KeyColumn
{
	KC_KEY_ID,
	KC_TAILNET_ID,
	KC_CREATED_BY,
	KC_REUSABLE,
	KC_EPHEMERAL,
	KC_PREAUTHORIZED,
	KC_TAGS,
	KC_MAX_USES,
	KC_USES,
	KC_EXPIRES_AT,
	KC_REVOKED_AT,
	KC_USED_UP_AT,
	KC_SECRET_HASH,
	KEY_COLUMNS
} KeyColumn;

typedef enum TailnetColumn
{
	TC_TAILNET_ID,
	TC_NAME,
	TC_DEVICE_APPROVAL,
	TC_NODE_KEY_EXPIRY,
	TAILNET_COLUMNS
} TailnetColumn;

typedef struct ColumnSpec
{
	const char *name;
	Oid			type;
} ColumnSpec;

static const ColumnSpec key_columns[KEY_COLUMNS] = {
	[KC_KEY_ID] = {"key_id", TEXTOID},
	[KC_TAILNET_ID] = {"tailnet_id", INT8OID},
	[KC_CREATED_BY] = {"created_by", TEXTOID},
	[KC_REUSABLE] = {"reusable", BOOLOID},
	[KC_EPHEMERAL] = {"ephemeral", BOOLOID},
	[KC_PREAUTHORIZED] = {"preauthorized", BOOLOID},
	[KC_TAGS] = {"tags", TEXTARRAYOID},
	[KC_MAX_USES] = {"max_uses", INT4OID},
	[KC_USES] = {"uses", INT4OID},
	[KC_EXPIRES_AT] = {"expires_at", TIMESTAMPTZOID},
	[KC_REVOKED_AT] = {"revoked_at", TIMESTAMPTZOID},
	[KC_USED_UP_AT] = {"used_up_at", TIMESTAMPTZOID},
	[KC_SECRET_HASH] = {"secret_hash", BYTEAOID},
};

static const ColumnSpec tailnet_columns[TAILNET_COLUMNS] = {
	[TC_TAILNET_ID] = {"tailnet_id", INT8OID},
	[TC_NAME] = {"name", TEXTOID},
	[TC_DEVICE_APPROVAL] = {"device_approval", BOOLOID},
	[TC_NODE_KEY_EXPIRY] = {"node_key_expiry", INTERVALOID},
};

typedef struct KeyRelations
{
	bool		valid;
	Oid			keys;
	Oid			keys_pkey;
	Oid			tailnets;
	Oid			tailnets_pkey;
	AttrNumber	key_attnum[KEY_COLUMNS];
	AttrNumber	tailnet_attnum[TAILNET_COLUMNS];
} KeyRelations;

static KeyRelations key_relations;

static void
key_relations_forget(Datum arg, Oid relid)
{
	if (!OidIsValid(relid) || relid == key_relations.keys ||
		relid == key_relations.keys_pkey || relid == key_relations.tailnets ||
		relid == key_relations.tailnets_pkey)
		key_relations.valid = false;
}

/*
 * Find the columns of "specs" in "rel" and check that its primary key is
 * the single column of specs[0]; returns the primary key's OID.
 */
static Oid
resolve_columns(Relation rel, const ColumnSpec *specs, int nspecs,
				AttrNumber *attnums)
{
	TupleDesc	desc = RelationGetDescr(rel);
	Oid			pkey;
	Relation	index;
	bool		pkey_ok;

	for (int c = 0; c < nspecs; c++)
	{
		attnums[c] = InvalidAttrNumber;
		for (int i = 0; i < desc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, i);

			if (!att->attisdropped && att->atttypid == specs[c].type &&
				strcmp(NameStr(att->attname), specs[c].name) == 0)
			{
				attnums[c] = att->attnum;
				break;
			}
		}
		if (attnums[c] == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of type %s is missing from table \"%s\"",
							specs[c].name, format_type_be(specs[c].type),
							RelationGetRelationName(rel)),
					 errhint("Drop and create the extension again to restore its tables.")));
	}

	pkey = RelationGetPrimaryKeyIndex(rel);
	if (!OidIsValid(pkey))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" has no primary key", RelationGetRelationName(rel)),
				 errhint("Drop and create the extension again to restore its tables.")));
	index = index_open(pkey, AccessShareLock);
	pkey_ok = index->rd_index->indnkeyatts == 1 &&
		index->rd_index->indkey.values[0] == attnums[0] &&
		index->rd_rel->relam == BTREE_AM_OID;
	index_close(index, AccessShareLock);
	if (!pkey_ok)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the primary key of table \"%s\" is not a btree on column \"%s\"",
						RelationGetRelationName(rel), specs[0].name),
				 errhint("Drop and create the extension again to restore its tables.")));
	return pkey;
}

static void
key_relations_resolve(void)
{
	static bool callback_registered = false;
	Relation	rel;

	if (key_relations.valid)
		return;
	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(key_relations_forget, (Datum) 0);
		callback_registered = true;
	}

	key_relations.keys = SchemaTableRequired("keys");
	key_relations.tailnets = SchemaTableRequired("tailnets");

	rel = table_open(key_relations.keys, AccessShareLock);
	key_relations.keys_pkey = resolve_columns(rel, key_columns, KEY_COLUMNS,
											  key_relations.key_attnum);
	table_close(rel, NoLock);

	rel = table_open(key_relations.tailnets, AccessShareLock);
	key_relations.tailnets_pkey = resolve_columns(rel, tailnet_columns, TAILNET_COLUMNS,
												  key_relations.tailnet_attnum);
	table_close(rel, NoLock);

	/*
	 * What was read above came from locked relations, so it holds until an
	 * invalidation of one of them, which the callback turns into "resolve
	 * again".  An error above leaves "valid" false.
	 */
	key_relations.valid = true;
}

/*
 * A row of a table by its single-column btree primary key, as the active
 * snapshot sees it, in a slot that the caller drops with end_row_lookup.
 * Returns NULL when no row has that key.
 */
typedef struct RowLookup
{
	Relation	heap;
	Relation	index;
	IndexScanDesc scan;
	TupleTableSlot *slot;
} RowLookup;

static TupleTableSlot *
lookup_row(RowLookup *lookup, Oid relid, Oid indexid, RegProcedure eqproc,
		   Datum value)
{
	ScanKeyData key;

	lookup->heap = table_open(relid, AccessShareLock);
	lookup->index = index_open(indexid, AccessShareLock);
	/* compare in the index's collation, whatever the database's default */
	ScanKeyEntryInitialize(&key, 0, 1, BTEqualStrategyNumber, InvalidOid,
						   lookup->index->rd_indcollation[0], eqproc, value);
	lookup->slot = table_slot_create(lookup->heap, NULL);
	lookup->scan = index_beginscan(lookup->heap, lookup->index,
								   GetActiveSnapshot(), 1, 0);
	index_rescan(lookup->scan, &key, 1, NULL, 0);
	if (index_getnext_slot(lookup->scan, ForwardScanDirection, lookup->slot))
		return lookup->slot;
	return NULL;
}

static void
end_row_lookup(RowLookup *lookup)
{
	index_endscan(lookup->scan);
	ExecDropSingleTupleTableSlot(lookup->slot);
	/* locks are kept until the end of the transaction, as a query keeps them */
	index_close(lookup->index, NoLock);
	table_close(lookup->heap, NoLock);
}

/* A column that the table declares NOT NULL, from the row found. */
static Datum
column_not_null(RowLookup *lookup, AttrNumber attnum)
{
	bool		isnull;
	Datum		value = slot_getattr(lookup->slot, attnum, &isnull);

	if (isnull)
		elog(ERROR, "unexpected null in column %d of \"%s\"", attnum,
			 RelationGetRelationName(lookup->heap));
	return value;
}

/*
 * KeyProve
 *		Fill "record" from the row of a presented key and return true when
 *		the key is well formed, exists and carries the right secret; return
 *		false otherwise.  Strings in "record" live in the caller's memory
 *		context.
 *
 * The key row and its tailnet are read by primary key with index scans,
 * with the snapshot that a statement of the function would take (under
 * READ COMMITTED a fresh one, and in any case one that sees what the
 * caller's statement did before, such as a create_key earlier in the same
 * statement), but without planning or starting an executor for a query:
 * this is the path of every validate_key and register_node.  The function that calls it is
 * SECURITY DEFINER, owned by the superuser who created the extension, so
 * neither privileges nor row-level security apply to it either way.
 */
bool
KeyProve(text *key, KeyRecord *record)
{
	ParsedAuthKey parsed;
	RowLookup	lookup;
	TupleTableSlot *row;
	const AttrNumber *ka = key_relations.key_attnum;
	const AttrNumber *ta = key_relations.tailnet_attnum;
	bytea	   *stored;
	uint8		computed[KEY_HASH_LEN];
	bool		proven;
	bool		isnull;

	if (!AuthKeyParse(VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key), &parsed))
		return false;

	key_relations_resolve();
	CommandCounterIncrement();
	PushCopiedSnapshot(GetTransactionSnapshot());
	UpdateActiveSnapshotCommandId();
	row = lookup_row(&lookup, key_relations.keys, key_relations.keys_pkey,
					 F_TEXTEQ, CStringGetTextDatum(parsed.key_id));
	if (row == NULL)
	{
		end_row_lookup(&lookup);
		PopActiveSnapshot();
		explicit_bzero(&parsed, sizeof(parsed));
		return false;
	}

	KeyHashSecret(parsed.secret, AUTH_KEY_SECRET_LEN, computed);
	stored = DatumGetByteaPP(column_not_null(&lookup, ka[KC_SECRET_HASH]));
	proven = VARSIZE_ANY_EXHDR(stored) == KEY_HASH_LEN &&
		KeyHashMatches((uint8 *) VARDATA_ANY(stored), computed);
	explicit_bzero(computed, sizeof(computed));
	if (!proven)
	{
		end_row_lookup(&lookup);
		PopActiveSnapshot();
		explicit_bzero(&parsed, sizeof(parsed));
		return false;
	}

	memcpy(record->key_id, parsed.key_id, AUTH_KEY_ID_LEN + 1);
	explicit_bzero(&parsed, sizeof(parsed));
	record->tailnet_id = DatumGetInt64(column_not_null(&lookup, ka[KC_TAILNET_ID]));
	/* NULL for a key minted by an OAuth client: it has tags, no creator */
	{
		Datum		created_by = slot_getattr(row, ka[KC_CREATED_BY], &isnull);

		record->created_by = isnull ? NULL : TextDatumGetCString(created_by);
	}
	record->reusable = DatumGetBool(column_not_null(&lookup, ka[KC_REUSABLE]));
	record->ephemeral = DatumGetBool(column_not_null(&lookup, ka[KC_EPHEMERAL]));
	record->preauthorized = DatumGetBool(column_not_null(&lookup, ka[KC_PREAUTHORIZED]));
	record->tags = DatumGetArrayTypePCopy(column_not_null(&lookup, ka[KC_TAGS]));
	record->max_uses = DatumGetInt32(slot_getattr(row, ka[KC_MAX_USES], &isnull));
	record->has_max_uses = !isnull;
	if (isnull)
		record->max_uses = 0;
	record->uses = DatumGetInt32(column_not_null(&lookup, ka[KC_USES]));
	record->expires_at = DatumGetTimestampTz(column_not_null(&lookup, ka[KC_EXPIRES_AT]));
	(void) slot_getattr(row, ka[KC_REVOKED_AT], &isnull);
	record->revoked = !isnull;
	(void) slot_getattr(row, ka[KC_USED_UP_AT], &isnull);
	record->used_up = !isnull;
	record->tid = row->tts_tid;
	end_row_lookup(&lookup);

	row = lookup_row(&lookup, key_relations.tailnets, key_relations.tailnets_pkey,
					 F_INT8EQ, Int64GetDatum(record->tailnet_id));
	/* only a row written past the foreign key (replica mode) gets here */
	if (row == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("tailnet " INT64_FORMAT " of authentication key %s does not exist",
						record->tailnet_id, record->key_id),
				 errhint("A key was written with session_replication_role = replica for a tailnet that is not there; delete the key.")));
	record->tailnet = TextDatumGetCString(column_not_null(&lookup, ta[TC_NAME]));
	record->device_approval = DatumGetBool(column_not_null(&lookup, ta[TC_DEVICE_APPROVAL]));
	record->node_key_expiry_usecs =
		IntervalAbsoluteUsecs(DatumGetIntervalP(column_not_null(&lookup, ta[TC_NODE_KEY_EXPIRY])));
	end_row_lookup(&lookup);
	PopActiveSnapshot();
	return true;
}

/*
 * KeyLockShared
 *		Hold the row of a proven key FOR SHARE until the end of the
 *		transaction, and return the key's status as the locked row version
 *		has it.  A revocation, which updates the row, then waits for every
 *		registration that holds it, and a registration that comes after a
 *		revocation committed sees it: no registration with a key commits
 *		after the key's revocation.  Under READ COMMITTED a row updated since
 *		KeyProve read it is followed to its latest version, as SELECT ... FOR
 *		SHARE follows it; under REPEATABLE READ and SERIALIZABLE that is a
 *		serialization failure.  A key deleted meanwhile is KEY_INVALID.
 */
KeyStatus
KeyLockShared(KeyRecord *record)
{
	const AttrNumber *ka = key_relations.key_attnum;
	bool		xact_snapshot = IsolationUsesXactSnapshot();
	Relation	rel;
	TupleTableSlot *slot;
	TM_FailureData tmfd;
	TM_Result	result;
	bool		isnull;

	key_relations_resolve();
	rel = table_open(key_relations.keys, RowShareLock);
	slot = table_slot_create(rel, NULL);
	PushActiveSnapshot(GetTransactionSnapshot());
	result = table_tuple_lock(rel, &record->tid, GetActiveSnapshot(), slot,
							  GetCurrentCommandId(true), LockTupleShare, LockWaitBlock,
							  xact_snapshot ? 0 : TUPLE_LOCK_FLAG_FIND_LAST_VERSION,
							  &tmfd);
	PopActiveSnapshot();
	switch (result)
	{
		case TM_Ok:
			break;
		case TM_Updated:
		case TM_Deleted:
			if (xact_snapshot)
				ereport(ERROR,
						(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
						 errmsg("could not serialize access due to concurrent update")));
			/* READ COMMITTED follows an update: only a deletion comes here */
			ExecDropSingleTupleTableSlot(slot);
			table_close(rel, NoLock);
			return KEY_INVALID;
		default:
			elog(ERROR, "unexpected result %d locking authentication key %s",
				 (int) result, record->key_id);
	}
	record->tid = slot->tts_tid;
	(void) slot_getattr(slot, ka[KC_REVOKED_AT], &isnull);
	record->revoked = !isnull;
	(void) slot_getattr(slot, ka[KC_USED_UP_AT], &isnull);
	record->used_up = !isnull;
	record->expires_at = DatumGetTimestampTz(slot_getattr(slot, ka[KC_EXPIRES_AT], &isnull));
	ExecDropSingleTupleTableSlot(slot);
	/* the lock on the table, as on the row, is kept to the end */
	table_close(rel, NoLock);
	return KeyRecordStatus(record);
}

/*
 * KeyStatusFrom
 *		A key is revoked once revoked, used once its uses are spent (a
 *		one-off key after its first use), expired once past its expiry, and
 *		valid otherwise, in that order of precedence.
 */
KeyStatus
KeyStatusFrom(bool revoked, bool used_up, TimestampTz expires_at,
			  TimestampTz now)
{
	if (revoked)
		return KEY_REVOKED;
	if (used_up)
		return KEY_USED;
	if (expires_at <= now)
		return KEY_EXPIRED;
	return KEY_VALID;
}

/* KeyRecordStatus: the status of a proven key at transaction start. */
KeyStatus
KeyRecordStatus(const KeyRecord *record)
{
	return KeyStatusFrom(record->revoked, record->used_up,
						 record->expires_at,
						 GetCurrentTransactionStartTimestamp());
}

const char *
KeyStatusName(KeyStatus status)
{
	switch (status)
	{
		case KEY_VALID:
			return "valid";
		case KEY_EXPIRED:
			return "expired";
		case KEY_REVOKED:
			return "revoked";
		case KEY_USED:
			return "used";
		case KEY_INVALID:
			return "invalid";
	}
	elog(ERROR, "unknown key status %d", (int) status);
	pg_unreachable();
}

/*
 * KeyUseLimit
 *		How many registrations a key allows in all: one for a one-off key,
 *		max_uses for a reusable key with a limit, and PG_INT32_MAX (the most
 *		that uses can count) for a reusable key without one.
 */
int32
KeyUseLimit(bool reusable, bool has_max_uses, int32 max_uses)
{
	if (!reusable)
		return 1;
	return has_max_uses ? max_uses : PG_INT32_MAX;
}

/*
 * KeyHasUseLimit: whether a registration spends a use of the key's row
 * (one-off keys, and reusable keys with max_uses), or only counts it.
 */
bool
KeyHasUseLimit(const KeyRecord *record)
{
	return !record->reusable || record->has_max_uses;
}

/*
 * KeyUsesLeftFrom
 *		How many more registrations a key allows, into *uses_left.  Returns
 *		false for a reusable key without a limit.
 */
bool
KeyUsesLeftFrom(bool reusable, bool has_max_uses, int32 max_uses,
				int32 uses, int32 *uses_left)
{
	if (reusable && !has_max_uses)
		return false;
	*uses_left = Max(KeyUseLimit(reusable, has_max_uses, max_uses) - uses, 0);
	return true;
}

/* KeyUsesLeft: KeyUsesLeftFrom for a proven key. */
bool
KeyUsesLeft(const KeyRecord *record, int32 *uses_left)
{
	return KeyUsesLeftFrom(record->reusable, record->has_max_uses,
						   record->max_uses, record->uses, uses_left);
}

/*
 * auth_keys.key_status(revoked_at timestamptz, used_up_at timestamptz,
 *		expires_at timestamptz) RETURNS text
 *		The status of a key row, for the views.
 */
Datum
auth_keys_key_status(PG_FUNCTION_ARGS)
{
	KeyStatus	status;

	if (PG_ARGISNULL(2))
		PG_RETURN_NULL();
	status = KeyStatusFrom(!PG_ARGISNULL(0), !PG_ARGISNULL(1),
						   PG_GETARG_TIMESTAMPTZ(2),
						   GetCurrentTransactionStartTimestamp());
	PG_RETURN_TEXT_P(cstring_to_text(KeyStatusName(status)));
}

/*
 * auth_keys.key_uses_left(reusable boolean, max_uses integer, uses integer)
 *		RETURNS integer
 *		Registrations left on a key row, NULL when unlimited, for the views.
 */
Datum
auth_keys_key_uses_left(PG_FUNCTION_ARGS)
{
	int32		uses_left;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	if (!KeyUsesLeftFrom(PG_GETARG_BOOL(0), !PG_ARGISNULL(1),
						 PG_ARGISNULL(1) ? 0 : PG_GETARG_INT32(1),
						 PG_GETARG_INT32(2), &uses_left))
		PG_RETURN_NULL();
	PG_RETURN_INT32(uses_left);
}
