/*-------------------------------------------------------------------------
 *
 * backend_stubs.c
 *	  The two server symbols the fuzzed parsers link against.
 *
 * key_format.c computes its checksum with PostgreSQL's CRC-32 macros, which
 * read pg_crc32_table.  That table lives in the postgres executable only
 * (src/backend/utils/hash/pg_crc.c), not in libpgcommon or libpgport, so
 * it is rebuilt here from the polynomial, at compile time.  A wrong table
 * would not go unnoticed: the key harness checks every checksum against a
 * bitwise CRC-32 of its own.
 *
 * The fuzz build turns assertions on (USE_ASSERT_CHECKING), so a failed
 * Assert in the parsers calls ExceptionalCondition, which here aborts and
 * is reported by libFuzzer as a crash.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * test/fuzz/backend_stubs.c
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"

#include <stdio.h>
#include <stdlib.h>

#include "utils/pg_crc.h"

#undef fprintf

/* One step of the reflected CRC-32 (polynomial 0xEDB88320), eight steps a byte. */
#define CRC_STEP(c)	(((c) >> 1) ^ (0xEDB88320U & (0U - ((c) & 1U))))
#define CRC_BYTE(n) \
	CRC_STEP(CRC_STEP(CRC_STEP(CRC_STEP( \
	CRC_STEP(CRC_STEP(CRC_STEP(CRC_STEP((uint32) (n)))))))))
#define CRC_4(n)	CRC_BYTE(n), CRC_BYTE((n) + 1), CRC_BYTE((n) + 2), CRC_BYTE((n) + 3)
#define CRC_16(n)	CRC_4(n), CRC_4((n) + 4), CRC_4((n) + 8), CRC_4((n) + 12)
#define CRC_64(n)	CRC_16(n), CRC_16((n) + 16), CRC_16((n) + 32), CRC_16((n) + 48)

const uint32 pg_crc32_table[256] = {
	CRC_64(0), CRC_64(64), CRC_64(128), CRC_64(192)
};

void
ExceptionalCondition(const char *conditionName, const char *errorType,
					 const char *fileName, int lineNumber)
{
	fprintf(stderr, "%s(\"%s\", File: \"%s\", Line: %d)\n",
			errorType, conditionName, fileName, lineNumber);
	abort();
}
