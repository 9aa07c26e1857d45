/*-------------------------------------------------------------------------
 *
 * tag_graph.h
 *	  The tags of one tailnet and who owns them, read for one call.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/tag_graph.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TAG_GRAPH_H
#define TAG_GRAPH_H

#include "lib/stringinfo.h"

typedef struct TagGraph TagGraph;

extern TagGraph *TagGraphBegin(int64 tailnet_id, const char *const *principals,
							   int nprincipals, bool fresh);
extern void TagGraphEnd(TagGraph *graph);
extern bool TagGraphDefined(TagGraph *graph, const char *tag);
extern bool TagGraphOwns(TagGraph *graph, const char *tag);
extern bool TagGraphFindCycle(TagGraph *graph, const char *tag,
							  const char *const *owners, int nowners,
							  StringInfo path);

#endif							/* TAG_GRAPH_H */
