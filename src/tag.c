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
 * that are defined and that the acting member may apply (tag_graph.c
 * decides that).  set_tag_owners refuses definitions that would let a tag
 * own itself, and stores each owner once.  Every loop over a caller's
 * array checks for interrupts, and the work on n tags is O(n log n).
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
#include "miscadmin.h"
#include "port.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "actor.h"
#include "arguments.h"
#include "event.h"
#include "query.h"
#include "tag.h"
#include "tag_graph.h"
#include "tailnet.h"
#include "writable.h"

PG_FUNCTION_INFO_V1(auth_keys_tag_is_valid);
PG_FUNCTION_INFO_V1(auth_keys_tags_are_valid);
PG_FUNCTION_INFO_V1(auth_keys_set_tag_owners);

#define AUTOGROUP_ADMIN "autogroup:admin"

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
		CHECK_FOR_INTERRUPTS();
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must not contain nulls", what)));
		strings[i] = TextDatumGetCString(elems[i]);
	}
	return strings;
}

/* pg_qsort_strcmp for qsort_interruptible, which passes an argument. */
static int
compare_strings(const void *a, const void *b, void *arg)
{
	return pg_qsort_strcmp(a, b);
}

/*
 * Sort C strings by their bytes and drop repeated ones, in place; returns
 * how many are left.  The sort checks for interrupts.
 */
static int
sort_unique(char **strings, int n)
{
	int			unique = 0;

	qsort_interruptible(strings, n, sizeof(char *), compare_strings, NULL);
	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (unique == 0 || strcmp(strings[i], strings[unique - 1]) != 0)
			strings[unique++] = strings[i];
	}
	return unique;
}

/* C strings as a text array. */
static ArrayType *
strings_to_array(char **strings, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		elems[i] = CStringGetTextDatum(strings[i]);
	return construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT);
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

	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		require_valid_tag(strings[i]);
	}
	*count = sort_unique(strings, n);
	return strings_to_array(strings, *count);
}

/*
 * TagsRequireApplicable
 *		Error unless every tag is defined in the actor's tailnet and the
 *		actor may apply it: be one of its owners, be an owner or admin when
 *		autogroup:admin is one, or own a tag that owns it.  An OAuth client
 *		applies its token's tags and the tags they own.  Caller is connected
 *		to SPI.
 */
void
TagsRequireApplicable(const Actor *actor, ArrayType *tags)
{
	const char *principals[2] = {actor->login, AUTOGROUP_ADMIN};
	int			n;
	char	  **strings = TextArrayToStrings(tags, "tags", &n);
	TagGraph   *graph;

	if (actor->client != NULL)
		graph = TagGraphBegin(actor->tailnet_id,
							  (const char *const *) actor->client->tags,
							  actor->client->ntags, false);
	else
		graph = TagGraphBegin(actor->tailnet_id, principals,
							  RoleIsTailnetAdmin(actor->role) ? 2 : 1, false);
	for (int i = 0; i < n; i++)
	{
		if (!TagGraphDefined(graph, strings[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("tag \"%s\" is not defined in tailnet \"%s\"",
							strings[i], actor->tailnet),
					 errhint("An operator defines tags with auth_keys.set_tag_owners().")));
		if (!TagGraphOwns(graph, strings[i]) && actor->client != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("OAuth client \"%s\" may not apply tag \"%s\"",
							actor->client->client_id, strings[i]),
					 errdetail("An OAuth client applies the tags of its access token, and tags they own.")));
		if (!TagGraphOwns(graph, strings[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("member \"%s\" may not apply tag \"%s\"",
							actor->login, strings[i]),
					 errdetail("Only the tag's owners may apply it.")));
	}
	TagGraphEnd(graph);
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

/* Order of two text datums by their bytes, to find repeated tags. */
static int
compare_text_datums(const void *a, const void *b, void *arg)
{
	text	   *x = DatumGetTextPP(*(const Datum *) a);
	text	   *y = DatumGetTextPP(*(const Datum *) b);
	int			xlen = VARSIZE_ANY_EXHDR(x);
	int			ylen = VARSIZE_ANY_EXHDR(y);
	int			cmp = memcmp(VARDATA_ANY(x), VARDATA_ANY(y), Min(xlen, ylen));

	return cmp != 0 ? cmp : (xlen > ylen) - (xlen < ylen);
}

/*
 * TagsArrayIsValid
 *		Whether an array holds only well-formed tags, each once, no nulls.
 *		Sorting finds repeated tags: O(n log n), and interruptible.
 */
bool
TagsArrayIsValid(ArrayType *tags)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (ARR_NDIM(tags) > 1)
		return false;
	deconstruct_array(tags, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		text	   *tag;

		CHECK_FOR_INTERRUPTS();
		if (nulls[i])
			return false;
		tag = DatumGetTextPP(elems[i]);
		if (!TagIsValid(VARDATA_ANY(tag), VARSIZE_ANY_EXHDR(tag)))
			return false;
	}
	qsort_interruptible(elems, n, sizeof(Datum), compare_text_datums, NULL);
	for (int i = 1; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (compare_text_datums(&elems[i - 1], &elems[i], NULL) == 0)
			return false;
	}
	return true;
}

/*
 * auth_keys.tags_are_valid(tags text[]) RETURNS boolean
 *		TagsArrayIsValid, for the CHECK constraint of nodes.
 */
Datum
auth_keys_tags_are_valid(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(TagsArrayIsValid(PG_GETARG_ARRAYTYPE_P(0)));
}

/*
 * Check one owner for set_tag_owners: autogroup:admin, a tag defined in the
 * tailnet, or a member's login.
 */
static void
require_valid_owner(TagGraph *graph, int64 tailnet_id, const char *tailnet,
					const char *owner)
{
	static SqlStatement is_member = {
		"SELECT 1 FROM auth_keys.members"
		" WHERE tailnet_id OPERATOR(pg_catalog.=) $1"
		"   AND login OPERATOR(pg_catalog.=) $2",
		2, {INT8OID, TEXTOID}
	};
	Datum		values[2];

	if (strcmp(owner, AUTOGROUP_ADMIN) == 0)
		return;
	if (strncmp(owner, TAG_PREFIX, strlen(TAG_PREFIX)) == 0)
	{
		require_valid_tag(owner);
		if (!TagGraphDefined(graph, owner))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("owner tag \"%s\" is not defined in tailnet \"%s\"",
							owner, tailnet),
					 errhint("Define the owning tag first.")));
		return;
	}
	values[0] = Int64GetDatum(tailnet_id);
	values[1] = CStringGetTextDatum(owner);
	if (QueryRun(&is_member, values, NULL, false) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tag owner \"%s\" is not a member of tailnet \"%s\"",
						owner, tailnet),
				 errhint("An owner is a member's login, \"autogroup:admin\" or another tag.")));
}

/*
 * Keep tag definitions of one tailnet from interleaving: two definitions
 * that each look acyclic alone could close a cycle together.  A row
 * version of the tailnet written by each definition makes them queue on
 * its lock under READ COMMITTED (after which every read here sees the
 * other's commit, since the reads take fresh snapshots), and makes the
 * later one fail with a serialization error under REPEATABLE READ, whose
 * snapshot could not see the earlier one.  Changing no column, it is a HOT
 * update that blocks no registration (which only takes key-share locks on
 * the tailnet).
 */
static void
lock_tag_definitions(int64 tailnet_id)
{
	static SqlStatement lock = {
		"UPDATE auth_keys.tailnets SET device_approval = device_approval"
		" WHERE tailnet_id OPERATOR(pg_catalog.=) $1",
		1, {INT8OID}
	};
	Datum		value = Int64GetDatum(tailnet_id);

	QueryRun(&lock, &value, NULL, false);
}

/*
 * auth_keys.set_tag_owners(tailnet text, tag text, owners text[])
 *		RETURNS void
 *		Define a tag in a tailnet, or redefine who owns it.  Each owner is
 *		kept once, in sorted order; a definition that would make a tag own
 *		itself, directly or through other tags, is refused with the cycle in
 *		the hint.  Operator tier.
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
	int64		tailnet_id;
	char	  **owners;
	int			count;
	ArrayType  *stored;
	TagGraph   *graph;
	StringInfoData cycle;
	Datum		values[3];
	EventDetail detail;

	RequireWritable(fcinfo);
	RequireArguments(fcinfo, 3);
	tailnet = text_to_cstring(PG_GETARG_TEXT_PP(0));
	tag = text_to_cstring(PG_GETARG_TEXT_PP(1));
	require_valid_tag(tag);
	owners = TextArrayToStrings(PG_GETARG_ARRAYTYPE_P(2), "owners", &count);
	count = sort_unique(owners, count);
	if (count == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a tag needs at least one owner"),
				 errdetail("Nobody could apply tag \"%s\" without one.", tag),
				 errhint("An owner is a member's login, \"autogroup:admin\" or another tag.")));

	SPI_connect();
	tailnet_id = TailnetIdByName(tailnet);
	lock_tag_definitions(tailnet_id);

	graph = TagGraphBegin(tailnet_id, NULL, 0, true);
	initStringInfo(&cycle);
	if (TagGraphFindCycle(graph, tag, (const char *const *) owners, count, &cycle))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tag \"%s\" cannot own itself", tag),
				 errdetail("The owners of a tag may not lead back to it."),
				 errhint("These owners would form the cycle %s.", cycle.data)));
	for (int i = 0; i < count; i++)
		require_valid_owner(graph, tailnet_id, tailnet, owners[i]);
	TagGraphEnd(graph);

	stored = strings_to_array(owners, count);
	values[0] = Int64GetDatum(tailnet_id);
	values[1] = CStringGetTextDatum(tag);
	values[2] = PointerGetDatum(stored);
	QueryRun(&upsert, values, NULL, false);

	EventDetailInit(&detail);
	EventDetailText(&detail, "tag", tag);
	EventDetailTextArray(&detail, "owners", stored);
	EventRecord(ActorDescribe(), tailnet_id, "tag.set", NULL, EVENT_NO_NODE,
				&detail);
	SPI_finish();
	PG_RETURN_VOID();
}
