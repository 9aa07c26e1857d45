/*-------------------------------------------------------------------------
 *
 * tag.h
 *	  Tags: their syntax, their owners, and who may apply them.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/tag.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TAG_H
#define TAG_H

#include "utils/array.h"

#include "actor.h"

#define TAG_PREFIX		"tag:"
#define TAG_NAME_MAX	63

extern bool TagIsValid(const char *tag, size_t len);
extern bool TagsArrayIsValid(ArrayType *tags);
extern char **TextArrayToStrings(ArrayType *array, const char *what, int *count);
extern ArrayType *TagsCanonical(ArrayType *tags, int *count);
extern void TagsRequireApplicable(const Actor *actor, ArrayType *tags);

#endif							/* TAG_H */
