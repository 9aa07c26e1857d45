/*-------------------------------------------------------------------------
 *
 * key_guard.c
 *	  Trigger that keeps direct UPDATEs of auth_keys.keys honest.
 *
 * DBAs manage the tables directly, and the extension's own functions are
 * not the only writers.  CHECK constraints hold what one row can say about
 * itself (expiry 1 to 90 days after creation, uses within the limit); this
 * BEFORE UPDATE trigger holds what needs the old row too:
 *
 *	- only the description, the revocation, the use count and the times of
 *	  last use and of using up may change; the secret's hash, the owner, the
 *	  settings and the expiry never do (a new key is the way to get another);
 *	- revocation is one-way: once set, revoked_at and revoked_by stay;
 *	- uses never decrease, and once a key is used up it stays used up.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/key_guard.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/datum.h"
#include "utils/rel.h"

PG_FUNCTION_INFO_V1(auth_keys_keys_guard);

/* Columns an UPDATE may change, with the rule each obeys. */
typedef enum ChangeRule
{
	CHANGE_FREELY,				/* description, last_used_at */
	CHANGE_ONCE,				/* NULL to a value, then never again */
	CHANGE_UPWARDS,				/* an int4 that never decreases */
	CHANGE_COMPUTED				/* generated column, checked by its inputs */
} ChangeRule;

typedef struct MutableColumn
{
	const char *name;
	ChangeRule	rule;
} MutableColumn;

static const MutableColumn mutable_columns[] = {
	{"description", CHANGE_FREELY},
	{"last_used_at", CHANGE_FREELY},
	{"revoked_at", CHANGE_ONCE},
	{"revoked_by", CHANGE_ONCE},
	{"used_up_at", CHANGE_ONCE},
	{"uses", CHANGE_UPWARDS},
	{"invalid_at", CHANGE_COMPUTED},
};

static const MutableColumn *
find_mutable(const char *name)
{
	for (int i = 0; i < lengthof(mutable_columns); i++)
		if (strcmp(mutable_columns[i].name, name) == 0)
			return &mutable_columns[i];
	return NULL;
}

static void
refuse(const char *column, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION),
			 errmsg("cannot change column \"%s\" of an authentication key", column),
			 errdetail("%s", why)));
}

/*
 * auth_keys.keys_guard() RETURNS trigger
 *		BEFORE UPDATE FOR EACH ROW on auth_keys.keys.
 */
Datum
auth_keys_keys_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	tupdesc;
	HeapTuple	old_row;
	HeapTuple	new_row;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("keys_guard must be fired BEFORE UPDATE FOR EACH ROW")));

	tupdesc = RelationGetDescr(trigdata->tg_relation);
	old_row = trigdata->tg_trigtuple;
	new_row = trigdata->tg_newtuple;

	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		const char *name = NameStr(att->attname);
		const MutableColumn *column;
		bool		old_null;
		bool		new_null;
		Datum		old_value;
		Datum		new_value;
		bool		same;

		if (att->attisdropped)
			continue;
		old_value = heap_getattr(old_row, i + 1, tupdesc, &old_null);
		new_value = heap_getattr(new_row, i + 1, tupdesc, &new_null);
		same = old_null == new_null &&
			(old_null || datum_image_eq(old_value, new_value,
										att->attbyval, att->attlen));
		if (same)
			continue;

		column = find_mutable(name);
		if (column == NULL)
			refuse(name, "Only the description, revocation and use of a key change after it is generated.");
		switch (column->rule)
		{
			case CHANGE_FREELY:
			case CHANGE_COMPUTED:
				break;
			case CHANGE_ONCE:
				if (!old_null)
					refuse(name, "Revoking and using up a key cannot be undone.");
				break;
			case CHANGE_UPWARDS:
				if (new_null || DatumGetInt32(new_value) < DatumGetInt32(old_value))
					refuse(name, "The use count of a key never decreases.");
				break;
		}
	}

	return PointerGetDatum(new_row);
}
