/*-------------------------------------------------------------------------
 *
 * tag.c
 *	  Tags: their syntax, their owners, and who may apply them.
 *
 * A tag is "tag:" followed by a lower-case letter and then up to 62
 * lower-case letters, digits and dashes.  Each tailnet defines its tags in
 * auth_keys.tag_owners with a list of owners; an owner is a member's login,
 * "autogroup:admin" (the tailnet's owners and admins) or another tag, whose
 * owners may then apply this one too.  A key or node may carry only tags
 * that are defined and that the acting member may apply.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/tag.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "actor.h"
#include "arguments.h"
#include "event.h"
#include "query.h"
#include "tag.h"
#include "tailnet.h"
#include "writable.h"

PG_FUNCTION_INFO_V1(auth_keys_tag_is_valid);
PG_FUNCTION_INFO_V1(auth_keys_tags_are_valid);
PG_FUNCTION_INFO_V1(auth_keys_set_tag_owners);

#define AUTOGROUP_ADMIN "autogroup:admin"

/* how deep tags owning tags may nest before we stop following them */
#define TAG_OWNER_DEPTH_MAX 8

/*
 * TagIsValid
 *		Whether a string is a well-formed tag.
 */
bool
TagIsValid(const char *tag, size_t len)
{
	const size_t prefix_len = strlen(TAG_PREFIX);

	if (len <= prefix_len || len > prefix_len + TAG_NAME_MAX)
		return false;
	if (memcmp(tag, TAG_PREFIX, prefix_len) != 0)
		return false;
	if (tag[prefix_len] < 'a' || tag[prefix_len] > 'z')
		return false;
	for (size_t i = prefix_len + 1; i < len; i++)
	{
		char		c = tag[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

/* Error for a malformed tag, with the rule in the hint. */
static void
require_valid_tag(const char *tag)
{
	if (!TagIsValid(tag, strlen(tag)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid tag \"%s\"", tag),
				 errhint("A tag is \"tag:\" followed by a lower-case letter and up to %d more lower-case letters, digits or dashes, such as \"tag:web-server\".",
						 TAG_NAME_MAX - 1)));
}

/*
 * TextArrayToStrings
 *		The elements of a one-dimensional text array as C strings; NULL
 *		elements and more dimensions are errors ("what" names the argument).
 */
char	  **
TextArrayToStrings(ArrayType *array, const char *what, int *count)
{
	Datum	   *elems;
	bool	   *nulls;
	char	  **strings;

	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a one-dimensional array", what)));
	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, count);
	strings = palloc(sizeof(char *) * Max(*count, 1));
	for (int i = 0; i < *count; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must not contain nulls", what)));
		strings[i] = TextDatumGetCString(elems[i]);
	}
	return strings;
}

static int
compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * TagsCanonical
 *		Check every tag's syntax and return the tags sorted, without
 *		duplicates, as a text array; "count" receives their number.
 */
ArrayType *
TagsCanonical(ArrayType *tags, int *count)
{
	int			n;
	char	  **strings = TextArrayToStrings(tags, "tags", &n);
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	int			unique = 0;

	for (int i = 0; i < n; i++)
		require_valid_tag(strings[i]);
	qsort(strings, n, sizeof(char *), compare_strings);
	for (int i = 0; i < n; i++)
		if (unique == 0 || strcmp(strings[i], strings[i - 1]) != 0)
			elems[unique++] = CStringGetTextDatum(strings[i]);
	*count = unique;
	return construct_array(elems, unique, TEXTOID, -1, false, TYPALIGN_INT);
}

/*
 * Look up a tag's owners in a tailnet.  Returns false when the tag is not
 * defined there.  Caller is connected to SPI; the strings live in its
 * memory context.
 */
static bool
lookup_tag_owners(int64 tailnet_id, const char *tag, char ***owners,
				  int *count)
{
	static SqlStatement lookup = {
		"SELECT owners FROM auth_keys.tag_owners"
		" WHERE tailnet_id OPERATOR(pg_catalog.=) $1"
		"   AND tag OPERATOR(pg_catalog.=) $2",
		2, {INT8OID, TEXTOID}
	};
	Datum		values[2];

	values[0] = Int64GetDatum(tailnet_id);
	values[1] = CStringGetTextDatum(tag);
	if (QueryRun(&lookup, values, NULL, true) == 0)
		return false;
	*owners = TextArrayToStrings(DatumGetArrayTypeP(QueryGetNotNull(0, 1)),
								 "owners", count);
	return true;
}

/*
 * Whether the actor owns a tag: is one of its owners, is an owner or admin
 * when autogroup:admin is, or owns a tag that owns it.
 */
static bool
actor_owns_tag(const Actor *actor, const char *tag, int depth)
{
	char	  **owners;
	int			count;

	if (!lookup_tag_owners(actor->tailnet_id, tag, &owners, &count))
		return false;
	for (int i = 0; i < count; i++)
	{
		if (strcmp(owners[i], actor->login) == 0)
			return true;
		if (strcmp(owners[i], AUTOGROUP_ADMIN) == 0 &&
			RoleIsTailnetAdmin(actor->role))
			return true;
	}
	if (depth >= TAG_OWNER_DEPTH_MAX)
		return false;
	for (int i = 0; i < count; i++)
		if (TagIsValid(owners[i], strlen(owners[i])) &&
			strcmp(owners[i], tag) != 0 &&
			actor_owns_tag(actor, owners[i], depth + 1))
			return true;
	return false;
}

/*
 * TagsRequireApplicable
 *		Error unless every tag is defined in the actor's tailnet and the
 *		actor may apply it.  Caller is connected to SPI.
 */
void
TagsRequireApplicable(const Actor *actor, ArrayType *tags)
{
	int			n;
	char	  **strings = TextArrayToStrings(tags, "tags", &n);

	for (int i = 0; i < n; i++)
	{
		char	  **owners;
		int			count;

		if (!lookup_tag_owners(actor->tailnet_id, strings[i], &owners, &count))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("tag \"%s\" is not defined in tailnet \"%s\"",
							strings[i], actor->tailnet),
					 errhint("An operator defines tags with auth_keys.set_tag_owners().")));
		if (!actor_owns_tag(actor, strings[i], 0))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("member \"%s\" may not apply tag \"%s\"",
							actor->login, strings[i]),
					 errdetail("Only the tag's owners may apply it.")));
	}
}

/*
 * auth_keys.tag_is_valid(tag text) RETURNS boolean
 *		The tag syntax, for CHECK constraints.
 */
Datum
auth_keys_tag_is_valid(PG_FUNCTION_ARGS)
{
	text	   *tag = PG_GETARG_TEXT_PP(0);

	PG_RETURN_BOOL(TagIsValid(VARDATA_ANY(tag), VARSIZE_ANY_EXHDR(tag)));
}

/*
 * auth_keys.tags_are_valid(tags text[]) RETURNS boolean
 *		Whether an array holds only well-formed tags, each once, no nulls.
 */
Datum
auth_keys_tags_are_valid(PG_FUNCTION_ARGS)
{
	ArrayType  *tags = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (ARR_NDIM(tags) > 1)
		PG_RETURN_BOOL(false);
	deconstruct_array(tags, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		text	   *tag;

		if (nulls[i])
			PG_RETURN_BOOL(false);
		tag = DatumGetTextPP(elems[i]);
		if (!TagIsValid(VARDATA_ANY(tag), VARSIZE_ANY_EXHDR(tag)))
			PG_RETURN_BOOL(false);
		for (int j = 0; j < i; j++)
		{
			text	   *other = DatumGetTextPP(elems[j]);

			if (VARSIZE_ANY_EXHDR(other) == VARSIZE_ANY_EXHDR(tag) &&
				memcmp(VARDATA_ANY(other), VARDATA_ANY(tag),
					   VARSIZE_ANY_EXHDR(tag)) == 0)
				PG_RETURN_BOOL(false);
		}
	}
	PG_RETURN_BOOL(true);
}

/*
 * Check one owner for set_tag_owners: autogroup:admin, a tag defined in the
 * tailnet (or the tag being defined), or a member's login.
 */
static void
require_valid_owner(int64 tailnet_id, const char *tailnet, const char *tag,
					const char *owner)
{
	static SqlStatement is_member = {
		"SELECT 1 FROM auth_keys.members"
		" WHERE tailnet_id OPERATOR(pg_catalog.=) $1"
		"   AND login OPERATOR(pg_catalog.=) $2",
		2, {INT8OID, TEXTOID}
	};
	Datum		values[2];
	char	  **ignored;
	int			count;

	if (strcmp(owner, AUTOGROUP_ADMIN) == 0)
		return;
	if (strncmp(owner, TAG_PREFIX, strlen(TAG_PREFIX)) == 0)
	{
		require_valid_tag(owner);
		if (strcmp(owner, tag) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("tag \"%s\" cannot own itself", tag)));
		if (!lookup_tag_owners(tailnet_id, owner, &ignored, &count))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("owner tag \"%s\" is not defined in tailnet \"%s\"",
							owner, tailnet),
					 errhint("Define the owning tag first.")));
		return;
	}
	values[0] = Int64GetDatum(tailnet_id);
	values[1] = CStringGetTextDatum(owner);
	if (QueryRun(&is_member, values, NULL, true) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tag owner \"%s\" is not a member of tailnet \"%s\"",
						owner, tailnet),
				 errhint("An owner is a member's login, \"autogroup:admin\" or another tag.")));
}

/*
 * auth_keys.set_tag_owners(tailnet text, tag text, owners text[])
 *		RETURNS void
 *		Define a tag in a tailnet, or redefine who owns it.  Operator tier.
 */
Datum
auth_keys_set_tag_owners(PG_FUNCTION_ARGS)
{
	static SqlStatement upsert = {
		"INSERT INTO auth_keys.tag_owners (tailnet_id, tag, owners)"
		" VALUES ($1, $2, $3)"
		" ON CONFLICT (tailnet_id, tag) DO UPDATE SET owners = excluded.owners",
		3, {INT8OID, TEXTOID, TEXTARRAYOID}
	};
	char	   *tailnet;
	char	   *tag;
	ArrayType  *owners;
	int64		tailnet_id;
	char	  **strings;
	int			count;
	Datum		values[3];
	StringInfoData detail;

	RequireWritable(fcinfo);
	RequireArguments(fcinfo, 3);
	tailnet = text_to_cstring(PG_GETARG_TEXT_PP(0));
	tag = text_to_cstring(PG_GETARG_TEXT_PP(1));
	owners = PG_GETARG_ARRAYTYPE_P(2);
	require_valid_tag(tag);
	strings = TextArrayToStrings(owners, "owners", &count);
	if (count == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a tag needs at least one owner"),
				 errdetail("Nobody could apply tag \"%s\" without one.", tag),
				 errhint("An owner is a member's login, \"autogroup:admin\" or another tag.")));

	SPI_connect();
	tailnet_id = TailnetIdByName(tailnet);

	for (int i = 0; i < count; i++)
		require_valid_owner(tailnet_id, tailnet, tag, strings[i]);

	values[0] = Int64GetDatum(tailnet_id);
	values[1] = CStringGetTextDatum(tag);
	values[2] = PointerGetDatum(owners);
	QueryRun(&upsert, values, NULL, false);

	initStringInfo(&detail);
	JsonAddText(&detail, "tag", tag);
	JsonAddRaw(&detail, "owners",
			   TextDatumGetCString(DirectFunctionCall1(array_to_json,
													   PointerGetDatum(owners))));
	EventRecord(ActorDescribe(), tailnet_id, "tag.set", NULL, EVENT_NO_NODE,
				JsonFinish(&detail));
	SPI_finish();
	PG_RETURN_VOID();
}
