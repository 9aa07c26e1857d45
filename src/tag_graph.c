/*-------------------------------------------------------------------------
 *
 * tag_graph.c
 *	  The tags of one tailnet and who owns them, read for one call.
 *
 * A tag's owners are member logins, "autogroup:admin", or other tags, whose
 * owners may then apply it too.  Whether an actor may apply a tag is a
 * question about the graph whose edges lead from each tag to the tags that
 * own it: the tag is owned if a principal (the actor's login, and
 * autogroup:admin for owners and admins; an OAuth client's own tags) is
 * among its owners, or among the owners of any tag reachable from it.
 *
 * The graph is read lazily, one tag_owners row at a time, and each row at
 * most once per call, whatever the question; what is known stays in the
 * graph's own memory context, which TagGraphEnd frees.  Ownership is
 * decided by Tarjan's strongly connected components, iteratively: every
 * tag of one cycle reaches every other, so they are owned or not together,
 * and each tag and owner entry is looked at once.  Time and memory grow
 * with the rows read, never with the number of paths, so a graph of tags
 * that own each other (which set_tag_owners refuses now, but a database of
 * an earlier version or a DBA's INSERT may hold) costs no more than any
 * other.  Every loop checks for interrupts.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/tag_graph.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "port.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "query.h"
#include "tag.h"
#include "tag_graph.h"

/* room for the longest valid tag and its NUL */
#define TAG_KEY_SIZE	(sizeof(TAG_PREFIX) + TAG_NAME_MAX)

typedef struct TagNode
{
	char		tag[TAG_KEY_SIZE];	/* hash key, first */
	bool		defined;		/* has a tag_owners row */
	bool		direct;			/* a principal owns it, or is it */
	int			nowner_tags;
	char	  **owner_tags;		/* the owners that are tags */

	/* Tarjan's search */
	int			index;			/* -1 until visited */
	int			lowlink;
	bool		on_stack;
	bool		reaches_owned;	/* an owner tag outside its cycle is owned */
	bool		done;			/* "owned" is decided */
	bool		owned;

	/* the cycle search of set_tag_owners */
	bool		seen;
	struct TagNode *reached_from;
} TagNode;

struct TagGraph
{
	MemoryContext context;
	HTAB	   *nodes;
	int64		tailnet_id;
	char	  **principals;		/* sorted, for bsearch */
	int			nprincipals;
	bool		fresh;
	int			next_index;
};

static bool
is_principal(TagGraph *graph, const char *name)
{
	return graph->nprincipals > 0 &&
		bsearch(&name, graph->principals, graph->nprincipals,
				sizeof(char *), pg_qsort_strcmp) != NULL;
}

/*
 * TagGraphBegin
 *		Start reading the tags of a tailnet.  "principals" are the names
 *		that own a tag when they are among its owners (or are the tag).
 *		With "fresh", every read sees what is committed when it runs (for a
 *		caller that has just locked the graph against changes); otherwise
 *		the reads use the active snapshot.  Caller is connected to SPI.
 */
TagGraph *
TagGraphBegin(int64 tailnet_id, const char *const *principals, int nprincipals,
			  bool fresh)
{
	MemoryContext context = AllocSetContextCreate(CurrentMemoryContext,
												  "auth_keys tag graph",
												  ALLOCSET_DEFAULT_SIZES);
	TagGraph   *graph = MemoryContextAllocZero(context, sizeof(TagGraph));
	HASHCTL		ctl;

	graph->context = context;
	graph->tailnet_id = tailnet_id;
	graph->fresh = fresh;
	graph->nprincipals = nprincipals;
	graph->principals = MemoryContextAlloc(context, sizeof(char *) * Max(nprincipals, 1));
	for (int i = 0; i < nprincipals; i++)
		graph->principals[i] = MemoryContextStrdup(context, principals[i]);
	qsort(graph->principals, nprincipals, sizeof(char *), pg_qsort_strcmp);

	ctl.keysize = TAG_KEY_SIZE;
	ctl.entrysize = sizeof(TagNode);
	ctl.hcxt = context;
	graph->nodes = hash_create("auth_keys tag graph", 64, &ctl,
							   HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	return graph;
}

/* TagGraphEnd: free everything the graph read. */
void
TagGraphEnd(TagGraph *graph)
{
	MemoryContextDelete(graph->context);
}

/* Read one tag's row: whether it is defined, and who owns it. */
static void
load_node(TagGraph *graph, TagNode *node)
{
	static SqlStatement lookup = {
		"SELECT owners FROM auth_keys.tag_owners"
		" WHERE tailnet_id OPERATOR(pg_catalog.=) $1"
		"   AND tag OPERATOR(pg_catalog.=) $2",
		2, {INT8OID, TEXTOID}
	};
	Datum		values[2];
	Datum	   *owners;
	bool	   *nulls;
	int			count;
	MemoryContext old;

	values[0] = Int64GetDatum(graph->tailnet_id);
	values[1] = CStringGetTextDatum(node->tag);
	node->index = -1;
	node->direct = is_principal(graph, node->tag);
	if (QueryRun(&lookup, values, NULL, !graph->fresh) == 0)
		return;
	node->defined = true;

	deconstruct_array(DatumGetArrayTypeP(QueryGetNotNull(0, 1)), TEXTOID, -1,
					  false, TYPALIGN_INT, &owners, &nulls, &count);
	old = MemoryContextSwitchTo(graph->context);
	node->owner_tags = palloc(sizeof(char *) * Max(count, 1));
	for (int i = 0; i < count; i++)
	{
		char	   *owner;

		CHECK_FOR_INTERRUPTS();
		if (nulls[i])
			continue;
		owner = TextDatumGetCString(owners[i]);
		if (is_principal(graph, owner))
			node->direct = true;
		if (TagIsValid(owner, strlen(owner)))
			node->owner_tags[node->nowner_tags++] = owner;
		else
			pfree(owner);
	}
	MemoryContextSwitchTo(old);
}

/* The node of a tag, read on first use; NULL for what cannot be a tag. */
static TagNode *
graph_node(TagGraph *graph, const char *tag)
{
	TagNode    *node;
	bool		found;

	if (!TagIsValid(tag, strlen(tag)))
		return NULL;
	node = hash_search(graph->nodes, tag, HASH_ENTER, &found);
	if (!found)
	{
		memset((char *) node + TAG_KEY_SIZE, 0, sizeof(TagNode) - TAG_KEY_SIZE);
		load_node(graph, node);
	}
	return node;
}

/* TagGraphDefined: whether the tailnet defines a tag. */
bool
TagGraphDefined(TagGraph *graph, const char *tag)
{
	TagNode    *node = graph_node(graph, tag);

	return node != NULL && node->defined;
}

/* Tarjan's two stacks: the search path, and the current components. */
typedef struct SearchFrame
{
	TagNode    *node;
	int			next_owner;
} SearchFrame;

typedef struct Search
{
	SearchFrame *frames;
	int			depth;
	TagNode   **component;
	int			component_len;
	int			capacity;
	int		   *next_index;
} Search;

/* Start visiting a node: number it and put it on both stacks. */
static void
search_visit(Search *search, TagNode *node)
{
	if (search->depth == search->capacity ||
		search->component_len == search->capacity)
	{
		search->capacity *= 2;
		search->frames = repalloc(search->frames,
								  sizeof(SearchFrame) * search->capacity);
		search->component = repalloc(search->component,
									 sizeof(TagNode *) * search->capacity);
	}
	node->index = node->lowlink = (*search->next_index)++;
	node->on_stack = true;
	search->component[search->component_len++] = node;
	search->frames[search->depth].node = node;
	search->frames[search->depth].next_owner = 0;
	search->depth++;
}

/*
 * A node whose owners are all looked at leaves the search path; if it
 * roots a strongly connected component, the component is decided whole:
 * owned when any of its tags is owned directly or reaches an owned tag
 * outside it.
 */
static void
search_finish(Search *search, TagNode *node)
{
	search->depth--;
	if (node->lowlink == node->index)
	{
		bool		owned = false;
		int			first = search->component_len;

		do
		{
			first--;
			owned |= search->component[first]->direct ||
				search->component[first]->reaches_owned;
		} while (search->component[first] != node);
		for (int i = first; i < search->component_len; i++)
		{
			search->component[i]->owned = owned;
			search->component[i]->done = true;
			search->component[i]->on_stack = false;
		}
		search->component_len = first;
	}
	if (search->depth > 0)
	{
		TagNode    *parent = search->frames[search->depth - 1].node;

		parent->lowlink = Min(parent->lowlink, node->lowlink);
		if (node->done)
			parent->reaches_owned |= node->owned;
	}
}

/*
 * TagGraphOwns
 *		Whether the principals own a tag, directly or through the tags that
 *		own it.  An undefined tag is owned by nobody.
 */
bool
TagGraphOwns(TagGraph *graph, const char *tag)
{
	TagNode    *root = graph_node(graph, tag);
	Search		search;

	if (root == NULL || !root->defined)
		return false;
	if (root->done)
		return root->owned;

	search.capacity = 16;
	search.frames = palloc(sizeof(SearchFrame) * search.capacity);
	search.component = palloc(sizeof(TagNode *) * search.capacity);
	search.depth = 0;
	search.component_len = 0;
	search.next_index = &graph->next_index;

	search_visit(&search, root);
	while (search.depth > 0)
	{
		SearchFrame *frame = &search.frames[search.depth - 1];
		TagNode    *node = frame->node;
		TagNode    *owner;

		CHECK_FOR_INTERRUPTS();
		if (frame->next_owner == node->nowner_tags)
		{
			search_finish(&search, node);
			continue;
		}
		owner = graph_node(graph, node->owner_tags[frame->next_owner++]);
		if (owner == NULL || !owner->defined)
			continue;
		if (owner->done)
			node->reaches_owned |= owner->owned;
		else if (owner->index < 0)
			search_visit(&search, owner);
		else if (owner->on_stack)
			node->lowlink = Min(node->lowlink, owner->index);
	}

	pfree(search.frames);
	pfree(search.component);
	return root->owned;
}

/*
 * TagGraphFindCycle
 *		Whether defining "tag" with "owners" would make a tag own itself:
 *		some owner tag reaches "tag" through the owners of the tags defined
 *		now (the stored owners of "tag" itself are the ones being replaced,
 *		and are not followed).  When it would, "path" receives the shortest
 *		such cycle, as "tag:a -> tag:b -> tag:a".  A breadth-first search:
 *		each tag is read and followed once.
 */
bool
TagGraphFindCycle(TagGraph *graph, const char *tag, const char *const *owners,
				  int nowners, StringInfo path)
{
	TagNode   **queue;
	int			head = 0;
	int			tail = 0;
	int			capacity = 16;
	TagNode    *found = NULL;

	queue = palloc(sizeof(TagNode *) * capacity);
	for (int i = 0; i < nowners && found == NULL; i++)
	{
		TagNode    *owner;

		CHECK_FOR_INTERRUPTS();
		if (strcmp(owners[i], tag) == 0)
		{
			appendStringInfo(path, "%s -> %s", tag, tag);
			pfree(queue);
			return true;
		}
		owner = graph_node(graph, owners[i]);
		if (owner == NULL || owner->seen)
			continue;
		owner->seen = true;
		owner->reached_from = NULL;
		if (tail == capacity)
			queue = repalloc(queue, sizeof(TagNode *) * (capacity *= 2));
		queue[tail++] = owner;
	}

	while (head < tail && found == NULL)
	{
		TagNode    *node = queue[head++];

		for (int i = 0; i < node->nowner_tags; i++)
		{
			TagNode    *next;

			CHECK_FOR_INTERRUPTS();
			if (strcmp(node->owner_tags[i], tag) == 0)
			{
				found = node;
				break;
			}
			next = graph_node(graph, node->owner_tags[i]);
			if (next == NULL || next->seen)
				continue;
			next->seen = true;
			next->reached_from = node;
			if (tail == capacity)
				queue = repalloc(queue, sizeof(TagNode *) * (capacity *= 2));
			queue[tail++] = next;
		}
	}
	pfree(queue);
	if (found == NULL)
		return false;

	/* tag -> first owner -> ... -> found -> tag, from found's ancestry */
	{
		List	   *chain = NIL;
		ListCell   *lc;

		for (TagNode *n = found; n != NULL; n = n->reached_from)
			chain = lcons(n, chain);
		appendStringInfoString(path, tag);
		foreach(lc, chain)
			appendStringInfo(path, " -> %s", ((TagNode *) lfirst(lc))->tag);
		appendStringInfo(path, " -> %s", tag);
		list_free(chain);
	}
	return true;
}
