/*-------------------------------------------------------------------------
 *
 * tka_error.c
 *	  Filling in a TkaError: a status and one sentence saying why.
 *
 * The sentences are built by hand rather than with snprintf, which "c.h"
 * sends to the port library: the tka_* files must link into programs that
 * have neither a server nor libpgport (the fuzzer, the vector test).
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/tka_error.c
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"

#include <stdarg.h>

#include "tka_error.h"

/* Append a NUL-terminated string, dropping whatever does not fit. */
static void
append_string(TkaError *err, size_t *pos, const char *s)
{
	while (*s != '\0' && *pos < TKA_REASON_SIZE - 1)
		err->reason[(*pos)++] = *s++;
	err->reason[*pos] = '\0';
}

/* Append an unsigned number in decimal. */
static void
append_number(TkaError *err, size_t *pos, uint64 value)
{
	char		digits[24];
	int			n = sizeof(digits) - 1;

	digits[n] = '\0';
	do
	{
		digits[--n] = (char) ('0' + value % 10);
		value /= 10;
	} while (value != 0 && n > 0);
	append_string(err, pos, &digits[n]);
}

/*
 * TkaFail
 *		Set err to the status and a reason built from format, and return
 *		false, so that a caller can write "return TkaFail(...)".
 *
 * The format knows %s (a string), %l (a string whose first letter is
 * put in lower case: another reason, quoted inside this one), %d (an
 * int), %z (a size_t), %U (a uint64) and %%; nothing else.  err may be NULL, for callers that only
 * want the verdict.
 */
bool
TkaFail(TkaError *err, TkaStatus status, const char *format,...)
{
	va_list		args;
	size_t		pos = 0;
	const char *p;

	if (err == NULL)
		return false;
	err->status = status;
	err->reason[0] = '\0';
	va_start(args, format);
	for (p = format; *p != '\0'; p++)
	{
		char		one[2];

		if (*p == '%' && p[1] != '\0')
		{
			p++;
			switch (*p)
			{
				case 's':
					append_string(err, &pos, va_arg(args, const char *));
					continue;
				case 'l':
					{
						const char *inner = va_arg(args, const char *);

						if (inner[0] >= 'A' && inner[0] <= 'Z')
						{
							one[0] = (char) (inner[0] - 'A' + 'a');
							one[1] = '\0';
							append_string(err, &pos, one);
							inner++;
						}
						append_string(err, &pos, inner);
						continue;
					}
				case 'd':
					{
						int			v = va_arg(args, int);

						if (v < 0)
						{
							append_string(err, &pos, "-");
							append_number(err, &pos, (uint64) (-(int64) v));
						}
						else
							append_number(err, &pos, (uint64) v);
						continue;
					}
				case 'z':
					append_number(err, &pos, (uint64) va_arg(args, size_t));
					continue;
				case 'U':
					append_number(err, &pos, va_arg(args, uint64));
					continue;
				default:
					break;
			}
		}
		one[0] = *p;
		one[1] = '\0';
		append_string(err, &pos, one);
	}
	va_end(args);
	return false;
}

/* TkaStatusName: a short name of a status, for tests and logs. */
const char *
TkaStatusName(TkaStatus status)
{
	switch (status)
	{
		case TKA_OK:
			return "ok";
		case TKA_MALFORMED:
			return "malformed";
		case TKA_INVALID:
			return "invalid";
		case TKA_REJECTED:
			return "rejected";
		case TKA_NO_MEMORY:
			return "no memory";
		case TKA_CRYPTO_FAILURE:
			return "crypto failure";
	}
	return "unknown";
}
