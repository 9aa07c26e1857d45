/*-------------------------------------------------------------------------
 *
 * key_guard.c
 *	  The trigger that keeps every change of auth_keys.keys within the rules
 *	  of a key, and records the changes the extension did not make.
 *
 * DBAs manage the tables directly, and the extension's own functions are
 * not the only writers.  keys_guard runs BEFORE INSERT, UPDATE and DELETE
 * of each row (and before a TRUNCATE), and holds what CHECK constraints
 * held in 1.0 and what needs the old row too:
 *
 *	- every row: the columns that must have a value have one; the key has
 *	  one creator, a member (created_by) or an OAuth client
 *	  (oauth_client_id, 1.1), and a key of a client has tags; the key id is
 *	  12 letters and digits; the description has at most 50 characters;
 *	  the tags are well formed, each once; a use limit belongs to a
 *	  reusable key and is at least 1; uses lie between 0 and the limit (1
 *	  for a one-off key), and used_up_at is set exactly when they reach it;
 *	  the key expires 1 to 90 days after its creation; revoked_at and
 *	  revoked_by are set together; the secret's hash is 32 bytes;
 *	- an UPDATE changes only the description, the revocation, the use count
 *	  and the times of last use and of using up; revocation and using up
 *	  are one-way; uses never decrease;
 *	- a key INSERTed directly is a new key, as create_key makes it: created
 *	  now, unused, not revoked, by a member who may generate keys, with tags
 *	  that member may apply, or by an OAuth client that may mint keys (not
 *	  revoked, with scope auth_keys), with tags that the client's tags own.
 *	  COPY, which is how a dump is restored, loads keys as they were, under
 *	  the row rules only.
 *
 * Its own messages say which rule a change broke and never show the row,
 * unlike a constraint's "Failing row contains (...)", which would print the
 * secret's hash to the client and the server log.  A change the extension's
 * functions did not make (an INSERT, UPDATE, DELETE or TRUNCATE by a DBA)
 * is recorded as an event naming the database role (direct_change.c).
 *
 * What it cannot stop: BEFORE triggers fire in the order of their names,
 * so a trigger that the table's owner adds, sorting after keys_guard, can
 * rewrite a row that keys_guard has passed; and the owner can disable
 * keys_guard.  Only the table's owner (the superuser who created the
 * extension) can do either: the guard keeps mistakes and tenants out, not
 * the owner.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/key_guard.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/inval.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "actor.h"
#include "direct_change.h"
#include "event.h"
#include "key_format.h"
#include "key_record.h"
#include "key_secret.h"
#include "oauth_actor.h"
#include "oauth_scope.h"
#include "query.h"
#include "tag.h"

PG_FUNCTION_INFO_V1(auth_keys_keys_guard);

#define KEY_DESCRIPTION_MAX		50
#define KEY_EXPIRY_MIN_DAYS		1
#define KEY_EXPIRY_MAX_DAYS		90

typedef enum GuardColumn
{
	GC_KEY_ID,
	GC_TAILNET_ID,
	GC_CREATED_BY,
	GC_DESCRIPTION,
	GC_REUSABLE,
	GC_EPHEMERAL,
	GC_PREAUTHORIZED,
	GC_TAGS,
	GC_MAX_USES,
	GC_USES,
	GC_CREATED_AT,
	GC_EXPIRES_AT,
	GC_REVOKED_AT,
	GC_REVOKED_BY,
	GC_LAST_USED_AT,
	GC_USED_UP_AT,
	GC_SECRET_HASH,
	GC_INVALID_AT,
	GC_OAUTH_CLIENT_ID,
	GUARD_COLUMNS
} GuardColumn;

/* How an UPDATE may change a column. */
typedef enum ChangeRule
{
	CHANGE_NEVER,				/* fixed when the key is made */
	CHANGE_FREELY,				/* description, last_used_at */
	CHANGE_ONCE,				/* NULL to a value, then never again */
	CHANGE_UPWARDS,				/* an int4 that never decreases */
	CHANGE_COMPUTED				/* generated column, checked by its inputs */
} ChangeRule;

typedef struct ColumnRule
{
	const char *name;
	bool		required;		/* may not be NULL */
	ChangeRule	change;
} ColumnRule;

static const ColumnRule column_rules[GUARD_COLUMNS] = {
	[GC_KEY_ID] = {"key_id", true, CHANGE_NEVER},
	[GC_TAILNET_ID] = {"tailnet_id", true, CHANGE_NEVER},
	/* required unless the key is an OAuth client's: see check_row */
	[GC_CREATED_BY] = {"created_by", false, CHANGE_NEVER},
	[GC_DESCRIPTION] = {"description", false, CHANGE_FREELY},
	[GC_REUSABLE] = {"reusable", true, CHANGE_NEVER},
	[GC_EPHEMERAL] = {"ephemeral", true, CHANGE_NEVER},
	[GC_PREAUTHORIZED] = {"preauthorized", true, CHANGE_NEVER},
	[GC_TAGS] = {"tags", true, CHANGE_NEVER},
	[GC_MAX_USES] = {"max_uses", false, CHANGE_NEVER},
	[GC_USES] = {"uses", true, CHANGE_UPWARDS},
	[GC_CREATED_AT] = {"created_at", true, CHANGE_NEVER},
	[GC_EXPIRES_AT] = {"expires_at", true, CHANGE_NEVER},
	[GC_REVOKED_AT] = {"revoked_at", false, CHANGE_ONCE},
	[GC_REVOKED_BY] = {"revoked_by", false, CHANGE_ONCE},
	[GC_LAST_USED_AT] = {"last_used_at", false, CHANGE_FREELY},
	[GC_USED_UP_AT] = {"used_up_at", false, CHANGE_ONCE},
	[GC_SECRET_HASH] = {"secret_hash", true, CHANGE_NEVER},
	[GC_INVALID_AT] = {"invalid_at", false, CHANGE_COMPUTED},
	[GC_OAUTH_CLIENT_ID] = {"oauth_client_id", false, CHANGE_NEVER},
};

/*
 * Where the columns are in the keys table, found once and forgotten when
 * the relation cache drops the table (a column dropped or added).  A column
 * the table lacks is InvalidAttrNumber, and its rules are skipped: every
 * version of the table has them all but the guard does not depend on it.
 */
static struct
{
	Oid			relid;
	AttrNumber	attnum[GUARD_COLUMNS];
} key_table;

static void
key_table_forget(Datum arg, Oid relid)
{
	if (!OidIsValid(relid) || relid == key_table.relid)
		key_table.relid = InvalidOid;
}

static void
key_table_resolve(Relation rel)
{
	static bool callback_registered = false;
	TupleDesc	desc = RelationGetDescr(rel);

	if (key_table.relid == RelationGetRelid(rel))
		return;
	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(key_table_forget, (Datum) 0);
		callback_registered = true;
	}
	for (int c = 0; c < GUARD_COLUMNS; c++)
	{
		key_table.attnum[c] = InvalidAttrNumber;
		for (int i = 0; i < desc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, i);

			if (!att->attisdropped &&
				strcmp(NameStr(att->attname), column_rules[c].name) == 0)
				key_table.attnum[c] = att->attnum;
		}
	}
	key_table.relid = RelationGetRelid(rel);
}

static void refuse_row(const char *message, const char *detail) pg_attribute_noreturn();

/* One version of a row, with its columns by name. */
typedef struct KeyRow
{
	HeapTuple	tuple;
	TupleDesc	desc;
} KeyRow;

static Datum
get(const KeyRow *row, GuardColumn column, bool *isnull)
{
	AttrNumber	attnum = key_table.attnum[column];

	if (attnum == InvalidAttrNumber)
	{
		*isnull = true;
		return (Datum) 0;
	}
	return heap_getattr(row->tuple, attnum, row->desc, isnull);
}

static bool
is_null(const KeyRow *row, GuardColumn column)
{
	bool		isnull;

	(void) get(row, column, &isnull);
	return isnull;
}

static void
refuse_row(const char *message, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_CHECK_VIOLATION),
			 errmsg("%s", message),
			 errdetail("%s", detail)));
}

/*
 * The rules every version of a key row obeys, whoever writes it; see the
 * file header.
 */
static void
check_row(const KeyRow *row)
{
	bool		isnull;
	Datum		value;
	bool		reusable;
	int64		limit;
	int32		uses;
	bool		has_max_uses;
	TimestampTz created_at;
	TimestampTz expires_at;
	int64		lifetime;

	for (int c = 0; c < GUARD_COLUMNS; c++)
		if (column_rules[c].required && key_table.attnum[c] != InvalidAttrNumber &&
			is_null(row, (GuardColumn) c))
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("column \"%s\" of an authentication key must not be null",
							column_rules[c].name)));

	/* a table without oauth_client_id (1.0) has member creators only */
	if (key_table.attnum[GC_OAUTH_CLIENT_ID] == InvalidAttrNumber &&
		is_null(row, GC_CREATED_BY))
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("column \"%s\" of an authentication key must not be null",
						column_rules[GC_CREATED_BY].name)));
	if (is_null(row, GC_CREATED_BY) == is_null(row, GC_OAUTH_CLIENT_ID))
		refuse_row("invalid creator of an authentication key",
				   "A key has one creator: the member who generated it (created_by) or the OAuth client that minted it (oauth_client_id).");
	value = get(row, GC_TAGS, &isnull);
	if (!is_null(row, GC_OAUTH_CLIENT_ID) && !isnull &&
		ArrayGetNItems(ARR_NDIM(DatumGetArrayTypeP(value)),
					   ARR_DIMS(DatumGetArrayTypeP(value))) == 0)
		refuse_row("invalid tags of an authentication key",
				   "A key minted by an OAuth client has tags.");

	value = get(row, GC_KEY_ID, &isnull);
	if (!isnull)
	{
		text	   *key_id = DatumGetTextPP(value);

		if (!AuthKeyIdIsValid(VARDATA_ANY(key_id), VARSIZE_ANY_EXHDR(key_id)))
			refuse_row("invalid authentication key id",
					   "A key id is 12 letters and digits.");
	}

	value = get(row, GC_DESCRIPTION, &isnull);
	if (!isnull)
	{
		text	   *description = DatumGetTextPP(value);

		if (pg_mbstrlen_with_len(VARDATA_ANY(description),
								 VARSIZE_ANY_EXHDR(description)) > KEY_DESCRIPTION_MAX)
			refuse_row("authentication key description is too long",
					   "A description has at most 50 characters.");
	}

	value = get(row, GC_TAGS, &isnull);
	if (!isnull && !TagsArrayIsValid(DatumGetArrayTypeP(value)))
		refuse_row("invalid tags of an authentication key",
				   "Tags are well-formed tags, each once, without nulls.");

	reusable = DatumGetBool(get(row, GC_REUSABLE, &isnull));
	value = get(row, GC_MAX_USES, &isnull);
	has_max_uses = !isnull;
	if (has_max_uses && (!reusable || DatumGetInt32(value) < 1))
		refuse_row("invalid use limit of an authentication key",
				   "A use limit belongs to a reusable key and is at least 1.");

	limit = KeyUseLimit(reusable, has_max_uses, has_max_uses ? DatumGetInt32(value) : 0);
	uses = DatumGetInt32(get(row, GC_USES, &isnull));
	if (uses < 0 || uses > limit)
		refuse_row("invalid use count of an authentication key",
				   "Uses lie between 0 and the key's limit, which is 1 for a one-off key.");
	if (key_table.attnum[GC_USED_UP_AT] != InvalidAttrNumber &&
		is_null(row, GC_USED_UP_AT) == (uses >= limit))
		refuse_row("invalid use count of an authentication key",
				   "used_up_at is set exactly when the uses reach the key's limit.");

	created_at = DatumGetTimestampTz(get(row, GC_CREATED_AT, &isnull));
	expires_at = DatumGetTimestampTz(get(row, GC_EXPIRES_AT, &isnull));
	if (TIMESTAMP_NOT_FINITE(created_at) || TIMESTAMP_NOT_FINITE(expires_at) ||
		pg_sub_s64_overflow(expires_at, created_at, &lifetime) ||
		lifetime < KEY_EXPIRY_MIN_DAYS * USECS_PER_DAY ||
		lifetime > KEY_EXPIRY_MAX_DAYS * USECS_PER_DAY)
		refuse_row("invalid expiry of an authentication key",
				   "A key expires 1 to 90 days after its creation.");

	if (is_null(row, GC_REVOKED_AT) != is_null(row, GC_REVOKED_BY))
		refuse_row("invalid revocation of an authentication key",
				   "revoked_at and revoked_by are set together.");

	value = get(row, GC_SECRET_HASH, &isnull);
	if (!isnull && VARSIZE_ANY_EXHDR(DatumGetByteaPP(value)) != KEY_HASH_LEN)
		refuse_row("invalid secret hash of an authentication key",
				   "The hash of a secret is 32 bytes.");
}

static void refuse_change(const char *column, const char *why) pg_attribute_noreturn();

static void
refuse_change(const char *column, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION),
			 errmsg("cannot change column \"%s\" of an authentication key", column),
			 errdetail("%s", why)));
}

/* What an UPDATE may do to each column; see the file header. */
static void
check_update(const KeyRow *old_row, const KeyRow *new_row)
{
	for (int c = 0; c < GUARD_COLUMNS; c++)
	{
		AttrNumber	attnum = key_table.attnum[c];
		Form_pg_attribute att;
		bool		old_null;
		bool		new_null;
		Datum		old_value;
		Datum		new_value;

		if (attnum == InvalidAttrNumber || column_rules[c].change == CHANGE_FREELY ||
			column_rules[c].change == CHANGE_COMPUTED)
			continue;
		att = TupleDescAttr(new_row->desc, attnum - 1);
		old_value = get(old_row, (GuardColumn) c, &old_null);
		new_value = get(new_row, (GuardColumn) c, &new_null);
		if (old_null == new_null &&
			(old_null || datum_image_eq(old_value, new_value, att->attbyval, att->attlen)))
			continue;

		switch (column_rules[c].change)
		{
			case CHANGE_NEVER:
				refuse_change(column_rules[c].name,
							  "Only the description, revocation and use of a key change after it is generated.");
				break;
			case CHANGE_ONCE:
				if (!old_null)
					refuse_change(column_rules[c].name,
								  "Revoking and using up a key cannot be undone.");
				break;
			case CHANGE_UPWARDS:
				if (new_null || DatumGetInt32(new_value) < DatumGetInt32(old_value))
					refuse_change(column_rules[c].name,
								  "The use count of a key never decreases.");
				break;
			case CHANGE_FREELY:
			case CHANGE_COMPUTED:
				break;
		}
	}
}

/*
 * A key of an OAuth client INSERTed directly: minted by a client of the
 * key's tailnet that may mint keys, with tags that its tags own, as
 * create_key would mint it for a token of all the client's scopes and
 * tags.
 */
static void
check_direct_client_insert(const KeyRow *row)
{
	static SqlStatement client_row = {
		"SELECT c.scopes, c.tags, c.revoked_at IS NOT NULL"
		"  FROM auth_keys.oauth_clients c"
		" WHERE c.client_id OPERATOR(pg_catalog.=) $1"
		"   AND c.tailnet_id OPERATOR(pg_catalog.=) $2",
		2, {TEXTOID, INT8OID}
	};
	bool		isnull;
	Datum		values[2];
	Actor		actor;
	ActorClient client;
	bool		owned;

	values[0] = get(row, GC_OAUTH_CLIENT_ID, &isnull);
	values[1] = get(row, GC_TAILNET_ID, &isnull);
	SPI_connect();
	if (QueryRun(&client_row, values, NULL, true) == 0 ||
		DatumGetBool(QueryGetNotNull(0, 3)) ||
		!OAuthScopesAllow(OAuthScopesFromStored(DatumGetArrayTypeP(QueryGetNotNull(0, 1))),
						  OAUTH_SCOPE_AUTH_KEYS))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("the OAuth client of a key inserted directly must be one that may mint keys"),
				 errhint("A client of the key's tailnet that is not revoked and has scope auth_keys mints keys.")));
	memset(&actor, 0, sizeof(actor));
	memset(&client, 0, sizeof(client));
	actor.tailnet_id = DatumGetInt64(values[1]);
	client.client_id = TextDatumGetCString(values[0]);
	client.scopes = OAUTH_SCOPE_AUTH_KEYS;
	client.tags = TextArrayToStrings(DatumGetArrayTypeP(QueryGetNotNull(0, 2)), "tags",
									 &client.ntags);
	actor.client = &client;
	owned = OAuthClientOwnsTags(&actor, DatumGetArrayTypeP(get(row, GC_TAGS, &isnull)));
	SPI_finish();
	if (!owned)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("the tags of a key inserted directly for an OAuth client must be owned by the client's tags")));
}

/*
 * A key INSERTed directly is a new key, as create_key would make it: see
 * the file header.
 */
static void
check_direct_insert(const KeyRow *row)
{
	static SqlStatement creator = {
		"SELECT m.role, t.name FROM auth_keys.members m"
		"  JOIN auth_keys.tailnets t"
		"    ON t.tailnet_id OPERATOR(pg_catalog.=) m.tailnet_id"
		" WHERE m.tailnet_id OPERATOR(pg_catalog.=) $1"
		"   AND m.login OPERATOR(pg_catalog.=) $2",
		2, {INT8OID, TEXTOID}
	};
	bool		isnull;
	Datum		values[2];
	Actor		actor;

	if (DatumGetTimestampTz(get(row, GC_CREATED_AT, &isnull)) !=
		GetCurrentTransactionStartTimestamp() ||
		DatumGetInt32(get(row, GC_USES, &isnull)) != 0 ||
		!is_null(row, GC_REVOKED_AT) || !is_null(row, GC_USED_UP_AT) ||
		!is_null(row, GC_LAST_USED_AT))
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("a key inserted directly must be a new key"),
				 errdetail("An INSERT makes a key as create_key does: created now, unused and not revoked."),
				 errhint("Leave created_at, uses, revoked_at, revoked_by, last_used_at and used_up_at to their defaults; COPY restores keys as a dump holds them.")));

	if (is_null(row, GC_CREATED_BY))
	{
		check_direct_client_insert(row);
		return;
	}
	values[0] = get(row, GC_TAILNET_ID, &isnull);
	values[1] = get(row, GC_CREATED_BY, &isnull);
	SPI_connect();
	if (QueryRun(&creator, values, NULL, true) == 0 ||
		!RoleMayManageKeys(RoleFromName(QueryGetText(0, 1))))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("the creator of a key inserted directly must be a member who may generate keys"),
				 errhint("Owners, admins, IT admins and network admins of the key's tailnet generate keys.")));
	actor.tailnet_id = DatumGetInt64(values[0]);
	actor.tailnet = QueryGetText(0, 2);
	actor.login = TextDatumGetCString(values[1]);
	actor.role = RoleFromName(QueryGetText(0, 1));
	actor.client = NULL;
	TagsRequireApplicable(&actor, DatumGetArrayTypeP(get(row, GC_TAGS, &isnull)));
	SPI_finish();
}

/* The key id and tailnet of a row, for its event. */
static void
record(const KeyRow *row, const char *action, const char *const *columns,
	   int ncolumns)
{
	bool		isnull;
	int64		tailnet_id = DatumGetInt64(get(row, GC_TAILNET_ID, &isnull));
	Datum		key_id = get(row, GC_KEY_ID, &isnull);

	DirectChangeRecord(tailnet_id, action,
					   isnull ? NULL : TextDatumGetCString(key_id),
					   EVENT_NO_NODE, columns, ncolumns);
}

/*
 * auth_keys.keys_guard() RETURNS trigger
 *		BEFORE INSERT OR UPDATE OR DELETE FOR EACH ROW, and BEFORE TRUNCATE
 *		FOR EACH STATEMENT, on auth_keys.keys.  (A 1.0 database fires it
 *		BEFORE UPDATE only.)
 */
Datum
auth_keys_keys_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	ChangeSource source;
	KeyRow		old_row;
	KeyRow		new_row;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		(TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event) ?
		 !TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event) :
		 !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("keys_guard must be fired BEFORE INSERT, UPDATE or DELETE FOR EACH ROW, or BEFORE TRUNCATE")));

	source = DirectChangeSource();
	if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
	{
		if (source == CHANGE_DIRECT)
			DirectChangeRecord(EVENT_NO_TAILNET, "keys.truncated", NULL, EVENT_NO_NODE,
							   NULL, 0);
		return PointerGetDatum(NULL);
	}

	key_table_resolve(trigdata->tg_relation);
	old_row.desc = new_row.desc = RelationGetDescr(trigdata->tg_relation);
	old_row.tuple = trigdata->tg_trigtuple;
	new_row.tuple = trigdata->tg_newtuple;

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		check_row(&old_row);
		if (source == CHANGE_DIRECT)
		{
			check_direct_insert(&old_row);
			record(&old_row, "key.created", NULL, 0);
		}
		return PointerGetDatum(trigdata->tg_trigtuple);
	}
	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		check_update(&old_row, &new_row);
		check_row(&new_row);
		if (source == CHANGE_DIRECT)
		{
			const char **columns;
			int			ncolumns = DirectChangeColumns(new_row.desc, old_row.tuple,
													   new_row.tuple, &columns);

			if (ncolumns > 0)
				record(&new_row, "key.updated", columns, ncolumns);
		}
		return PointerGetDatum(trigdata->tg_newtuple);
	}

	/* DELETE: purging is allowed; a direct one is recorded */
	if (source == CHANGE_DIRECT)
		record(&old_row, "key.deleted", NULL, 0);
	return PointerGetDatum(trigdata->tg_trigtuple);
}
